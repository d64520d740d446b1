"""The tables of stage 3: RPJMD indicators, programs, OPDs and trends, year to date.

Every table applies the rules of :mod:`kmc_analysis.evaluation.capaian` to the stage 1
outputs of the year (:mod:`kmc_analysis.evaluation.year_to_date`) and the reference
tables: ``evaluate_period`` computes them all for one period. The stage's charts are drawn
by :mod:`kmc_analysis.evaluation.charts`; what the notebook shows a planner (styled
tables, summary) is in :mod:`kmc_analysis.evaluation.display`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.counting import distinct_per_group, sum_per_group
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import (
    METRIK_KMC,
    TARGET_COLUMNS,
    ReferenceData,
    catalogue_opds,
    population_by_kelurahan,
)
from kmc_analysis.core.store import (
    EVALUASI_OPD,
    EVALUASI_PROGRAM,
    EVALUASI_RPJMD,
    TREN_BULANAN,
    TREN_RPJMD,
    TableFile,
    write_table,
)
from kmc_analysis.evaluation.capaian import (
    RPJMD_FINAL_YEAR,
    RPJMD_YEARS,
    as_floats,
    capaian,
    evaluate,
    predikat,
    round_half_up,
    round_scalar,
    trend_projection,
)
from kmc_analysis.evaluation.in_year import (
    FINAL,
    SEMENTARA,
    judgement,
    normalise_satuan,
    program_windows,
    rpjmd_comparison,
    satuan_notes,
)
from kmc_analysis.evaluation.year_to_date import YearToDate

#: KMC-derived metrics (``metrik_kmc`` of ``sumber = kmc`` indicators) are reference.METRIK_KMC.
#: Metrics that only grow over the year: a year-to-date value before December is provisional
#: and is left out of the yearly trend (a March count is not a full-year count).
CUMULATIVE_METRICS = frozenset({"penerima_unik", "jenis_bantuan_tersalur", "penerima_per_1000"})

#: Each table of stage 3 and the Evaluation attribute holding it.
OUTPUT_TABLES: dict[TableFile, str] = {
    EVALUASI_RPJMD: "rpjmd",
    EVALUASI_PROGRAM: "program",
    EVALUASI_OPD: "opd",
    TREN_BULANAN: "tren_bulanan",
    TREN_RPJMD: "tren_rpjmd",
}


# --- KMC-derived indicators, year to date ------------------------------------------------

def _valid_share(counts: pd.DataFrame) -> float:
    """Summed rows accepted over summed rows read x 100 (2 decimals); NaN when nothing was read."""
    known = counts.dropna(subset=["rows_read"])
    read = float(known["rows_read"].sum())
    return round_scalar(known["rows_accepted"].sum() * 100 / read) if read > 0 else math.nan


def kmc_indicator_values(ytd: YearToDate, opds: Iterable[str], penduduk_kota: float) -> dict[str, float]:
    """Year-to-date value of every ``metrik_kmc`` (shares and rates rounded to 2 decimals; NaN if undefined).

    ``opds`` are the catalogue's OPDs: kelengkapan_opd_persen is the share of them with at
    least one row read this year.
    """
    if not ytd.months:
        return dict.fromkeys(METRIK_KMC, math.nan)
    opds = set(opds)
    person = ytd.penerima["orang"]
    penerima_unik = person[person >= 0].nunique()  # -1: no pseudonym
    kelengkapan = len(opds & ytd.submitting_opds()) * 100 / len(opds) if opds else math.nan
    per_1000 = penerima_unik * 1000 / penduduk_kota if penduduk_kota and penduduk_kota > 0 else math.nan
    return {
        "penerima_unik": float(penerima_unik),
        "jenis_bantuan_tersalur": float(len(ytd.row_programs[1])),
        "kelengkapan_opd_persen": round_scalar(kelengkapan),
        "persen_baris_valid": _valid_share(ytd.counts),
        "penerima_per_1000": round_scalar(per_1000),
    }


def city_population(ref: ReferenceData, year: int) -> float:
    """Residents of the whole city in ``year``: the sum of ``population_by_kelurahan``."""
    return float(population_by_kelurahan(ref, year)["penduduk"].sum())


# --- RPJMD -------------------------------------------------------------------------------

def rpjmd_series(indikator: pd.DataFrame, realisasi: pd.DataFrame, period: Period,
                 kmc_values: dict[str, float], last_year: int | None = None) -> pd.DataFrame:
    """One row per indicator and year from 2021 to ``last_year`` (default: the period's year).

    Targets come from target_2021 ... target_2026 (a later year has none); realisasi from
    ``realisasi`` up to the period's year, except that ``sumber = kmc`` indicators take the
    computed year-to-date value in the period's year. Columns: the indicator's columns,
    tahun, target, realisasi, sumber_realisasi, realisasi_sementara (bool). The tables are
    taken as ``load_reference`` validated them (one realisasi per indicator and year, known
    ``metrik_kmc``).
    """
    year = period.year
    last = year if last_year is None else last_year
    base = indikator[["kode_indikator", "indikator", "satuan", "polaritas", "sumber", "metrik_kmc"]].fillna("")
    base["_urutan"] = range(len(base))
    years = pd.DataFrame({"tahun": range(RPJMD_YEARS[0], last + 1)})
    long = base.merge(years, how="cross")
    targets = indikator[["kode_indikator", *TARGET_COLUMNS]].melt(
        id_vars="kode_indikator", var_name="tahun", value_name="target")
    targets["tahun"] = targets["tahun"].str.removeprefix("target_").astype("int64")
    long = long.merge(targets, on=["kode_indikator", "tahun"], how="left")

    given = realisasi.loc[realisasi["tahun"] <= year].copy()
    given["sumber_realisasi"] = (given["sumber"].fillna("") if "sumber" in given else "")
    given["sumber_realisasi"] = given["sumber_realisasi"].mask(given["sumber_realisasi"] == "", "rpjmd_realisasi.csv")
    long = long.merge(given[["kode_indikator", "tahun", "realisasi", "sumber_realisasi"]],
                      on=["kode_indikator", "tahun"], how="left")
    long["target"] = as_floats(long["target"])
    long["realisasi"] = as_floats(long["realisasi"])
    long["sumber_realisasi"] = long["sumber_realisasi"].fillna("")

    computed = pd.Series(as_floats(long["metrik_kmc"].map(kmc_values)), index=long.index)
    use = (long["sumber"] == "kmc") & (long["tahun"] == year) & computed.notna()
    long.loc[use, "realisasi"] = computed[use]
    long.loc[use, "sumber_realisasi"] = f"data KMC s.d. {period}"
    partial_year = period.month < 12
    long["realisasi_sementara"] = use & long["metrik_kmc"].isin(CUMULATIVE_METRICS) & partial_year
    return long.sort_values(["_urutan", "tahun"], kind="stable").drop(columns="_urutan").reset_index(drop=True)


def rpjmd_table(series: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The evaluasi_rpjmd table: one row per indicator and year 2021..period's year, with capaian and predikat.

    ``target`` stays the plan's annual target; ``target_periode`` is the target actually
    compared, which capaian is computed from: target x month / 12 for KMC counts of the
    period's year before December, else the target (:func:`.in_year.rpjmd_comparison`).
    status_penilaian is ``sementara`` for KMC indicators of the period's year before
    December, ``final`` otherwise, empty where there is no capaian.
    """
    rows = series.loc[series["tahun"] <= period.year].reset_index(drop=True)
    compared = rpjmd_comparison(rows["metrik_kmc"], rows["sumber"], rows["tahun"], period)
    times, per = compared["target_kali"].to_numpy(), compared["target_bagi"].to_numpy()
    target = as_floats(rows["target"])
    rated = evaluate(as_floats(rows["realisasi"]) * per, target * times, rows["polaritas"])
    rows["target_periode"] = target * times / per
    rows["status_penilaian"] = np.where(rated["predikat"] == "", "",
                                        np.where(compared["sementara"], SEMENTARA, FINAL))
    return pd.concat([rows, rated], axis=1)[EVALUASI_RPJMD.column_names].astype({"status_penilaian": "str"})


def rpjmd_trend(series: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The tren_rpjmd table: the yearly series to 2026 with the projection and status_jalur of each indicator.

    ``series`` comes from ``rpjmd_series(..., last_year=2026 or later)``. Provisional
    year-to-date counts (``realisasi_sementara``) are drawn but not used for the trend.
    """
    year = period.year
    status = {}
    for kode, rows in series.groupby("kode_indikator", sort=False):
        usable = rows.loc[(rows["tahun"] <= year) & ~rows["realisasi_sementara"]]
        final_target = rows.loc[rows["tahun"] == RPJMD_FINAL_YEAR, "target"]
        status[kode] = trend_projection(usable["tahun"], usable["realisasi"],
                                        float(final_target.iloc[0]) if len(final_target) else math.nan,
                                        rows["polaritas"].iloc[0])
    out = series.copy()
    out[f"proyeksi_{RPJMD_FINAL_YEAR}"] = out["kode_indikator"].map(lambda k: status[k][0]).astype("float64")
    out["status_jalur"] = out["kode_indikator"].map(lambda k: status[k][1]).astype("str")
    out["realisasi_sementara"] = np.select([out["realisasi"].isna(), out["realisasi_sementara"]], ["", "ya"], "tidak")
    return out[TREN_RPJMD.column_names]


def indicator_status(tren: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator of ``tren_rpjmd``: kode, indikator, satuan, polaritas, target 2026, projection, status."""
    final = tren.loc[tren["tahun"] == RPJMD_FINAL_YEAR, ["kode_indikator", "target"]]
    first = tren.drop_duplicates("kode_indikator")[["kode_indikator", "indikator", "satuan", "polaritas",
                                                    f"proyeksi_{RPJMD_FINAL_YEAR}", "status_jalur"]]
    return first.merge(final.rename(columns={"target": f"target_{RPJMD_FINAL_YEAR}"}), on="kode_indikator",
                       how="left").reset_index(drop=True)


# --- programs and OPDs -------------------------------------------------------------------

def program_table(program_bantuan: pd.DataFrame, ytd: YearToDate) -> pd.DataFrame:
    """The evaluasi_program table: per catalogue program, judged by the in-year rule (:mod:`.in_year`).

    penerima_unik and nilai_total are year to date (distinct persons over the months).
    capaian_penerima_persen compares penerima_periode, the distinct persons paid in the
    payment period that contains the report month (periode_penilaian: the month, the
    quarter or semester so far, or January..month for once-a-year programs), with
    target_periode (target_penerima, or target_penerima x month / 12 for once-a-year ones).
    serapan_anggaran_persen = nilai_total / anggaran x 100 (annual budget, the usual
    meaning); target_serapan_persen = months elapsed / 12 x 100; capaian_serapan_persen =
    nilai_total / (anggaran x months / 12) x 100, which predikat_serapan bands.
    status_penilaian / status_serapan are ``sementara`` below plan while the payment period
    is not over, else ``final``. A program whose OPD sent no row in the year (or, for
    penerima_periode, in the payment period) has no realisasi: empty, not zero.
    """
    table = program_bantuan[["kode_bantuan", "nama_bantuan", "opd", "kategori", "target_penerima",
                             "anggaran"]].reset_index(drop=True)
    table["satuan"] = normalise_satuan(program_bantuan.get("satuan", pd.Series("", index=program_bantuan.index)))
    program, programs = ytd.row_programs
    done = pd.DataFrame({"penerima_unik": distinct_per_group(program, ytd.penerima["orang"], len(programs)),
                         "nilai_total": sum_per_group(program, ytd.penerima["nominal"], len(programs))},
                        index=programs)
    table = table.merge(done, left_on="kode_bantuan", right_index=True, how="left")
    reported = table["opd"].isin(ytd.submitting_opds())
    for column in ("penerima_unik", "nilai_total"):
        table[column] = table[column].fillna(0).astype("Int64").where(reported, pd.NA)
    for column in ("target_penerima", "anggaran"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")

    windows = program_windows(table, ytd.period)
    table["periode_penilaian"] = windows["periode_penilaian"].to_numpy()
    table["penerima_periode"] = _persons_in_windows(table, windows, ytd)
    target = as_floats(table["target_penerima"])
    times, per = windows["target_kali"].to_numpy(), windows["target_bagi"].to_numpy()
    table["target_periode"] = round_half_up(target * times / per).to_numpy()
    rated = evaluate(as_floats(table["penerima_periode"]) * per, target * times, "positif")
    table["capaian_penerima_persen"], table["predikat_penerima"] = rated["capaian_persen"], rated["predikat"]
    over = windows["periode_selesai"].to_numpy()
    table["status_penilaian"] = judgement(table["capaian_penerima_persen"], over)
    spent, budget = as_floats(table["nilai_total"]), as_floats(table["anggaran"])
    table["serapan_anggaran_persen"] = capaian(spent, budget, "positif").to_numpy()
    table["target_serapan_persen"] = round_scalar(ytd.months_elapsed * 100 / 12)
    table["capaian_serapan_persen"] = capaian(spent * 12, budget * ytd.months_elapsed, "positif").to_numpy()
    table["predikat_serapan"] = predikat(table["capaian_serapan_persen"])
    table["status_serapan"] = judgement(table["capaian_serapan_persen"], over)
    return table[EVALUASI_PROGRAM.column_names]


def _persons_in_windows(table: pd.DataFrame, windows: pd.DataFrame, ytd: YearToDate) -> pd.Series:
    """Distinct persons of each program from its window's first month to the period (<NA>: OPD sent nothing then)."""
    program, programs = ytd.row_programs
    out = pd.Series(pd.NA, index=table.index, dtype="Int64")
    for start in sorted(set(windows["bulan_awal"])):
        mine = (windows["bulan_awal"] == start).to_numpy()
        in_window = np.where(ytd.row_months >= start, program, -1)
        paid = pd.Series(distinct_per_group(in_window, ytd.penerima["orang"], len(programs)), index=programs)
        counts = table.loc[mine, "kode_bantuan"].map(paid).fillna(0).astype("Int64")
        out[mine] = counts.where(table.loc[mine, "opd"].isin(ytd.submitting_opds(start)), pd.NA)
    return out


def opd_scorecard(program: pd.DataFrame, ytd: YearToDate) -> pd.DataFrame:
    """The evaluasi_opd table: per catalogue OPD, year to date.

    program_terisi = catalogue programs with an accepted row; kelengkapan_persen =
    program_terisi / program_katalog x 100; persen_valid = summed baris_diterima / summed
    baris_dibaca x 100 (rekap_opd); capaian_penerima_rata2 = plain mean of the shown
    capaian_penerima_persen of the OPD's programs (empty ones skipped, above 100 kept);
    predikat bands that mean; status_penilaian is ``sementara`` when any of its programs'
    judgement is provisional (the mean then mixes unfinished payment periods).
    """
    work = program.assign(_terisi=(program["penerima_unik"].fillna(0) > 0).astype("int64"))
    card = work.groupby("opd", sort=False).agg(program_katalog=("kode_bantuan", "size"),
                                                program_terisi=("_terisi", "sum"),
                                                capaian_penerima_rata2=("capaian_penerima_persen", "mean"))
    card = card.reset_index()
    card["kelengkapan_persen"] = round_half_up(card["program_terisi"] * 100 / card["program_katalog"])
    rows = ytd.rekap_opd.groupby("opd")[["baris_dibaca", "baris_diterima"]].sum()
    read = card["opd"].map(rows["baris_dibaca"]).astype("float64")
    accepted = card["opd"].map(rows["baris_diterima"]).astype("float64")
    card["persen_valid"] = round_half_up((accepted * 100 / read).where(read > 0))
    card["capaian_penerima_rata2"] = round_half_up(card["capaian_penerima_rata2"])
    card["predikat"] = predikat(card["capaian_penerima_rata2"])
    provisional_opds = set(program.loc[program["status_penilaian"] == SEMENTARA, "opd"])
    card["status_penilaian"] = np.where(card["predikat"] == "", "",
                                        np.where(card["opd"].isin(provisional_opds), SEMENTARA, FINAL))
    return card[EVALUASI_OPD.column_names].astype({"status_penilaian": "str"})


# --- monthly trend ------------------------------------------------------------------------

def monthly_trend(ytd: YearToDate) -> pd.DataFrame:
    """The tren_bulanan table: one row per processed month (months without data are absent)."""
    months = pd.Index([str(month) for month in ytd.months], name="bulan")
    number = np.array([month.month for month in ytd.months], dtype="int64")
    month, person = ytd.row_months, ytd.penerima["orang"].to_numpy()
    first = np.full(int(person.max(initial=-1)) + 1, 13, dtype="int64")
    known = person >= 0
    np.minimum.at(first, person[known], month[known])  # the month each person was first paid
    trend = pd.DataFrame({
        "penerima_unik": distinct_per_group(month, person, 13)[number],
        "jumlah_penyaluran": np.bincount(month, minlength=13)[number],
        "nilai_total": sum_per_group(month, ytd.penerima["nominal"], 13)[number],
        "penerima_unik_kumulatif": np.cumsum(np.bincount(first, minlength=14)[:13])[number],
    }, index=months).astype("int64")
    counts = ytd.counts.set_index("bulan").reindex(months)
    read = counts["rows_read"].astype("float64")
    trend["persen_baris_valid"] = round_half_up((counts["rows_accepted"].astype("float64") * 100 / read)
                                                .where(read > 0)).to_numpy()
    return trend.reset_index()[TREN_BULANAN.column_names]


# --- the whole stage ------------------------------------------------------------------------

@dataclass(frozen=True)
class Evaluation:
    """Every table of stage 3 for one period, plus what they were computed from."""

    period: Period
    months: tuple[Period, ...]
    missing_months: tuple[Period, ...]
    penduduk_kota: float
    kmc_values: dict[str, float]
    rpjmd: pd.DataFrame
    program: pd.DataFrame
    opd: pd.DataFrame
    tren_bulanan: pd.DataFrame
    tren_rpjmd: pd.DataFrame
    #: Notes on how the period was judged (programs with an unknown satuan), in Bahasa Indonesia.
    notes: tuple[str, ...] = ()

    def tables(self) -> dict[TableFile, pd.DataFrame]:
        """The tables keyed by the processed table each is written as."""
        return {table: getattr(self, attr) for table, attr in OUTPUT_TABLES.items()}


def evaluate_tables(indikator: pd.DataFrame, realisasi: pd.DataFrame, program_bantuan: pd.DataFrame,
                    ytd: YearToDate, opds: Iterable[str], penduduk_kota: float) -> Evaluation:
    """Compute every stage 3 table from plain DataFrames (what ``evaluate_period`` feeds it)."""
    kmc_values = kmc_indicator_values(ytd, opds, penduduk_kota)
    series = rpjmd_series(indikator, realisasi, ytd.period, kmc_values,
                          last_year=max(ytd.year, RPJMD_FINAL_YEAR))
    program = program_table(program_bantuan, ytd)
    return Evaluation(
        period=ytd.period, months=ytd.months, missing_months=ytd.missing_months,
        penduduk_kota=penduduk_kota, kmc_values=kmc_values,
        rpjmd=rpjmd_table(series, ytd.period), program=program, opd=opd_scorecard(program, ytd),
        tren_bulanan=monthly_trend(ytd), tren_rpjmd=rpjmd_trend(series, ytd.period),
        notes=tuple(satuan_notes(program_bantuan)),
    )


def evaluate_period(ref: ReferenceData, ytd: YearToDate) -> Evaluation:
    """Compute every stage 3 table for ``ytd``'s period from the reference tables."""
    return evaluate_tables(ref.rpjmd_indikator, ref.rpjmd_realisasi, ref.program_bantuan, ytd,
                           catalogue_opds(ref), city_population(ref, ytd.year))


# --- writing -------------------------------------------------------------------------------

def is_percent_column(column: str) -> bool:
    """Percent-like columns are shown with exactly 2 decimals (and written so: see the store)."""
    return "persen" in column or column.endswith("rata2")


def write_tables(evaluation: Evaluation, folder: Path) -> list[Path]:
    """Write the evaluation and trend tables into ``folder``; return their paths."""
    return [write_table(folder, table, frame) for table, frame in evaluation.tables().items()]
