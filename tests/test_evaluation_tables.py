"""Stage 3: year-to-date KMC indicators, evaluation tables, their display and the notebook."""

import json
import math
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from kmc_analysis.clean.pseudonyms import load_key, pseudonymize
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.formatting import format_id
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import (
    CHART_BULANAN,
    CHART_RPJMD,
    KETEPATAN_SASARAN,
    MAP_DTKS,
    RINGKASAN_DTKS,
    EVALUASI_OPD,
    EVALUASI_PROGRAM,
    EVALUASI_RPJMD,
    TREN_BULANAN,
    TREN_RPJMD,
)
from kmc_analysis.evaluation.capaian import DATA_KURANG, RPJMD_YEARS, SESUAI_JALUR, TIDAK_SESUAI_JALUR
from kmc_analysis.evaluation.display import summary_markdown
from kmc_analysis.evaluation.tables import (
    OUTPUT_TABLES,
    evaluate_tables,
    indicator_status,
    kmc_indicator_values,
    monthly_trend,
    opd_scorecard,
    program_table,
    rpjmd_series,
    rpjmd_table,
    rpjmd_trend,
    write_tables,
)
from kmc_analysis.evaluation.year_to_date import load_year_to_date

FIXTURES = Path(__file__).parent / "fixtures" / "evaluation"
NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "03_rpjmd_evaluation.ipynb"
PERIOD = Period(2024, 3)


def nik_of(name: str) -> str:
    """The (made-up) NIK of test person ``p1`` .. ``p8``."""
    return f"187201010180{int(name[1:]):04d}"


def pid(name: str) -> str:
    """Stage 1's id_penerima of a test person: the keyed HMAC of its NIK under the test key."""
    return pseudonymize(pd.Series([nik_of(name)], dtype="str"), load_key()).iloc[0]


OPD_OF = {
    "KMC-001": "Dinas Pendidikan dan Kebudayaan",
    "KMC-002": "Dinas Pendidikan dan Kebudayaan",
    "KMC-003": "Dinas Sosial",
    "KMC-004": "Dinas Kesehatan",
    "KMC-005": "Kecamatan Metro Pusat",
}

#: month -> (accepted rows as (person, kode_bantuan, nominal), quarantined rows per OPD).
#: Kecamatan Metro Pusat (KMC-005) never sends anything.
MONTHS = {
    "2024-01": ([("p1", "KMC-001", 1_000_000), ("p2", "KMC-001", 1_000_000), ("p3", "KMC-001", 1_000_000),
                 ("p4", "KMC-003", 300_000), ("p5", "KMC-004", 200_000)],
                {"Dinas Sosial": 2}),
    "2024-02": ([("p4", "KMC-003", 300_000), ("p5", "KMC-004", 200_000), ("p6", "KMC-004", 200_000),
                 ("p7", "KMC-002", 2_500_000)],
                {"Dinas Kesehatan": 1}),
    "2024-03": ([("p4", "KMC-003", 300_000), ("p5", "KMC-004", 200_000), ("p6", "KMC-004", 200_000),
                 ("p8", "KMC-004", 200_000), ("p1", "KMC-004", 200_000)],
                {"Dinas Sosial": 3, "Dinas Kesehatan": 2}),
}
# 8 distinct persons; rows accepted 5 + 4 + 5 = 14 of rows read 7 + 5 + 10 = 22.


