"""The evaluation rules of stage 3: capaian, predikat and its bands, rounding, on-track status.

The rules are stated once, in this module: the constants below hold the
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
  it against the share of the year elapsed (months / 12), see ``tables.program_table``.
- Within a year the in-year rule of :mod:`kmc_analysis.evaluation.in_year` decides which
  target is compared (payment rhythm, prorated targets) and which judgements are only
  provisional (``sementara``); its wording is part of ``METODE_EVALUASI``.
- On track (``sesuai jalur``): a straight line through the last ``TREND_POINTS`` yearly
  realisasi values, extrapolated to 2026, meets the 2026 target in the indicator's
  direction; fewer than two usable values or no 2026 target gives ``data kurang``.

The tables that apply these rules are built by :mod:`kmc_analysis.evaluation.tables`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from kmc_analysis.core.errors import ReferenceDataError
from kmc_analysis.core.reference import POLARITAS, RPJMD_YEARS

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
RPJMD_FINAL_YEAR = RPJMD_YEARS[-1]

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
  tabel realisasi RPJMD. Sebelum Desember penilaiannya **sementara**: indikator jumlah
  (penerima unik, jenis bantuan tersalur, dan penerima per 1.000 penduduk, yang ikut
  bertambah sepanjang tahun seperti jumlah) dibandingkan dengan target setahun x bulan / 12
  (kolom `target_periode`); indikator persentase (kelengkapan OPD, baris data valid) dengan
  target setahun. Kolom `target` tetap target setahun dalam RPJMD; capaian dihitung dari
  target yang benar-benar dibandingkan (`target_periode`). Desember memakai target setahun.
  Nilai sementara belum dipakai untuk tren tahunan.
- Program bantuan dinilai menurut irama pembayarannya (kolom `satuan` katalog). Program
  per bulan, per triwulan dan per semester: penerima unik pada periode pembayaran yang memuat
  bulan laporan (bulan itu; triwulan atau semester berjalan sampai bulan laporan) dibandingkan
  dengan target penerima. Program sekali atau per tahun (juga satuan yang kosong atau tidak
  dikenal): penerima unik Januari s.d. bulan laporan dibandingkan dengan target x bulan / 12.
- Selama periode pembayaran (atau tahun) belum selesai, program yang belum mencapai rencana
  diberi status **sementara**: capaiannya dihitung tetapi tidak dinilai gagal, dan temuan serta
  rekomendasi hanya menyebut yang tertinggal dengan penilaian **final**.
- Serapan anggaran = nilai penyaluran tahun berjalan / anggaran setahun x 100; predikat
  serapan membandingkannya dengan anggaran x bulan / 12 (porsi tahun yang sudah berjalan),
  dengan status sementara atau final menurut aturan yang sama.
- Ketepatan sasaran (bila ada ekstrak DTKS): penerima bulan laporan dari program untuk rumah
  tangga miskin (`sasaran_miskin = ya`) dicocokkan dengan DTKS lewat pseudonim NIK yang sama;
  lihat tabel ketepatan sasaran.
- Status jalur menuju {RPJMD_FINAL_YEAR}: garis lurus melalui paling banyak {TREND_POINTS}
  nilai realisasi tahunan terakhir diperpanjang sampai {RPJMD_FINAL_YEAR}; **sesuai jalur**
  bila proyeksinya mencapai target {RPJMD_FINAL_YEAR} (indikator negatif: tidak melebihi
  target), **tidak sesuai jalur** bila tidak, **data kurang** bila realisasi tahunan kurang
  dari dua titik atau target {RPJMD_FINAL_YEAR} tidak ada.
"""

# --- capaian and predikat -----------------------------------------------------------------

def as_floats(values: object, index: pd.Index | None = None) -> np.ndarray:
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
    scaled = np.round(as_floats(values, index) * scale, 6)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / scale + 0.0  # + 0.0: no "-0.00"
    return pd.Series(rounded, index=index, dtype="float64")


def capaian(realisasi: object, target: object, polaritas: object) -> pd.Series:
    """Capaian in percent, rounded to 2 decimals; NaN where target or realisasi is missing or target is zero.

    ``polaritas`` is ``positif`` or ``negatif``, per row or one value for all rows.
    """
    index = _index_of(realisasi, target, polaritas)
    real, goal = as_floats(realisasi, index), as_floats(target, index)
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
    value = as_floats(capaian_persen, index)
    conditions = [value >= lower for lower, _ in PREDIKAT_BANDS]  # NaN compares False everywhere
    labels = np.select(conditions, list(PREDIKAT_LABELS), default="")
    return pd.Series(labels, index=index, dtype="str")


def evaluate(realisasi: object, target: object, polaritas: object) -> pd.DataFrame:
    """Capaian (2 decimals) and predikat banded on that rounded capaian, one row per input row."""
    value = capaian(realisasi, target, polaritas)
    return pd.DataFrame({"capaian_persen": value, "predikat": predikat(value)})


def round_scalar(value: float) -> float:
    """One number rounded half up to 2 decimals (NaN stays NaN)."""
    return float(round_half_up([value]).iloc[0])


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
        projection = round_scalar(slope * final_year + intercept)
    else:
        return math.nan, DATA_KURANG
    if math.isnan(target):
        return projection, DATA_KURANG
    met = projection <= target if polaritas.strip().lower() == "negatif" else projection >= target
    return projection, SESUAI_JALUR if met else TIDAK_SESUAI_JALUR
