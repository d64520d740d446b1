"""Evaluate KMC against the RPJMD 2021-2026 targets and the program targets (stage 3).

The evaluation rules are stated once, in this module: the constants below hold the
numbers and ``METODE_EVALUASI`` is their Bahasa Indonesia wording, printed verbatim in the
report. Source: Permendagri 86/2017 practice for evaluating an RPJMD (capaian kinerja).

- capaian = realisasi / target x 100 for ``positif`` indicators and
  (2 x target - realisasi) / target x 100 for ``negatif`` ones, computed vectorised from
  the values as written in the output (KMC realisasi are rounded to 2 decimals first).
- capaian is rounded half up to 2 decimals (as Excel's ROUND does: 90.995 -> 91.00) and
  the predikat is banded on that rounded value, so the table never shows 91.00 rated
  Tinggi. Bands: >= 91 Sangat Tinggi, >= 76 Tinggi, >= 66 Sedang, >= 51 Rendah, otherwise
  Sangat Rendah. A capaian above 100 is kept as computed and rated Sangat Tinggi; a
  negative one (negatif indicator far worse than target) is kept and rated Sangat Rendah.
- A missing target or realisasi leaves capaian and predikat empty (NaN / ""), never zero.
  A target of zero also leaves them empty: the ratio is undefined.
- Budget absorption (serapan) is nilai_total over the annual anggaran; its predikat rates
  it against the share of the year elapsed (months / 12), see ``program_table``.
- On track (``sesuai jalur``): a straight line through the last ``TREND_POINTS`` yearly
  realisasi values, extrapolated to 2026, meets the 2026 target in the indicator's
  direction; fewer than two usable values or no 2026 target gives ``data kurang``.

The stage's charts are drawn by :mod:`kmc_analysis.evaluation.charts`; what the notebook
shows a planner (styled tables, summary) is in :mod:`kmc_analysis.evaluation.display`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.errors import ReferenceDataError
from kmc_analysis.core.reference import (
    METRIK_KMC,
    POLARITAS,
    TARGET_COLUMNS,
    ReferenceData,
    catalogue_opds,
    population_by_kelurahan,
)
from kmc_analysis.evaluation.year_to_date import YearToDate

# --- the rules -------------------------------------------------------------------------

#: Lower bound of each predikat band, best first (Permendagri 86/2017 practice).
PREDIKAT_BANDS: tuple[tuple[float, str], ...] = (
    (91.0, "Sangat Tinggi"),
    (76.0, "Tinggi"),
    (66.0, "Sedang"),
    (51.0, "Rendah"),
    (-math.inf, "Sangat Rendah"),
)
PREDIKAT_LABELS: tuple[str, ...] = tuple(label for _, label in PREDIKAT_BANDS)


def _band_ranges() -> tuple[tuple[str, str], ...]:
    """Each predikat band's capaian range in words, best first: ``("76 – < 91", "Tinggi")``."""
    ranges, upper = [], None
    for lower, label in PREDIKAT_BANDS:
        if upper is None:
            text = f"≥ {lower:g}"
        elif lower == -math.inf:
            text = f"< {upper:g}"
        else:
            text = f"{lower:g} – < {upper:g}"
        ranges.append((text, label))
        upper = lower
    return tuple(ranges)


#: The bands as printed in the report: ("≥ 91", "Sangat Tinggi"), ("76 – < 91", "Tinggi"), ...
PREDIKAT_RANGES: tuple[tuple[str, str], ...] = _band_ranges()

CAPAIAN_DECIMALS = 2
#: The RPJMD years: those of rpjmd_indikator's target columns (target_2021 ... target_2026).
RPJMD_YEARS = tuple(int(column.removeprefix("target_")) for column in TARGET_COLUMNS)
RPJMD_FINAL_YEAR = RPJMD_YEARS[-1]