def write_month(root: Path, month: str, accepted, quarantined) -> None:
    """Write a month's stage 1 outputs (penerima.parquet, rekap_opd.csv, manifest.json)."""
    folder = root / month
    folder.mkdir(parents=True)
    n = len(accepted)
    penerima = pd.DataFrame({
        "id_penerima": [pid(p) for p, _, _ in accepted],
        "nik_tersamar": ["1872**********01"] * n,
        "nama": [f"Penerima Rahasia {p.upper()}" for p, _, _ in accepted],
        "kode_bantuan": [k for _, k, _ in accepted],
        "opd": [OPD_OF[k] for _, k, _ in accepted],
        "kode_kecamatan": ["18.72.01"] * n,
        "kecamatan": ["Metro Pusat"] * n,
        "kode_kelurahan": ["18.72.01.1001"] * n,
        "kelurahan": ["Metro"] * n,
        "nominal": pd.Series([v for _, _, v in accepted], dtype="int64"),
        "tanggal_salur": [f"{month}-10"] * n,
        "sumber_file": ["opd.xlsx"] * n,
        "sumber_sheet": ["Sheet1"] * n,
        "sumber_baris": range(2, n + 2),
    })
    penerima.to_parquet(folder / "penerima.parquet", index=False)
    rekap = pd.DataFrame({"opd": sorted(set(OPD_OF.values()))})
    rekap["baris_diterima"] = rekap["opd"].map(penerima["opd"].value_counts()).fillna(0).astype(int)
    rekap["baris_karantina"] = rekap["opd"].map(quarantined).fillna(0).astype(int)
    rekap["baris_dibaca"] = rekap["baris_diterima"] + rekap["baris_karantina"]
    rekap["program_katalog"] = rekap["opd"].map(pd.Series(list(OPD_OF.values())).value_counts())
    rekap["program_terisi"] = rekap["opd"].map(penerima.groupby("opd")["kode_bantuan"].nunique()).fillna(0)
    rekap["kelengkapan_persen"] = (rekap["program_terisi"] * 100 / rekap["program_katalog"]).round(2)
    rekap["persen_valid"] = (rekap["baris_diterima"] * 100 / rekap["baris_dibaca"]).round(2)
    rekap[["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "baris_dibaca", "baris_diterima",
           "baris_karantina", "persen_valid"]].to_csv(folder / "rekap_opd.csv", index=False)
    read, kept = int(rekap["baris_dibaca"].sum()), n
    (folder / "manifest.json").write_text(json.dumps({
        "period": month,
        "counts": {"rows_read": read, "rows_accepted": kept, "rows_quarantined": read - kept,
                   "quarantine_by_reason": {}},
    }))


@pytest.fixture
def processed(tmp_path):
    """Three processed months of 2024 under tmp_path/processed."""
    root = tmp_path / "processed"
    for month, (accepted, quarantined) in MONTHS.items():
        write_month(root, month, accepted, quarantined)
    return root


@pytest.fixture
def ref():
    """The small reference tables of tests/fixtures/evaluation/reference as plain DataFrames."""
    read = {name: pd.read_csv(FIXTURES / "reference" / f"{name}.csv", dtype={"kode_indikator": "str"})
            for name in ("rpjmd_indikator", "rpjmd_realisasi", "program_bantuan")}
    return read


def year_to_date(tmp_path, processed, period=PERIOD):
    return load_year_to_date(run_paths(period, tmp_path / "raw", processed, tmp_path / "reports"))


# --- capaian and predikat ------------------------------------------------------------------

def test_year_to_date_counts_distinct_persons_and_sums_row_counts(tmp_path, processed, ref):
    ytd = year_to_date(tmp_path, processed)
    assert ytd.months == (Period(2024, 1), Period(2024, 2), PERIOD) and ytd.missing_months == ()
    assert not {"nama", "nik_tersamar", "id_penerima"} & set(ytd.penerima.columns)  # persons are integer codes
    values = kmc_indicator_values(ytd, ["Dinas Kesehatan", "Dinas Pendidikan dan Kebudayaan", "Dinas Sosial",
                                           "Kecamatan Metro Pusat"], penduduk_kota=160_000)
    assert values["penerima_unik"] == 8                        # p1..p8, p1/p4/p5/p6 seen in several months
    assert values["jenis_bantuan_tersalur"] == 4               # KMC-005 never paid
    assert values["kelengkapan_opd_persen"] == 75.00           # 3 of 4 OPDs sent rows
    assert values["persen_baris_valid"] == 63.64               # 14 / 22, not the mean of monthly shares (67.14)
    assert values["penerima_per_1000"] == 0.05                 # 8 / 160000 x 1000


def test_year_to_date_lists_an_absent_month_and_needs_the_period(tmp_path, processed):
    shutil.rmtree(processed / "2024-02")
    ytd = year_to_date(tmp_path, processed)
    assert ytd.months == (Period(2024, 1), PERIOD) and ytd.missing_months == (Period(2024, 2),)
    assert ytd.penerima["orang"].nunique() == 7                # p6 is also paid in March, p7 only in February
    with pytest.raises(InputError, match="2024-04"):
        year_to_date(tmp_path, processed, Period(2024, 4))


