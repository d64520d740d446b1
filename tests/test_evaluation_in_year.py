"""The in-year rule: a monthly report never calls a program failing only because the year is not over."""

import pandas as pd
import pytest

from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import EVALUASI_PROGRAM, EVALUASI_RPJMD, read_table, write_table
from kmc_analysis.evaluation.in_year import (
    behind_plan,
    budgets_behind_plan,
    months_per_period,
    programs_behind_plan,
    provisional,
    satuan_notes,
    window_label,
)
from kmc_analysis.evaluation.tables import opd_scorecard, program_table, rpjmd_series, rpjmd_table
from kmc_analysis.evaluation.year_to_date import YearToDate

CATALOGUE = pd.DataFrame({
    "kode_bantuan": ["SANTUNAN", "INSENTIF", "TRIWULAN", "MINGGUAN"],
    "nama_bantuan": ["Santunan sekali", "Insentif bulanan", "Insentif triwulanan", "Bantuan mingguan"],
    "opd": ["Dinas Sosial", "Dinas Kesehatan", "Kecamatan", "Dinas Sosial"],
    "kategori": ["santunan", "insentif", "insentif", "bantuan_sosial"],
    "target_penerima": pd.array([120, 50, 40, 12], dtype="Int64"),
    "anggaran": pd.array([120_000_000, 600_000_000, 160_000_000, 12_000_000], dtype="Int64"),
    "satuan": ["sekali", "Per Bulan", "per  TRIWULAN", "per minggu"],
})


def year(period: Period, paid: dict[str, dict[int, list[str]]]) -> YearToDate:
    """A hand-made year to date up to ``period``: program -> month -> persons paid (Rp1.000.000 each).

    Every OPD sends a file every month.
    """
    rows = [(str(Period(period.year, month)), person, code, opd, 1_000_000)
            for code, opd in zip(CATALOGUE["kode_bantuan"], CATALOGUE["opd"])
            for month, persons in paid.get(code, {}).items() if month <= period.month for person in persons]
    penerima = pd.DataFrame(rows, columns=["bulan", "id_penerima", "kode_bantuan", "opd", "nominal"])
    penerima.insert(1, "orang", pd.factorize(penerima.pop("id_penerima"))[0])  # a code per person, as load_year_to_date
    months = tuple(period.months_to_date())
    rekap = pd.DataFrame([(str(m), opd, 1, 1, 0) for m in months for opd in sorted(set(CATALOGUE["opd"]))],
                         columns=["bulan", "opd", "baris_dibaca", "baris_diterima", "baris_karantina"])
    counts = pd.DataFrame({"bulan": [str(m) for m in months], "rows_read": 1, "rows_accepted": 1,
                           "rows_quarantined": 0})
    return YearToDate(period, months, (), penerima, rekap, counts)


