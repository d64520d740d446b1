"""The program catalogue as synthesis uses it: payment rhythm, recipients' ages, poor-targeting, amounts.

``program_table`` adds to ``program_bantuan`` what drawing recipients needs:

- the payment rhythm from ``satuan`` (CONTRACT 3): ``per bulan`` pays every month;
  ``per triwulan`` and ``per semester`` pay once in each quarter or semester, in a month
  fixed per program from its code (spread, so that every month some of them pay);
  ``sekali`` and ``per tahun`` (and an unknown or empty satuan) pay each recipient once a
  year, spread over the months;
- ``sasaran_miskin`` and the age range ``usia_min`` .. ``usia_maks`` (CONTRACT 2.4) from
  the catalogue when it has those columns, else derived here with the same illustrative
  rules the bundled catalogue follows (see ``_derived_poor_targeting`` and
  ``_derived_age_range``);
- the ages recipients are drawn from: a plausible range for the program (a primary school
  scholarship pays children of 6 to 12), never outside ``usia_min`` .. ``usia_maks``, so
  that only planted rows fall outside it.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kmc_analysis.core.reference import PAYMENTS_PER_YEAR

if TYPE_CHECKING:
    from kmc_analysis.core.reference import ReferenceData

#: The oldest age in the synthetic city.
MAX_AGE = 89
#: Words in a program name that mark it as meant for poor households (when the catalogue has no sasaran_miskin).
_POOR_WORDS = r"kurang mampu|miskin|yatim|lansia"


def stable_hash(text: str) -> int:
    """A number fixed by ``text`` alone (not by Python's per-process string hashing)."""
    return zlib.crc32(str(text).encode("utf-8"))


def program_table(reference: ReferenceData, kec_name: np.ndarray) -> pd.DataFrame:
    """The catalogue with the columns synthesis needs (one row per program, catalogue order)."""
    programs = reference.program_bantuan.reset_index(drop=True).copy()
    codes = programs["kode_bantuan"].astype(str)
    names = programs["nama_bantuan"].astype(str)
    kategori = programs["kategori"].astype(str).str.strip().str.lower()

    target = pd.to_numeric(programs["target_penerima"], errors="coerce").astype("Float64")
    fallback = float(target.median()) if target.notna().any() else 100.0
    programs["target"] = target.fillna(fallback).clip(lower=1).round().astype("int64")
    standard = _optional_number(programs, "nominal_standar")
    programs["nominal_standar_katalog"] = standard
    programs["nominal"] = _standard_nominal(programs, standard)

    satuan = programs.get("satuan", pd.Series("", index=programs.index)).fillna("").astype(str)
    payments = satuan.str.strip().str.lower().str.replace(r"\s+", " ", regex=True).map(PAYMENTS_PER_YEAR)
    programs["months_per_payment"] = (12 // payments.fillna(1)).astype("int64")
    programs["once"] = programs["months_per_payment"] == 12
    programs["pay_offset"] = [stable_hash(c) % m if m in (3, 6) else 0
                              for c, m in zip(codes, programs["months_per_payment"])]

    if "sasaran_miskin" in programs and programs["sasaran_miskin"].astype(str).str.strip().ne("").any():
        programs["poor_targeted"] = programs["sasaran_miskin"].astype(str).str.strip().str.lower().eq("ya")
    else:
        programs["poor_targeted"] = _derived_poor_targeting(names, kategori)
    if "usia_min" in programs or "usia_maks" in programs:
        programs["usia_min"] = _optional_number(programs, "usia_min")
        programs["usia_maks"] = _optional_number(programs, "usia_maks")
    else:
        derived = [_derived_age_range(n, k) for n, k in zip(names, kategori)]
        programs["usia_min"] = pd.array([d[0] for d in derived], dtype="Int64")
        programs["usia_maks"] = pd.array([d[1] for d in derived], dtype="Int64")
    plausible = [_plausible_ages(n, k) for n, k in zip(names, kategori)]
    low = np.array([p[0] for p in plausible])
    high = np.array([p[1] for p in plausible])
    floor = programs["usia_min"].fillna(0).to_numpy(dtype=np.int64)
    ceiling = programs["usia_maks"].fillna(MAX_AGE).to_numpy(dtype=np.int64)
    lo, hi = np.maximum(low, floor), np.minimum(high, ceiling)
    empty = lo > hi                      # the catalogue's range and the plausible one do not meet
    programs["age_lo"] = np.where(empty, floor, lo)
    programs["age_hi"] = np.where(empty, np.maximum(ceiling, floor), hi)

    # Poor-targeted programs find 60-85 % of their recipients in DTKS (a share fixed per program).
    programs["dtks_share"] = [0.6 + 0.25 * ((stable_hash(c) >> 8) % 1000) / 999 for c in codes]
    programs["home_kec"] = [_home_kecamatan(opd, kec_name) for opd in programs["opd"]]
    programs["female_only"] = names.str.lower().str.contains(
        r"ibu hamil|perempuan kepala keluarga|korban kekerasan perempuan", regex=True)
    return programs


def _optional_number(programs: pd.DataFrame, column: str) -> pd.Series:
    """An optional numeric catalogue column as Int64 (<NA> when absent or empty)."""
    if column not in programs:
        return pd.Series(pd.array([pd.NA] * len(programs), dtype="Int64"), index=programs.index)
    values = pd.to_numeric(programs[column].astype(str).str.strip().replace("", None), errors="coerce")
    return values.round().astype("Int64")


def _standard_nominal(programs: pd.DataFrame, standard: pd.Series) -> np.ndarray:
    """The catalogue's nominal_standar, else a twelfth of the budget per target recipient, to Rp50.000."""
    budget = pd.to_numeric(programs["anggaran"], errors="coerce").astype("Float64")
    per_head = budget / programs["target"].astype("Float64") / 12
    per_head = (per_head / 50_000).round().clip(lower=1) * 50_000
    return standard.astype("Float64").where(standard > 0).fillna(per_head).fillna(300_000) \
        .astype("int64").to_numpy()


def _derived_poor_targeting(names: pd.Series, kategori: pd.Series) -> np.ndarray:
    """Programs for poor households: kategori bantuan_sosial, or a name saying so (not an incentive)."""
    worded = names.str.lower().str.contains(_POOR_WORDS, regex=True)
    return (kategori.eq("bantuan_sosial") | (worded & ~kategori.isin(["insentif", "honor"]))).to_numpy()


def _derived_age_range(name: str, kategori: str) -> tuple[int | None, int | None]:
    """The illustrative usia_min / usia_maks: students 6-25, the elderly 60+, incentives 17+."""
    text = name.lower()
    if kategori in ("insentif", "honor"):
        return 17, None
    if kategori == "beasiswa":
        return 6, 25
    if "lansia" in text:
        return 60, None
    return None, None


def _plausible_ages(name: str, kategori: str) -> tuple[int, int]:
    """The ages a program's recipients are drawn from, from its kategori and words in its name."""
    text = f" {name} ".lower()
    if kategori in ("insentif", "honor") or re.search(
            r"\b(usaha|umkm|petani|pembudidaya|kepala keluarga|pelaku)\b", text):
        return 21, 65
    if "mahasiswa" in text:
        return 18, 24
    if re.search(r"\bsmp\b", text):
        return 12, 15
    if re.search(r"\bsd\b", text):
        return 6, 12
    if re.search(r"beasiswa|siswa|sekolah|seragam|tahfiz|yatim|\banak\b", text):
        return 6, 18
    if "lansia" in text:
        return 60, MAX_AGE
    if "balita" in text:
        return 0, 4
    if "ibu hamil" in text:
        return 18, 40
    return 18, 80


def _home_kecamatan(opd: str, kec_name: np.ndarray) -> int:
    """Index of the kecamatan an OPD serves when it is a kecamatan office, else -1."""
    text = re.sub(r"[^0-9a-z]", "", str(opd).lower())
    for i, name in enumerate(kec_name):
        if re.sub(r"[^0-9a-z]", "", str(name).lower()) in text:
            return i
    return -1