def test_an_opd_counts_as_submitting_when_it_only_had_quarantined_rows(tmp_path):
    root = tmp_path / "processed"
    write_month(root, "2024-01", [("p1", "KMC-001", 1_000_000)], {"Kecamatan Metro Pusat": 4})
    ytd = year_to_date(tmp_path, root, Period(2024, 1))
    assert ytd.submitting_opds() == {"Dinas Pendidikan dan Kebudayaan", "Kecamatan Metro Pusat"}


# --- RPJMD table and trend -----------------------------------------------------------------------

def rpjmd_fixture(ref, kmc_values, period=PERIOD, realisasi=None):
    series = rpjmd_series(ref["rpjmd_indikator"], ref["rpjmd_realisasi"] if realisasi is None else realisasi,
                             period, kmc_values, last_year=2026)
    return rpjmd_table(series, period), rpjmd_trend(series, period)


def test_rpjmd_table_has_every_indicator_and_year_and_leaves_missing_realisasi_empty(ref):
    kmc = {"penerima_unik": 8.0, "jenis_bantuan_tersalur": 4.0, "kelengkapan_opd_persen": 75.0,
           "persen_baris_valid": 63.64, "penerima_per_1000": 0.04}
    table, _ = rpjmd_fixture(ref, kmc)
    assert list(table.columns) == EVALUASI_RPJMD.column_names
    assert len(table) == 7 * 4 and not table.duplicated(["kode_indikator", "tahun"]).any()
    assert sorted(set(table["tahun"])) == [2021, 2022, 2023, 2024]
    ipm = table.loc[table["kode_indikator"] == "IKU-02"]       # targets, no realisasi at all
    assert ipm["target"].notna().all() and ipm["realisasi"].isna().all()
    assert ipm["capaian_persen"].isna().all() and (ipm["predikat"] == "").all()
    row = table.set_index(["kode_indikator", "tahun"])
    assert row.loc[("IKU-01", 2024), "capaian_persen"] == 110.79       # (2 x 7.6 - 6.78) / 7.6
    assert row.loc[("IKU-01", 2024), "predikat"] == "Sangat Tinggi"
    # March: a KMC count compares with the prorated target (14 x 3 / 12), provisionally ...
    assert row.loc[("IKP-01", 2024), "realisasi"] == 8 and row.loc[("IKP-01", 2024), "target"] == 14
    assert row.loc[("IKP-01", 2024), "target_periode"] == 3.5
    assert row.loc[("IKP-01", 2024), "capaian_persen"] == 228.57
    assert row.loc[("IKP-01", 2024), "status_penilaian"] == "sementara"
    # ... a KMC percentage with the annual target, provisionally; official figures are final
    assert row.loc[("IKP-04", 2024), "capaian_persen"] == 70.71       # 63.64 / 90
    assert row.loc[("IKP-04", 2024), ["target_periode", "status_penilaian"]].tolist() == [90, "sementara"]
    assert row.loc[("IKU-01", 2024), "status_penilaian"] == "final"
    assert row.loc[("IKU-02", 2024), "status_penilaian"] == ""           # nothing to judge
    assert row.loc[("IKP-01", 2023), "realisasi"] != row.loc[("IKP-01", 2023), "realisasi"]  # NaN: not computed


def test_kmc_earlier_years_come_from_rpjmd_realisasi(ref):
    extra = pd.DataFrame({"kode_indikator": ["IKP-03", "IKP-03", "IKP-03"], "tahun": [2022, 2023, 2024],
                          "realisasi": [60.0, 70.0, 10.0], "sumber": ["LKPJ", "LKPJ", "LKPJ"]})
    realisasi = pd.concat([ref["rpjmd_realisasi"], extra], ignore_index=True)
    table, tren = rpjmd_fixture(ref, {"kelengkapan_opd_persen": 75.0}, realisasi=realisasi)
    row = table.set_index(["kode_indikator", "tahun"])["realisasi"]
    assert row[("IKP-03", 2022)] == 60 and row[("IKP-03", 2023)] == 70
    assert row[("IKP-03", 2024)] == 75                                 # the computed value wins in the period's year
    status = indicator_status(tren).set_index("kode_indikator")
    assert status.loc["IKP-03", "status_jalur"] == TIDAK_SESUAI_JALUR  # 60, 70, 75 -> 90.83 < 100
    assert status.loc["IKP-03", "proyeksi_2026"] == 90.83