#: KMC-derived metrics (``metrik_kmc`` of ``sumber = kmc`` indicators) are reference.METRIK_KMC.
#: Metrics that only grow over the year: a year-to-date value before December is provisional
#: and is left out of the yearly trend (a March count is not a full-year count).
CUMULATIVE_METRICS = frozenset({"penerima_unik", "jenis_bantuan_tersalur", "penerima_per_1000"})
#: How many of the latest yearly realisasi values the on-track line is fitted through.
TREND_POINTS = 3
SESUAI_JALUR, TIDAK_SESUAI_JALUR, DATA_KURANG = "sesuai jalur", "tidak sesuai jalur", "data kurang"
STATUS_JALUR = (SESUAI_JALUR, TIDAK_SESUAI_JALUR, DATA_KURANG)

METODE_EVALUASI = f"""\
**Metode evaluasi** (praktik Permendagri 86/2017 tentang evaluasi RPJMD)

- Capaian indikator **positif** (makin tinggi makin baik) = realisasi / target x 100;
  indikator **negatif** (makin rendah makin baik) = (2 x target - realisasi) / target x 100.
- Capaian dibulatkan ke 2 desimal (setengah ke atas, seperti ROUND di Excel) dan predikat
  ditentukan dari angka yang sudah dibulatkan itu: >= 91 Sangat Tinggi, >= 76 Tinggi,
  >= 66 Sedang, >= 51 Rendah, di bawahnya Sangat Rendah. Capaian di atas 100 ditulis apa
  adanya (predikat Sangat Tinggi).
- Target atau realisasi yang tidak tersedia membuat capaian dan predikat **kosong**, bukan
  nol. Target bernilai nol juga membuat capaian kosong (pembagian tidak terdefinisi).
- Indikator bersumber data KMC dihitung dari data olahan Januari s.d. bulan laporan
  (kumulatif tahun berjalan), hanya untuk tahun laporan; tahun sebelumnya diambil dari
  tabel realisasi RPJMD. Penerima unik dan jenis bantuan yang dihitung sebelum Desember
  bersifat sementara dan belum dipakai untuk tren tahunan.
- Capaian penerima program = penerima unik tahun berjalan / target penerima setahun x 100.
  Serapan anggaran = nilai penyaluran tahun berjalan / anggaran setahun x 100; predikat
  serapan membandingkannya dengan porsi tahun yang sudah berjalan (bulan / 12 x 100).
- Status jalur menuju {RPJMD_FINAL_YEAR}: garis lurus melalui paling banyak {TREND_POINTS}
  nilai realisasi tahunan terakhir diperpanjang sampai {RPJMD_FINAL_YEAR}; **sesuai jalur**
  bila proyeksinya mencapai target {RPJMD_FINAL_YEAR} (indikator negatif: tidak melebihi
  target), **tidak sesuai jalur** bila tidak, **data kurang** bila realisasi tahunan kurang
  dari dua titik atau target {RPJMD_FINAL_YEAR} tidak ada.
"""

# --- output tables ----------------------------------------------------------------------

RPJMD_COLUMNS = ["kode_indikator", "indikator", "satuan", "polaritas", "tahun", "target", "realisasi",
                 "capaian_persen", "predikat"]
PROGRAM_COLUMNS = ["kode_bantuan", "nama_bantuan", "opd", "kategori", "penerima_unik", "target_penerima",
                   "capaian_penerima_persen", "predikat_penerima", "nilai_total", "anggaran",
                   "serapan_anggaran_persen", "predikat_serapan", "target_serapan_persen",
                   "capaian_serapan_persen"]
OPD_COLUMNS = ["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "persen_valid",
               "capaian_penerima_rata2", "predikat"]
TREN_BULANAN_COLUMNS = ["bulan", "penerima_unik", "jumlah_penyaluran", "nilai_total", "persen_baris_valid",
                        "penerima_unik_kumulatif"]
TREN_RPJMD_COLUMNS = ["kode_indikator", "indikator", "satuan", "polaritas", "tahun", "target", "realisasi",
                      "sumber_realisasi", "realisasi_sementara", f"proyeksi_{RPJMD_FINAL_YEAR}", "status_jalur"]
