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
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kmc_analysis.disclosure import small_count_mask
from kmc_analysis.errors import InputError, ReferenceDataError, StageError
from kmc_analysis.paths import RunPaths, months_to_date
from kmc_analysis.periods import NAMA_BULAN
from kmc_analysis.reference import ReferenceData, catalogue_opds, population_by_kelurahan

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler

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
#: Background and text colour of each predikat in styled tables and charts.
PREDIKAT_COLOURS: dict[str, tuple[str, str]] = {
    "Sangat Tinggi": ("#1a7837", "#ffffff"),
    "Tinggi": ("#a6dba0", "#000000"),
    "Sedang": ("#fee08b", "#000000"),
    "Rendah": ("#fdae61", "#000000"),
    "Sangat Rendah": ("#d73027", "#ffffff"),
}
CAPAIAN_DECIMALS = 2
POLARITAS = ("positif", "negatif")
RPJMD_YEARS = tuple(range(2021, 2027))
RPJMD_FINAL_YEAR = RPJMD_YEARS[-1]
TARGET_COLUMNS = tuple(f"target_{year}" for year in RPJMD_YEARS)

#: KMC-derived indicators (``sumber = kmc``), by ``metrik_kmc``.
KMC_METRICS = (
    "penerima_unik",
    "jenis_bantuan_tersalur",
    "kelengkapan_opd_persen",
    "persen_baris_valid",
    "penerima_per_1000",
)
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
CHART_RPJMD = "grafik_tren_rpjmd.png"
CHART_BULANAN = "grafik_tren_bulanan.png"


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


# --- year to date ---------------------------------------------------------------------

_PENERIMA_USED = ["id_penerima", "kode_bantuan", "opd", "nominal"]
_REKAP_USED = ["opd", "baris_dibaca", "baris_diterima", "baris_karantina"]
_COUNT_KEYS = ["rows_read", "rows_accepted", "rows_quarantined"]


@dataclass(frozen=True)
class YearToDate:
    """Stage 1 outputs of every processed month of the period's year, January to the period.

    ``penerima`` holds only bulan, id_penerima, kode_bantuan, opd, nominal (no name or NIK
    is ever read here); ``rekap_opd`` bulan, opd, baris_dibaca, baris_diterima,
    baris_karantina; ``counts`` bulan, rows_read, rows_accepted, rows_quarantined.
    """

    period: str
    months: tuple[str, ...]
    missing_months: tuple[str, ...]
    penerima: pd.DataFrame
    rekap_opd: pd.DataFrame
    counts: pd.DataFrame

    @property
    def year(self) -> int:
        """The period's year."""
        return int(self.period[:4])

    @property
    def months_elapsed(self) -> int:
        """Months of the year up to and including the period (processed or not)."""
        return int(self.period[5:7])

    def submitting_opds(self) -> set[str]:
        """OPDs with at least one row read in the year (rekap_opd), or an accepted row."""
        read = self.rekap_opd.groupby("opd")["baris_dibaca"].sum()
        return set(read.index[read > 0]) | set(self.penerima["opd"].dropna())


def _read_rekap_opd(path: Path) -> pd.DataFrame:
    """Read a month's rekap_opd.csv, keeping the counts used here."""
    frame = pd.read_csv(path, dtype={"opd": "str"})
    missing = [c for c in _REKAP_USED if c not in frame.columns]
    if missing:
        raise StageError(f"{path} tidak memuat kolom {', '.join(missing)}: jalankan ulang tahap 1 untuk bulan itu.")
    counts = frame[_REKAP_USED[1:]].apply(pd.to_numeric, errors="coerce").fillna(0).astype("int64")
    return pd.concat([frame[["opd"]], counts], axis=1)


def _month_counts(folder: Path, rekap: pd.DataFrame | None, accepted: int) -> dict[str, float]:
    """Rows read / accepted / quarantined of a month: manifest, else rekap_opd, else the parquet."""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        counts = json.loads(manifest.read_text(encoding="utf-8")).get("counts", {})
        if all(k in counts for k in _COUNT_KEYS):
            return {k: counts[k] for k in _COUNT_KEYS}
    if rekap is not None:
        return {"rows_read": rekap["baris_dibaca"].sum(), "rows_accepted": rekap["baris_diterima"].sum(),
                "rows_quarantined": rekap["baris_karantina"].sum()}
    return {"rows_read": pd.NA, "rows_accepted": accepted, "rows_quarantined": pd.NA}