def test_rpjmd_trend_runs_to_2026_and_flags_each_indicator(ref):
    _, tren = rpjmd_fixture(ref, {"penerima_unik": 8.0})
    assert list(tren.columns) == TREN_RPJMD.column_names
    assert sorted(set(tren["tahun"])) == list(RPJMD_YEARS)
    assert tren.loc[tren["tahun"] > 2024, "realisasi"].isna().all()
    status = indicator_status(tren).set_index("kode_indikator")["status_jalur"]
    assert status["IKU-01"] == SESUAI_JALUR            # negatif, falling faster than the targets
    assert status["IKU-02"] == DATA_KURANG             # no realisasi
    assert status["IKP-01"] == DATA_KURANG             # only a provisional March count
    partial = tren.loc[(tren["kode_indikator"] == "IKP-01") & (tren["tahun"] == 2024)]
    assert partial["realisasi_sementara"].tolist() == ["ya"]


def test_program_table_judges_each_program_by_its_payment_rhythm(tmp_path, processed, ref):
    ytd = year_to_date(tmp_path, processed)
    program = program_table(ref["program_bantuan"], ytd).set_index("kode_bantuan")
    assert list(program.reset_index().columns) == EVALUASI_PROGRAM.column_names
    sd = program.loc["KMC-001"]                      # per tahun: p1..p3 in January against 6 x 3 / 12
    assert (sd["penerima_unik"], sd["penerima_periode"], sd["nilai_total"]) == (3, 3, 3_000_000)
    assert sd["target_periode"] == 1.5 and sd["periode_penilaian"] == "Januari–Maret 2024 (target x 3/12)"
    assert sd["capaian_penerima_persen"] == 200.00 and sd["predikat_penerima"] == "Sangat Tinggi"
    assert sd["status_penilaian"] == "final"
    assert sd["serapan_anggaran_persen"] == 8.33     # of the annual budget
    assert sd["target_serapan_persen"] == 25.00      # 3 of 12 months
    assert sd["capaian_serapan_persen"] == 33.33 and sd["predikat_serapan"] == "Sangat Rendah"
    assert sd["status_serapan"] == "sementara"       # paid once a year: the year is not over
    mahasiswa = program.loc["KMC-002"]               # per semester: p7 in February, semester I not over
    assert (mahasiswa["penerima_periode"], mahasiswa["target_periode"]) == (1, 4)
    assert mahasiswa["capaian_penerima_persen"] == 25.00 and mahasiswa["status_penilaian"] == "sementara"
    assert mahasiswa["periode_penilaian"] == "Semester I 2024 (Januari–Maret)"
    posyandu = program.loc["KMC-004"]                # per bulan: March's p5, p6, p8, p1 against 10
    assert (posyandu["penerima_unik"], posyandu["penerima_periode"]) == (4, 4)
    assert posyandu["nilai_total"] == 1_400_000 and posyandu["periode_penilaian"] == "Maret 2024"
    assert posyandu["capaian_penerima_persen"] == 40.00 and posyandu["status_penilaian"] == "final"
    rt = program.loc["KMC-005"]                      # its OPD sent nothing: empty, not zero
    assert pd.isna(rt["penerima_unik"]) and pd.isna(rt["nilai_total"]) and pd.isna(rt["penerima_periode"])
    assert math.isnan(rt["capaian_penerima_persen"]) and rt["predikat_penerima"] == "" and rt["predikat_serapan"] == ""
    assert rt["status_penilaian"] == "" and rt["status_serapan"] == ""