OUTPUT_FILES = {
    "evaluasi_rpjmd.csv": "rpjmd",
    "evaluasi_program.csv": "program",
    "evaluasi_opd.csv": "opd",
    "tren_bulanan.csv": "tren_bulanan",
    "tren_rpjmd.csv": "tren_rpjmd",
}


# --- capaian and predikat -----------------------------------------------------------------

def _floats(values: object, index: pd.Index | None = None) -> np.ndarray:
    """Return ``values`` (Series, array, list or scalar) as float64 with NaN for missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, index=index, dtype="object")
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _index_of(*candidates: object) -> pd.Index | None:
    """The index of the first pandas Series among ``candidates`` (results keep it)."""
    return next((c.index for c in candidates if isinstance(c, pd.Series)), None)


def round_half_up(values: object, decimals: int = CAPAIAN_DECIMALS) -> pd.Series:
    """Round half away from zero to ``decimals`` places, as a person (or Excel) would.

    Binary floats store 90.995 as 90.99499999..., so plain rounding gives 90.99; the
    scaled value is first cleaned to 6 decimals, which turns it back into 9099.5.
    """
    index = _index_of(values)
    scale = 10.0 ** decimals
    scaled = np.round(_floats(values, index) * scale, 6)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale + 0.0  # + 0.0: no "-0.00"
    return pd.Series(rounded, index=index, dtype="float64")


def capaian(realisasi: object, target: object, polaritas: object) -> pd.Series:
    """Capaian in percent, rounded to 2 decimals; NaN where target or realisasi is missing or target is zero.

    ``polaritas`` is ``positif`` or ``negatif``, per row or one value for all rows.
    """
    index = _index_of(realisasi, target, polaritas)
    real, goal = _floats(realisasi, index), _floats(target, index)
    if isinstance(polaritas, str):
        pol = np.full(len(goal), polaritas.strip().lower(), dtype=object)
    else:
        pol = pd.Series(polaritas, dtype="str").str.strip().str.lower().to_numpy(dtype=object)
    bad = sorted(set(pol) - set(POLARITAS))
    if bad:
        raise ReferenceDataError(
            f"Polaritas {bad} tidak dikenal: isi kolom polaritas dengan 'positif' atau 'negatif'."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(pol == "negatif", (2 * goal - real) * 100 / goal, real * 100 / goal)
    value[(goal == 0) | ~np.isfinite(value)] = np.nan
    return round_half_up(pd.Series(value, index=index))


def predikat(capaian_persen: object) -> pd.Series:
    """Band each capaian into its predikat; an empty capaian gets ``""``."""
    index = _index_of(capaian_persen)
    value = _floats(capaian_persen, index)
    conditions = [value >= lower for lower, _ in PREDIKAT_BANDS]  # NaN compares False everywhere
    labels = np.select(conditions, list(PREDIKAT_LABELS), default="")
    return pd.Series(labels, index=index, dtype="str")


def evaluate(realisasi: object, target: object, polaritas: object) -> pd.DataFrame:
    """Capaian (2 decimals) and predikat banded on that rounded capaian, one row per input row."""
    value = capaian(realisasi, target, polaritas)
    return pd.DataFrame({"capaian_persen": value, "predikat": predikat(value)})


# --- KMC-derived indicators, year to date ------------------------------------------------

def _rounded(value: float) -> float:
    """One number rounded half up to 2 decimals (NaN stays NaN)."""
    return float(round_half_up([value]).iloc[0])


def _valid_share(counts: pd.DataFrame) -> float:
    """Summed rows accepted over summed rows read x 100 (2 decimals); NaN when nothing was read."""
    known = counts.dropna(subset=["rows_read"])
    read = float(known["rows_read"].sum())
    return _rounded(known["rows_accepted"].sum() * 100 / read) if read > 0 else math.nan


def kmc_indicator_values(ytd: YearToDate, opds: Iterable[str], penduduk_kota: float) -> dict[str, float]:
    """Year-to-date value of every ``metrik_kmc`` (shares and rates rounded to 2 decimals; NaN if undefined).

    ``opds`` are the catalogue's OPDs: kelengkapan_opd_persen is the share of them with at
    least one row read this year.
    """
    if not ytd.months:
        return dict.fromkeys(METRIK_KMC, math.nan)
    opds = set(opds)
    penerima_unik = ytd.penerima["id_penerima"].nunique()
    kelengkapan = len(opds & ytd.submitting_opds()) * 100 / len(opds) if opds else math.nan
    per_1000 = penerima_unik * 1000 / penduduk_kota if penduduk_kota and penduduk_kota > 0 else math.nan
    return {
        "penerima_unik": float(penerima_unik),
        "jenis_bantuan_tersalur": float(ytd.penerima["kode_bantuan"].nunique()),
        "kelengkapan_opd_persen": _rounded(kelengkapan),
        "persen_baris_valid": _valid_share(ytd.counts),
        "penerima_per_1000": _rounded(per_1000),
    }


def city_population(ref: ReferenceData, year: int) -> float:
    """Residents of the whole city in ``year``: the sum of ``population_by_kelurahan``."""
    return float(population_by_kelurahan(ref, year)["penduduk"].sum())


# --- RPJMD -------------------------------------------------------------------------------

def _year_of(period: str) -> int:
    return int(period[:4])


def rpjmd_series(indikator: pd.DataFrame, realisasi: pd.DataFrame, period: str,
                 kmc_values: dict[str, float], last_year: int | None = None) -> pd.DataFrame:
    """One row per indicator and year from 2021 to ``last_year`` (default: the period's year).

    Targets come from target_2021 ... target_2026 (a later year has none); realisasi from
    ``realisasi`` up to the period's year, except that ``sumber = kmc`` indicators take the
    computed year-to-date value in the period's year. Columns: the indicator's columns,
    tahun, target, realisasi, sumber_realisasi, realisasi_sementara (bool). The tables are
    taken as ``load_reference`` validated them (one realisasi per indicator and year, known
    ``metrik_kmc``).
    """
    year = _year_of(period)
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
    long["target"] = _floats(long["target"])
    long["realisasi"] = _floats(long["realisasi"])
    long["sumber_realisasi"] = long["sumber_realisasi"].fillna("")

    computed = pd.Series(_floats(long["metrik_kmc"].map(kmc_values)), index=long.index)
    use = (long["sumber"] == "kmc") & (long["tahun"] == year) & computed.notna()
    long.loc[use, "realisasi"] = computed[use]
    long.loc[use, "sumber_realisasi"] = f"data KMC s.d. {period}"
    partial_year = int(period[5:7]) < 12
    long["realisasi_sementara"] = use & long["metrik_kmc"].isin(CUMULATIVE_METRICS) & partial_year
    return long.sort_values(["_urutan", "tahun"], kind="stable").drop(columns="_urutan").reset_index(drop=True)


def rpjmd_table(series: pd.DataFrame, period: str) -> pd.DataFrame:
    """evaluasi_rpjmd.csv: one row per indicator and year 2021..period's year, with capaian and predikat."""
    rows = series.loc[series["tahun"] <= _year_of(period)].reset_index(drop=True)
    rated = evaluate(rows["realisasi"], rows["target"], rows["polaritas"])
    return pd.concat([rows, rated], axis=1)[RPJMD_COLUMNS]


def trend_projection(years: Iterable[int], values: Iterable[float], target: float, polaritas: str,
                     final_year: int = RPJMD_FINAL_YEAR) -> tuple[float, str]:
    """Project yearly realisasi to ``final_year`` and say whether it meets that year's target.

    Uses the last ``TREND_POINTS`` (year, value) pairs; a value for ``final_year`` itself is
    taken as is. Returns (projection rounded to 2 decimals or NaN, status_jalur).
    """
    points = sorted((int(y), float(v)) for y, v in zip(years, values) if not math.isnan(float(v)))
    if final_year in dict(points):
        projection = dict(points)[final_year]
    elif len(points) >= 2:
        x, y = np.array(points[-TREND_POINTS:]).T
        slope, intercept = np.polyfit(x, y, 1)
        projection = _rounded(slope * final_year + intercept)
    else:
        return math.nan, DATA_KURANG
    if math.isnan(target):
        return projection, DATA_KURANG
    met = projection <= target if polaritas.strip().lower() == "negatif" else projection >= target
    return projection, SESUAI_JALUR if met else TIDAK_SESUAI_JALUR


def rpjmd_trend(series: pd.DataFrame, period: str) -> pd.DataFrame:
    """tren_rpjmd.csv: the yearly series to 2026 with the projection and status_jalur of each indicator.

    ``series`` comes from ``rpjmd_series(..., last_year=2026 or later)``. Provisional
    year-to-date counts (``realisasi_sementara``) are drawn but not used for the trend.
    """
    year = _year_of(period)
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
    return out[TREN_RPJMD_COLUMNS]


def indicator_status(tren: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator of ``tren_rpjmd``: kode, indikator, satuan, polaritas, target 2026, projection, status."""
    final = tren.loc[tren["tahun"] == RPJMD_FINAL_YEAR, ["kode_indikator", "target"]]
    first = tren.drop_duplicates("kode_indikator")[["kode_indikator", "indikator", "satuan", "polaritas",
                                                    f"proyeksi_{RPJMD_FINAL_YEAR}", "status_jalur"]]
    return first.merge(final.rename(columns={"target": f"target_{RPJMD_FINAL_YEAR}"}), on="kode_indikator",
                       how="left").reset_index(drop=True)


# --- programs and OPDs -------------------------------------------------------------------

def program_table(program_bantuan: pd.DataFrame, ytd: YearToDate) -> pd.DataFrame:
    """evaluasi_program.csv: per catalogue program, year to date, against its annual targets.

    penerima_unik counts distinct persons over the months and is compared with the annual
    target_penerima (persons are not pro-rated: a yearly list is paid in tranches).
    serapan_anggaran_persen = nilai_total / anggaran x 100 (annual budget, the usual
    meaning); target_serapan_persen = months elapsed / 12 x 100; capaian_serapan_persen =
    nilai_total / (anggaran x months / 12) x 100, which predikat_serapan bands. A program
    whose OPD sent no row at all this year has no realisasi (empty, not zero).
    """
    table = program_bantuan[["kode_bantuan", "nama_bantuan", "opd", "kategori", "target_penerima",
                             "anggaran"]].reset_index(drop=True)
    done = ytd.penerima.groupby("kode_bantuan").agg(penerima_unik=("id_penerima", "nunique"),
                                                    nilai_total=("nominal", "sum"))
    table = table.merge(done, left_on="kode_bantuan", right_index=True, how="left")
    reported = table["opd"].isin(ytd.submitting_opds())
    for column in ("penerima_unik", "nilai_total"):
        table[column] = table[column].fillna(0).astype("Int64").where(reported, pd.NA)
    for column in ("target_penerima", "anggaran"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    rated = evaluate(table["penerima_unik"], table["target_penerima"], "positif")
    table["capaian_penerima_persen"], table["predikat_penerima"] = rated["capaian_persen"], rated["predikat"]
    spent, budget = _floats(table["nilai_total"]), _floats(table["anggaran"])
    table["serapan_anggaran_persen"] = capaian(spent, budget, "positif").to_numpy()
    table["target_serapan_persen"] = _rounded(ytd.months_elapsed * 100 / 12)
    table["capaian_serapan_persen"] = capaian(spent * 12, budget * ytd.months_elapsed, "positif").to_numpy()
    table["predikat_serapan"] = predikat(table["capaian_serapan_persen"])
    return table[PROGRAM_COLUMNS]


def opd_scorecard(program: pd.DataFrame, ytd: YearToDate) -> pd.DataFrame:
    """evaluasi_opd.csv: per catalogue OPD, year to date.

    program_terisi = catalogue programs with an accepted row; kelengkapan_persen =
    program_terisi / program_katalog x 100; persen_valid = summed baris_diterima / summed
    baris_dibaca x 100 (rekap_opd); capaian_penerima_rata2 = plain mean of the shown
    capaian_penerima_persen of the OPD's programs (empty ones skipped, above 100 kept);
    predikat bands that mean.
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
    return card[OPD_COLUMNS]


# --- monthly trend ------------------------------------------------------------------------

def monthly_trend(ytd: YearToDate) -> pd.DataFrame:
    """tren_bulanan.csv: one row per processed month (months without data are absent)."""
    months = pd.Index(ytd.months, name="bulan")
    grouped = ytd.penerima.groupby("bulan")
    trend = pd.DataFrame({
        "penerima_unik": grouped["id_penerima"].nunique(),
        "jumlah_penyaluran": grouped.size(),
        "nilai_total": grouped["nominal"].sum(),
    }).reindex(months).fillna(0).astype("int64")
    first_seen = ytd.penerima.groupby("id_penerima")["bulan"].min().value_counts()
    trend["penerima_unik_kumulatif"] = first_seen.reindex(months, fill_value=0).cumsum().astype("int64")
    counts = ytd.counts.set_index("bulan").reindex(months)
    read = counts["rows_read"].astype("float64")
    trend["persen_baris_valid"] = round_half_up((counts["rows_accepted"].astype("float64") * 100 / read)
                                                .where(read > 0)).to_numpy()
    return trend.reset_index()[TREN_BULANAN_COLUMNS]


# --- the whole stage ------------------------------------------------------------------------

@dataclass(frozen=True)
class Evaluation:
    """Every table of stage 3 for one period, plus what they were computed from."""

    period: str
    months: tuple[str, ...]
    missing_months: tuple[str, ...]
    penduduk_kota: float
    kmc_values: dict[str, float]
    rpjmd: pd.DataFrame
    program: pd.DataFrame
    opd: pd.DataFrame
    tren_bulanan: pd.DataFrame
    tren_rpjmd: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Output file name -> table."""
        return {name: getattr(self, attr) for name, attr in OUTPUT_FILES.items()}


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
    )


def evaluate_period(ref: ReferenceData, ytd: YearToDate) -> Evaluation:
    """Compute every stage 3 table for ``ytd``'s period from the reference tables."""
    return evaluate_tables(ref.rpjmd_indikator, ref.rpjmd_realisasi, ref.program_bantuan, ytd,
                           catalogue_opds(ref), city_population(ref, ytd.year))


# --- writing -------------------------------------------------------------------------------

def _text_of_floats(values: pd.Series, fixed: bool) -> pd.Series:
    """Floats as text: ``fixed`` -> always 2 decimals, else up to 6 without trailing zeros; NaN -> ""."""
    out = []
    for value in _floats(values):
        if math.isnan(value):
            out.append("")
        elif fixed:
            out.append(f"{value + 0.0:.2f}")
        else:
            out.append(f"{round(value, 6) + 0.0:.6f}".rstrip("0").rstrip("."))
    return pd.Series(out, index=values.index, dtype="str")


def is_percent_column(column: str) -> bool:
    """Percent-like columns are written and shown with exactly 2 decimals."""
    return "persen" in column or column.endswith("rata2")


def csv_text(table: pd.DataFrame) -> str:
    """A table as deterministic CSV text: percent-like columns with 2 decimals, empty for missing."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = _text_of_floats(out[column], fixed=is_percent_column(column))
    return out.to_csv(index=False, lineterminator="\n")


def write_tables(evaluation: Evaluation, folder: Path) -> list[Path]:
    """Write evaluasi_*.csv and tren_*.csv into ``folder`` (UTF-8, LF); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in evaluation.tables().items():
        path = folder / name
        path.write_text(csv_text(table), encoding="utf-8", newline="")
        written.append(path)
    return written