def persons(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


def test_a_one_off_and_a_monthly_program_on_plan_both_rate_100_sangat_tinggi_in_march():
    march = Period(2024, 3)
    paid = {"SANTUNAN": {1: persons("s1-", 10), 2: persons("s2-", 10), 3: persons("s3-", 10)},   # 30 of 120
            "INSENTIF": {month: persons("kader-", 50) for month in (1, 2, 3)}}                    # 50 of 50 a month
    program = program_table(CATALOGUE, year(march, paid)).set_index("kode_bantuan")
    for code in ("SANTUNAN", "INSENTIF"):
        row = program.loc[code]
        assert row["capaian_penerima_persen"] == 100.00 and row["predikat_penerima"] == "Sangat Tinggi", code
        assert row["status_penilaian"] == "final"
    assert program.loc["SANTUNAN", "target_periode"] == 30 and program.loc["SANTUNAN", "penerima_periode"] == 30
    assert program.loc["SANTUNAN", "capaian_serapan_persen"] == 100.00    # Rp30 juta of 120 x 3 / 12
    assert program.loc["INSENTIF", "penerima_unik"] == 50                 # the same 50 persons every month
    assert program.loc["INSENTIF", "capaian_serapan_persen"] == 100.00    # Rp150 juta of 600 x 3 / 12


def test_a_quarterly_program_below_plan_before_its_quarter_ends_is_provisional_not_failing():
    paid = {"TRIWULAN": {3: persons("rt-", 40)}, "INSENTIF": {1: persons("k-", 10), 2: persons("k-", 10)}}
    february = program_table(CATALOGUE, year(Period(2024, 2), paid)).set_index("kode_bantuan")
    quarter = february.loc["TRIWULAN"]                # paid at the end of the quarter: nothing yet in February
    assert quarter["penerima_periode"] == 0 and quarter["predikat_penerima"] == "Sangat Rendah"
    assert quarter["status_penilaian"] == "sementara" and quarter["status_serapan"] == "sementara"
    assert quarter["periode_penilaian"] == "Triwulan I 2024 (Januari–Februari)"
    monthly = february.loc["INSENTIF"]                # a month is over when its report is made: final
    assert monthly["capaian_penerima_persen"] == 20.00 and monthly["status_penilaian"] == "final"
    table = february.reset_index()
    assert programs_behind_plan(table)["kode_bantuan"].tolist() == ["INSENTIF"]
    assert set(provisional(table, "predikat_penerima")["kode_bantuan"]) == {"TRIWULAN", "SANTUNAN", "MINGGUAN"}
    assert "TRIWULAN" not in set(budgets_behind_plan(table)["kode_bantuan"])
    march = program_table(CATALOGUE, year(Period(2024, 3), paid)).set_index("kode_bantuan").loc["TRIWULAN"]
    assert march["capaian_penerima_persen"] == 100.00 and march["status_penilaian"] == "final"


def test_december_compares_once_a_year_programs_with_the_annual_target():
    paid = {"SANTUNAN": {month: persons(f"m{month}-", 9) for month in range(1, 13)}}   # 108 of 120
    row = program_table(CATALOGUE, year(Period(2024, 12), paid)).set_index("kode_bantuan").loc["SANTUNAN"]
    assert row["target_periode"] == 120 and row["capaian_penerima_persen"] == 90.00
    assert row["predikat_penerima"] == "Tinggi" and row["status_penilaian"] == "final"
    assert row["periode_penilaian"] == "Tahun 2024"


def test_an_unknown_satuan_is_judged_once_a_year_and_said_so():
    assert months_per_period(CATALOGUE["satuan"]).tolist() == [12, 1, 3, 12]
    assert satuan_notes(CATALOGUE) == [
        "Program MINGGUAN dengan satuan 'per minggu' yang tidak dikenal dinilai sebagai bantuan sekali setahun "
        "(target x bulan / 12); isi kolom satuan di program_bantuan.csv dengan per bulan, per triwulan, per "
        "semester, per tahun atau sekali."]
    row = program_table(CATALOGUE, year(Period(2024, 6), {"MINGGUAN": {6: persons("w", 6)}})).set_index(
        "kode_bantuan").loc["MINGGUAN"]
    assert row["target_periode"] == 6 and row["capaian_penerima_persen"] == 100.00


def test_an_opd_with_a_provisional_program_is_not_judged_final():
    paid = {"TRIWULAN": {1: persons("rt-", 4)}}
    ytd = year(Period(2024, 2), paid)
    card = opd_scorecard(program_table(CATALOGUE, ytd), ytd).set_index("opd")
    assert card.loc["Kecamatan", "predikat"] == "Sangat Rendah" and card.loc["Kecamatan", "status_penilaian"] == "sementara"


@pytest.mark.parametrize(("months", "period", "label"), [
    (1, Period(2024, 3), "Maret 2024"),
    (3, Period(2024, 5), "Triwulan II 2024 (April–Mei)"),
    (3, Period(2024, 4), "Triwulan II 2024 (April)"),
    (6, Period(2024, 12), "Semester II 2024 (Juli–Desember)"),
    (12, Period(2024, 1), "Januari 2024 (target x 1/12)"),
    (12, Period(2024, 7), "Januari–Juli 2024 (target x 7/12)"),
])
def test_the_compared_payment_period_in_words(months, period, label):
    assert window_label(months, period) == label


INDIKATOR = pd.DataFrame({
    "kode_indikator": ["IKP-01", "IKP-04", "IKP-05", "IKU-01"],
    "indikator": ["Penerima KMC", "Baris valid", "Penerima per 1.000", "Kemiskinan"],
    "satuan": ["orang", "persen", "per 1.000 penduduk", "persen"],
    "polaritas": ["positif", "positif", "positif", "negatif"],
    "sumber": ["kmc", "kmc", "kmc", "eksternal"],
    "metrik_kmc": ["penerima_unik", "persen_baris_valid", "penerima_per_1000", ""],
    **{f"target_{y}": [12000.0, 90.0, 72.0, 7.6] for y in range(2021, 2027)},
})
REALISASI = pd.DataFrame({"kode_indikator": ["IKU-01"], "tahun": [2024], "realisasi": [7.0]})


@pytest.mark.parametrize(("month", "targets", "capaian", "status"), [
    (3, [3000, 90, 18], [100.0, 90.0, 100.0], "sementara"),
    (12, [12000, 90, 72], [25.0, 90.0, 25.0], "final"),
])
def test_rpjmd_counts_compare_with_the_prorated_target_and_rates_with_the_annual_one(month, targets, capaian,
                                                                                      status):
    period = Period(2024, month)
    values = {"penerima_unik": 3000.0, "persen_baris_valid": 81.0, "penerima_per_1000": 18.0}
    table = rpjmd_table(rpjmd_series(INDIKATOR, REALISASI, period, values), period)
    now = table.loc[table["tahun"] == 2024].set_index("kode_indikator")
    assert now.loc[["IKP-01", "IKP-04", "IKP-05"], "target"].tolist() == [12000, 90, 72]   # the plan's annual target
    assert now.loc[["IKP-01", "IKP-04", "IKP-05"], "target_periode"].tolist() == targets
    assert now.loc[["IKP-01", "IKP-04", "IKP-05"], "capaian_persen"].tolist() == capaian
    assert set(now.loc[["IKP-01", "IKP-04", "IKP-05"], "status_penilaian"]) == {status}
    assert now.loc["IKU-01", "status_penilaian"] == "final" and now.loc["IKU-01", "capaian_persen"] == 107.89
    earlier = table.loc[(table["tahun"] == 2023) & (table["kode_indikator"] == "IKU-01")]
    assert earlier["status_penilaian"].tolist() == [""]                                    # no realisasi: no judgement


def test_behind_plan_reads_the_tables_as_written_and_skips_provisional_rows(tmp_path):
    period = Period(2024, 3)
    table = rpjmd_table(rpjmd_series(INDIKATOR, REALISASI, period, {"penerima_unik": 300.0,
                                                                     "persen_baris_valid": 40.0}), period)
    write_table(tmp_path, EVALUASI_RPJMD, table)
    written = read_table(tmp_path, EVALUASI_RPJMD)
    now = written.loc[written["tahun"] == 2024]
    assert behind_plan(now).empty                                          # both low KMC rows are provisional
    assert provisional(now)["kode_indikator"].tolist() == ["IKP-01", "IKP-04"]
    older = now.drop(columns="status_penilaian")                           # a table from before the rule
    assert behind_plan(older)["kode_indikator"].tolist() == ["IKP-01", "IKP-04"]
    program = program_table(CATALOGUE, year(Period(2024, 2), {"INSENTIF": {2: persons("k", 5)}}))
    write_table(tmp_path, EVALUASI_PROGRAM, program)
    assert programs_behind_plan(read_table(tmp_path, EVALUASI_PROGRAM))["kode_bantuan"].tolist() == ["INSENTIF"]