def test_opd_scorecard(tmp_path, processed, ref):
    ytd = year_to_date(tmp_path, processed)
    card = opd_scorecard(program_table(ref["program_bantuan"], ytd), ytd).set_index("opd")
    assert list(card.reset_index().columns) == EVALUASI_OPD.column_names
    pendidikan = card.loc["Dinas Pendidikan dan Kebudayaan"]
    assert (pendidikan["program_katalog"], pendidikan["program_terisi"]) == (2, 2)
    assert pendidikan["kelengkapan_persen"] == 100.00 and pendidikan["persen_valid"] == 100.00
    assert pendidikan["capaian_penerima_rata2"] == 112.50 and pendidikan["predikat"] == "Sangat Tinggi"  # (200 + 25) / 2
    assert pendidikan["status_penilaian"] == "sementara"          # KMC-002's semester is not over
    sosial = card.loc["Dinas Sosial"]                # 3 accepted of 3 + 5 read
    assert sosial["persen_valid"] == 37.50 and sosial["capaian_penerima_rata2"] == 20.00
    assert sosial["status_penilaian"] == "final"
    camat = card.loc["Kecamatan Metro Pusat"]
    assert camat["program_terisi"] == 0 and math.isnan(camat["persen_valid"]) and camat["predikat"] == ""