def load_year_to_date(paths: RunPaths) -> YearToDate:
    """Read the processed months of the period's year up to the period; absent months are listed.

    A month counts as processed when its folder holds ``penerima.parquet``. The period's
    own month must be there (stage 1 writes it): else InputError.
    """
    penerima, rekap, counts, present, absent = [], [], [], [], []
    for month in months_to_date(paths.period):
        folder = paths.processed_for(month)
        if not (folder / "penerima.parquet").is_file():
            absent.append(month)
            continue
        present.append(month)
        rows = pd.read_parquet(folder / "penerima.parquet", columns=_PENERIMA_USED)
        penerima.append(rows.assign(bulan=month))
        month_rekap = _read_rekap_opd(folder / "rekap_opd.csv") if (folder / "rekap_opd.csv").is_file() else None
        if month_rekap is not None:
            rekap.append(month_rekap.assign(bulan=month))
        counts.append({"bulan": month, **_month_counts(folder, month_rekap, len(rows))})
    if paths.period in absent:
        raise InputError(
            f"Data olahan bulan {paths.period} tidak ditemukan ({paths.processed_for(paths.period)}"
            f"/penerima.parquet): jalankan tahap 1 (01_clean_opd_data) untuk periode ini dulu."
        )
    penerima_all = pd.concat(penerima, ignore_index=True)  # never empty: the period itself is there
    rekap_all = (pd.concat(rekap, ignore_index=True) if rekap else
                 pd.DataFrame({"bulan": pd.Series(dtype="str"), "opd": pd.Series(dtype="str"),
                               **{c: pd.Series(dtype="int64") for c in _REKAP_USED[1:]}}))
    counts_all = pd.DataFrame(counts, columns=["bulan", *_COUNT_KEYS]).astype({k: "Int64" for k in _COUNT_KEYS})
    return YearToDate(paths.period, tuple(present), tuple(absent),
                      penerima_all[["bulan", *_PENERIMA_USED]], rekap_all[["bulan", *_REKAP_USED]], counts_all)


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
        return dict.fromkeys(KMC_METRICS, math.nan)
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


def _is_percent(column: str) -> bool:
    """Percent-like columns are written and shown with exactly 2 decimals."""
    return "persen" in column or column.endswith("rata2")


def csv_text(table: pd.DataFrame) -> str:
    """A table as deterministic CSV text: percent-like columns with 2 decimals, empty for missing."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = _text_of_floats(out[column], fixed=_is_percent(column))
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


# --- charts -----------------------------------------------------------------------------------

def _new_figure(width: float, height: float) -> Figure:
    """A pyplot-free Figure (no global state, no backend needed to save it)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    return path


_STATUS_COLOURS = {SESUAI_JALUR: "#1a7837", TIDAK_SESUAI_JALUR: "#d73027", DATA_KURANG: "#6f6f6f"}


def plot_rpjmd_trend(tren: pd.DataFrame, path: Path, period: str) -> Path:
    """Small multiples of realisasi against target per indicator (grafik_tren_rpjmd.png)."""
    from matplotlib.lines import Line2D

    codes = list(dict.fromkeys(tren["kode_indikator"]))
    ncols = max(1, min(3, len(codes)))
    nrows = max(1, math.ceil(len(codes) / ncols))
    figure = _new_figure(4.4 * ncols, 3.3 * nrows + 0.8)
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False)).ravel()
    projection_col = f"proyeksi_{RPJMD_FINAL_YEAR}"
    for ax, code in zip(axes, codes):
        rows = tren.loc[tren["kode_indikator"] == code]
        status = rows["status_jalur"].iloc[0]
        ax.plot(rows["tahun"], rows["target"], ls="--", marker="o", ms=3, color="#7f7f7f")
        real = rows.dropna(subset=["realisasi"])
        final = real.loc[real["realisasi_sementara"] == "tidak"]
        ax.plot(final["tahun"], final["realisasi"], marker="o", color="#2166ac")
        partial = real.loc[real["realisasi_sementara"] == "ya"]
        ax.plot(partial["tahun"], partial["realisasi"], ls="none", marker="o", mfc="white", color="#2166ac")
        projection = rows[projection_col].iloc[0]
        if not final.empty and not math.isnan(projection) and final["tahun"].iloc[-1] < RPJMD_FINAL_YEAR:
            ax.plot([final["tahun"].iloc[-1], RPJMD_FINAL_YEAR], [final["realisasi"].iloc[-1], projection],
                    ls=":", color=_STATUS_COLOURS[status])
        title = textwrap.fill(f"{rows['indikator'].iloc[0]}", 40)
        ax.set_title(f"{title}\n({status})", fontsize=8.5, color=_STATUS_COLOURS[status])
        ax.set_ylabel(str(rows["satuan"].iloc[0]), fontsize=8)
        ax.set_xticks(sorted(rows["tahun"].unique()))
        ax.tick_params(labelsize=7.5)
        ax.grid(alpha=0.3)
    for ax in axes[len(codes):]:
        ax.set_visible(False)
    if not codes:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "Tidak ada indikator RPJMD", ha="center", va="center")
        axes[0].set_axis_off()
    handles = [Line2D([], [], ls="--", marker="o", ms=3, color="#7f7f7f", label="Target RPJMD"),
               Line2D([], [], marker="o", color="#2166ac", label="Realisasi"),
               Line2D([], [], ls="none", marker="o", mfc="white", color="#2166ac",
                      label=f"Realisasi sementara (s.d. {period})"),
               Line2D([], [], ls=":", color="#444444", label=f"Proyeksi tren ke {RPJMD_FINAL_YEAR}")]
    figure.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    figure.suptitle(f"Realisasi dan target indikator RPJMD {RPJMD_YEARS[0]}-{RPJMD_FINAL_YEAR} "
                    f"(data KMC s.d. {period})", fontsize=11)
    return _save(figure, path)