def test_monthly_trend(tmp_path, processed):
    trend = monthly_trend(year_to_date(tmp_path, processed))
    assert list(trend.columns) == TREN_BULANAN.column_names
    assert trend["bulan"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert trend["penerima_unik"].tolist() == [5, 4, 5]
    assert trend["penerima_unik_kumulatif"].tolist() == [5, 7, 8]
    assert trend["jumlah_penyaluran"].tolist() == [5, 4, 5]
    assert trend["nilai_total"].tolist() == [3_500_000, 3_200_000, 1_100_000]
    assert trend["persen_baris_valid"].tolist() == [71.43, 80.00, 50.00]


# --- output files ---------------------------------------------------------------------------------

def test_written_tables_are_deterministic_and_leave_missing_values_empty(tmp_path, processed, ref):
    ytd = year_to_date(tmp_path, processed)
    result = evaluate_tables(ref["rpjmd_indikator"], ref["rpjmd_realisasi"], ref["program_bantuan"], ytd,
                                sorted(set(OPD_OF.values())), 184_547)
    first = {p.name: p.read_bytes() for p in write_tables(result, tmp_path / "a")}
    again = evaluate_tables(ref["rpjmd_indikator"], ref["rpjmd_realisasi"], ref["program_bantuan"],
                               year_to_date(tmp_path, processed), sorted(set(OPD_OF.values())), 184_547)
    second = {p.name: p.read_bytes() for p in write_tables(again, tmp_path / "b")}
    assert first == second and set(first) == {table.name for table in OUTPUT_TABLES}
    rpjmd = pd.read_csv(tmp_path / "a" / "evaluasi_rpjmd.csv", dtype=str, keep_default_na=False)
    assert list(rpjmd.columns) == EVALUASI_RPJMD.column_names
    ipm = rpjmd.loc[rpjmd["kode_indikator"] == "IKU-02"]
    assert (ipm["realisasi"] == "").all() and (ipm["capaian_persen"] == "").all() and (ipm["predikat"] == "").all()
    poverty = rpjmd.loc[(rpjmd["kode_indikator"] == "IKU-01") & (rpjmd["tahun"] == "2024")].iloc[0]
    assert (poverty["target"], poverty["realisasi"], poverty["capaian_persen"]) == ("7.6", "6.78", "110.79")
    assert b"\r\n" not in first["evaluasi_rpjmd.csv"]
    for content in first.values():
        assert pid("p1").encode() not in content and b"Rahasia" not in content


def test_summary_names_absent_months_and_the_off_track(tmp_path, processed, ref):
    shutil.rmtree(processed / "2024-02")
    ytd = year_to_date(tmp_path, processed)
    result = evaluate_tables(ref["rpjmd_indikator"], ref["rpjmd_realisasi"], ref["program_bantuan"], ytd,
                                sorted(set(OPD_OF.values())), 184_547)
    text = summary_markdown(result)
    assert "Bulan tanpa data olahan (tidak ikut dihitung): Feb 2024." in text
    assert "**Sesuai jalur** menuju target 2026: Persentase penduduk miskin." in text
    assert "bersifat **sementara** sampai Desember: jumlah dibandingkan dengan target x 3/12" in text
    assert ("penerima **tertinggal dari rencana** (Rendah atau Sangat Rendah pada periode pembayaran yang sudah "
            "selesai): Insentif Pekerja Sosial Masyarakat, Insentif Kader Posyandu.") in text
    assert "(sementara, tidak dinilai gagal): Beasiswa Mahasiswa." in text
    assert "OPD yang belum mengirim data tahun ini: Kecamatan Metro Pusat" in text
    assert "184.547 jiwa" in text


def test_format_id():
    assert format_id(1234567) == "1.234.567"
    assert format_id(7.87) == "7,87"
    assert format_id(91.0, fixed=True) == "91,00"
    assert format_id(float("nan")) == "–" and format_id(pd.NA) == "–" and format_id("<5") == "<5"


# --- the notebook ----------------------------------------------------------------------------------

def test_notebook_is_committed_without_outputs_and_with_the_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    parameters = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and parameters[0] is code[0]
    names = [line.split("=")[0].strip() for line in parameters[0].source.splitlines()]
    assert names == ["period", "raw_dir", "processed_dir", "reports_dir", "staging_dir", "boundaries", "min_cell",
                     "skip_unreadable"]


#: A DTKS extract as SIKS-NG writes it: p5 and p6 (March recipients of KMC-004, sasaran_miskin = ya) and two
#: persons who receive nothing.
DTKS_ONLY = ["1872030303750001", "1872034404760002"]
DTKS_EXTRACT = "\n".join([
    "IDDTKS|PROVINSI|KABUPATEN/KOTA|KECAMATAN|DESA/KELURAHAN|ALAMAT|NOMOR KK|NOMOR NIK|NAMA|TANGGAL LAHIR",
    f"1|LAMPUNG|KOTA METRO|METRO PUSAT|METRO|JL. A|1872010000000001|{nik_of('p5')}|NAMA DTKS P5|01-01-1980",
    f"2|LAMPUNG|KOTA METRO|METRO PUSAT|METRO|JL. A|1872010000000001|{nik_of('p6')}|NAMA DTKS P6|01-01-1980",
    f"3|LAMPUNG|KOTA METRO|METRO BARAT|GANJARAGUNG|JL. B|1872030000000002|{DTKS_ONLY[0]}|HANYA DTKS SATU|03-03-1975",
    f"4|LAMPUNG|KOTA METRO|METRO BARAT|GANJARAGUNG|JL. B|1872030000000003|{DTKS_ONLY[1]}|HANYA DTKS DUA|04-04-1976",
]) + "\n"


@pytest.mark.slow
def test_notebook_runs_under_papermill_on_a_fixture_with_a_dtks_extract(tmp_path, processed):
    papermill = pytest.importorskip("papermill")
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "reference", raw / "reference")
    (raw / "dtks").mkdir()
    (raw / "dtks" / "DTKS_1872_KOTA_METRO_202403.csv").write_text(DTKS_EXTRACT, encoding="utf-8")
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), progress_bar=False, kernel_name="python3",
        parameters={"period": str(PERIOD), "raw_dir": str(raw), "processed_dir": str(processed),
                    "reports_dir": str(tmp_path / "reports"), "staging_dir": "", "boundaries": "",
                    "min_cell": 5, "skip_unreadable": False},
    )
    folder, reports = processed / str(PERIOD), tmp_path / "reports" / str(PERIOD)
    for name in (table.name for table in OUTPUT_TABLES):
        assert (folder / name).is_file()
    for name in (CHART_RPJMD, CHART_BULANAN, MAP_DTKS):
        assert (reports / name).stat().st_size > 10_000
    ketepatan = (folder / KETEPATAN_SASARAN.name).read_text().splitlines()
    assert ketepatan[1] == "kota,18.72,Kota Metro,4,2,50.00,4,2,50.00"     # p5, p6 of p1, p5, p6, p8
    assert json.loads((folder / RINGKASAN_DTKS).read_text())["baris_nik_valid"] == 4
    text = out.read_text()
    assert "Invarian tahap 3 terpenuhi." in text
    assert "Rahasia" not in text and "1872**" not in text
    assert not any(pid(p) in text for p in ("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"))
    written = [path.read_bytes() for path in (*folder.iterdir(), *reports.iterdir(), out) if path.is_file()]
    for secret in (*DTKS_ONLY, nik_of("p5"), "HANYA DTKS", "NAMA DTKS", "1872030000000002"):
        assert not any(secret.encode() in content for content in written), secret
    program = nbformat.read(out, as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in program.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "Sangat Rendah" in html and "sesuai jalur" in html and "sementara" in html
    assert "Ketepatan sasaran" in text and "terdaftar di DTKS" in text