def month_label(month: str) -> str:
    """``2024-03`` -> ``Mar 2024`` (Bahasa Indonesia month abbreviation)."""
    return f"{NAMA_BULAN[int(month[5:7]) - 1][:3]} {month[:4]}"


def plot_monthly_trend(trend: pd.DataFrame, path: Path, period: str) -> Path:
    """Beneficiaries, amounts paid and valid-row share per processed month (grafik_tren_bulanan.png)."""
    figure = _new_figure(13, 3.9)
    left, middle, right = figure.subplots(1, 3)
    labels = [month_label(m) for m in trend["bulan"]]
    x = np.arange(len(labels))
    left.bar(x, trend["penerima_unik"], color="#92c5de", label="Penerima unik bulan ini")
    left.plot(x, trend["penerima_unik_kumulatif"], marker="o", color="#2166ac", label="Kumulatif tahun berjalan")
    left.set_title("Penerima unik", fontsize=10)
    left.set_ylabel("orang")
    left.legend(fontsize=7.5, frameon=False)
    middle.bar(x, trend["nilai_total"] / 1e6, color="#4393c3")
    middle.set_title("Nilai penyaluran", fontsize=10)
    middle.set_ylabel("juta Rupiah")
    right.plot(x, trend["persen_baris_valid"], marker="o", color="#1a7837")
    right.set_ylim(0, 105)
    right.set_title("Baris data valid", fontsize=10)
    right.set_ylabel("persen")
    for ax in (left, middle, right):
        ax.set_xticks(x, labels, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        if not labels:
            ax.text(0.5, 0.5, "Belum ada data olahan", ha="center", va="center", transform=ax.transAxes)
    figure.suptitle(f"Tren bulanan KMC tahun {period[:4]} (s.d. {month_label(period)})", fontsize=11)
    return _save(figure, path)


# --- what a planner reads ---------------------------------------------------------------------

def format_id(value: object, fixed: bool = False) -> str:
    """A number the Indonesian way: 1.234.567, 7,87 or (``fixed``) 91,00; text as is; missing as "–"."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    number = float(value)
    if fixed:
        text = f"{number:,.2f}"
    elif number == round(number):
        text = f"{number:,.0f}"
    else:
        text = f"{number:,.6f}".rstrip("0")
    return text.replace(",", "#").replace(".", ",").replace("#", ".")


def mask_program_counts(program: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """evaluasi_program for publication: penerima 1..min_cell-1 shown as ``<min_cell``.

    A program can be local (paid through one kecamatan office), so its count is treated
    as below city level. The columns that would give the count back (capaian, nilai,
    serapan) are blanked on those rows; predikat stays (it only gives a range).
    """
    small = small_count_mask(program["penerima_unik"], min_cell).fillna(False).to_numpy(dtype=bool)
    shown = program.astype({"penerima_unik": "object", "nilai_total": "object"})
    shown.loc[small, "penerima_unik"] = f"<{min_cell}"
    for column in ("capaian_penerima_persen", "nilai_total", "serapan_anggaran_persen", "capaian_serapan_persen"):
        shown.loc[small, column] = np.nan
    return shown


def _predikat_css(value: object) -> str:
    colours = PREDIKAT_COLOURS.get(value if isinstance(value, str) else "")
    return f"background-color: {colours[0]}; color: {colours[1]}" if colours else ""


def _status_css(value: object) -> str:
    colour = _STATUS_COLOURS.get(value if isinstance(value, str) else "")
    return f"color: {colour}; font-weight: bold" if colour else ""


def style_table(table: pd.DataFrame) -> Styler:
    """Styler for the notebook: predikat cells coloured by band, numbers the Indonesian way, no index."""
    numeric = [c for c in table.columns if c != "tahun" and (pd.api.types.is_numeric_dtype(table[c])
                                                             or c in ("penerima_unik", "nilai_total"))]
    styler = table.style.hide(axis="index").format(escape="html")
    styler = styler.relabel_index([c.replace("_", " ") for c in table.columns], axis="columns")
    for column in numeric:
        styler = styler.format(lambda v, fixed=_is_percent(column): html.escape(format_id(v, fixed)), subset=[column])
    marked = [c for c in table.columns if c.startswith("predikat")]
    if marked:
        styler = styler.map(_predikat_css, subset=marked)
    if "status_jalur" in table.columns:
        styler = styler.map(_status_css, subset=["status_jalur"])
    return styler


def _names(values: Iterable[str], limit: int = 6) -> str:
    items = list(values)
    shown = ", ".join(items[:limit])
    return f"{shown}, dan {len(items) - limit} lainnya" if len(items) > limit else shown


def summary_markdown(evaluation: Evaluation) -> str:
    """A short Bahasa Indonesia narrative of the evaluation, computed from its tables."""
    year = _year_of(evaluation.period)
    lines = []
    months = ", ".join(month_label(m) for m in evaluation.months)
    lines.append(f"- Data olahan tahun berjalan: **{months}**; penduduk kota {year}: "
                 f"{format_id(evaluation.penduduk_kota)} jiwa (dasar penerima per 1.000 penduduk).")
    if evaluation.missing_months:
        lines.append(f"- Bulan tanpa data olahan (tidak ikut dihitung): "
                     f"{', '.join(month_label(m) for m in evaluation.missing_months)}.")
    now = evaluation.rpjmd.loc[evaluation.rpjmd["tahun"] == year]
    rated = now.loc[now["predikat"] != ""]
    counts = rated["predikat"].value_counts()
    bands = ", ".join(f"{counts[label]} {label}" for label in PREDIKAT_LABELS if label in counts)
    lines.append(f"- Indikator RPJMD tahun {year}: {len(rated)} dari {len(now)} dapat dinilai"
                 + (f" ({bands})" if bands else "") + ".")
    empty = now.loc[now["predikat"] == "", "indikator"]
    if len(empty):
        lines.append(f"- Belum dapat dinilai (target atau realisasi {year} belum ada): {_names(empty)}.")
    partial = evaluation.tren_rpjmd.loc[(evaluation.tren_rpjmd["tahun"] == year)
                                        & (evaluation.tren_rpjmd["realisasi_sementara"] == "ya"), "kode_indikator"]
    low = rated.loc[rated["predikat"].isin(["Rendah", "Sangat Rendah"])]
    if len(low):
        names = low["indikator"].where(~low["kode_indikator"].isin(partial), low["indikator"] + " (sementara)")
        lines.append(f"- Capaian rendah tahun {year}: {_names(names)}.")
    status = indicator_status(evaluation.tren_rpjmd)
    for label, verb in ((SESUAI_JALUR, "**Sesuai jalur** menuju target"),
                        (TIDAK_SESUAI_JALUR, "**Tidak sesuai jalur** menuju target"),
                        (DATA_KURANG, "Data belum cukup untuk menilai jalur menuju target")):
        names = status.loc[status["status_jalur"] == label, "indikator"]
        if len(names):
            lines.append(f"- {verb} {RPJMD_FINAL_YEAR}: {_names(names)}.")
    program = evaluation.program
    no_data = program.loc[program["penerima_unik"].isna()]
    if len(no_data):
        lines.append(f"- OPD yang belum mengirim data tahun ini: {_names(sorted(no_data['opd'].unique()))} "
                     f"({len(no_data)} program belum dapat dinilai).")
    weak = program.loc[program["predikat_penerima"] == "Sangat Rendah", "nama_bantuan"]
    if len(weak):
        lines.append(f"- Program dengan capaian penerima Sangat Rendah (di bawah 51% target setahun): "
                     f"{_names(weak)}.")
    behind = program.loc[program["predikat_serapan"].isin(["Rendah", "Sangat Rendah"]), "nama_bantuan"]
    if len(behind):
        lines.append(f"- Serapan anggaran tertinggal dari porsi {format_id(program['target_serapan_persen'].iloc[0], True)}% "
                     f"tahun berjalan: {_names(behind)}.")
    return "\n".join(lines)


def reference_note(ref: ReferenceData) -> str:
    """A footnote saying which reference tables are the bundled (illustrative or estimated) defaults."""
    sources = getattr(ref, "sources", {}) or {}
    bundled = [name for name in ("rpjmd_indikator", "rpjmd_realisasi", "program_bantuan", "penduduk")
               if sources.get(name) == "bawaan"]
    if not bundled:
        return ""
    return (f"Catatan: tabel {', '.join(bundled)} memakai data bawaan workbook. Target RPJMD dan katalog bantuan "
            f"bawaan bersifat ilustratif dan jumlah penduduk per kelurahan adalah perkiraan; ganti dengan data "
            f"resmi di folder reference/ agar evaluasi ini dapat dipakai.")
