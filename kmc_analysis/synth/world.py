"""The world ``kmc synth`` draws from: the reference tables as arrays, with the spellings to use.

``World.build`` turns wilayah, penduduk and the program catalogue into what synthesis
needs: kelurahan weights and other spellings, one-letter typos a matcher must still
accept, places and programs that are not Kota Metro's (for quarantined rows), and for
each program its nominal, its recipients' ages and, for a kecamatan office, its kecamatan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

from kmc_analysis.core.periods import Period

if TYPE_CHECKING:
    from kmc_analysis.core.reference import ReferenceData

#: Places near Metro that are not Metro kelurahan / kecamatan (for wilayah_tidak_dikenal).
_FOREIGN_KELURAHAN = ("Bandar Jaya", "Kotagajah", "Pekalongan", "Rajabasa", "Way Halim", "Trimurjo",
                      "Punggur", "Gunung Sugih", "Tanjung Karang", "Sukarame", "Labuhan Ratu")
_FOREIGN_KECAMATAN = ("Metro Kibang", "Batanghari", "Pekalongan", "Trimurjo", "Punggur", "Sekampung")
_FOREIGN_CODES = ("KMC-999", "KMC-0000", "BANSOS-01", "PKH-2024", "KMC-X12")
_FOREIGN_PROGRAMS = ("Bantuan Langsung Tunai Dana Desa", "Paket Sembako Ramadhan", "Bantuan Pangan Non Tunai",
                     "Santunan Hari Raya", "Bantuan Kuota Internet Pelajar")

#: Keys near each letter on a keyboard, plus vowel swaps: the typing errors people make.
_NEAR_KEYS = {
    "a": "seqi", "b": "vn", "c": "xv", "d": "sf", "e": "wria", "f": "dg", "g": "fh", "h": "gj", "i": "uoe",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ipu", "p": "o", "q": "w", "r": "et", "s": "ad",
    "t": "ry", "u": "yio", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}


def _key(text: str) -> str:
    """Letters and digits of a place name in lower case (spacing and punctuation ignored)."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _far(candidate: str, others: list[str], minimum: int) -> bool:
    """True if ``candidate`` is at least ``minimum`` edits (Levenshtein and OSA) from all ``others``."""
    return all(Levenshtein.distance(candidate, o) >= minimum and OSA.distance(candidate, o) >= minimum
               for o in others)


@dataclass
class World:
    """The reference tables as arrays, with the spellings synthesis draws from."""

    period: Period
    kel_name: np.ndarray          # canonical kelurahan names
    kel_kec: np.ndarray           # kecamatan index of each kelurahan
    kel_weight: np.ndarray        # population share
    population: int               # residents of the city (penduduk, latest year)
    kel_spellings: list[list[str]]  # ejaan_lain per kelurahan
    kel_typos: list[list[str]]      # one-letter typos safe to accept
    kec_name: np.ndarray
    kec_prefix: np.ndarray        # NIK digits 1-6 of each kecamatan
    foreign_kel: list[str]
    foreign_kec: list[str]
    programs: pd.DataFrame        # catalogue plus age range, home kecamatan, nominal
    opds: list[str]
    foreign_codes: list[str]
    foreign_programs: list[str]

    @classmethod
    def build(cls, reference: ReferenceData, period: Period) -> World:
        """Turn the reference tables into the arrays synthesis needs."""
        year = period.year
        wilayah = reference.wilayah.reset_index(drop=True)
        kec_codes = list(dict.fromkeys(wilayah["kode_kecamatan"]))
        kec_name = np.array([wilayah.loc[wilayah["kode_kecamatan"] == c, "kecamatan"].iloc[0] for c in kec_codes],
                            dtype=object)
        kec_prefix = np.array([int(re.sub(r"\D", "", c)[:6].ljust(6, "0")) for c in kec_codes], dtype=np.int64)
        kel_kec = wilayah["kode_kecamatan"].map({c: i for i, c in enumerate(kec_codes)}).to_numpy(np.int64)

        penduduk = reference.penduduk
        years = penduduk["tahun"][penduduk["tahun"] <= year]
        latest = penduduk[penduduk["tahun"] == (years.max() if len(years) else penduduk["tahun"].min())]
        weight = wilayah["kode_kelurahan"].map(latest.groupby("kode_kelurahan")["penduduk"].sum()).astype("float64")
        weight = weight.fillna(weight.mean() if weight.notna().any() else 1.0).clip(lower=1).to_numpy()

        ejaan = wilayah["ejaan_lain"] if "ejaan_lain" in wilayah else pd.Series("", index=wilayah.index)
        spellings = [[s.strip() for s in str(e).split(";") if s.strip()] for e in ejaan.fillna("")]
        names = wilayah["kelurahan"].tolist()
        keys = [[_key(n)] + [_key(s) for s in sp] for n, sp in zip(names, spellings)]
        typos = [_safe_typos(name, i, keys) for i, name in enumerate(names)]
        all_kel = [k for ks in keys for k in ks]
        kec_keys = [_key(k) for k in kec_name]
        foreign_kel = [n for n in _FOREIGN_KELURAHAN if _far(_key(n), all_kel, 3)]
        foreign_kec = [n for n in _FOREIGN_KECAMATAN if _far(_key(n), kec_keys + all_kel, 3)]

        programs = reference.program_bantuan.reset_index(drop=True).copy()
        opds = list(dict.fromkeys(programs["opd"]))
        target = programs["target_penerima"].astype("Float64")
        programs["weight"] = target.fillna(target.median() if target.notna().any() else 100).clip(lower=1) \
            .fillna(100).astype("float64")
        programs["nominal"] = _standard_nominal(programs)
        ages = [_age_range(str(n), str(k)) for n, k in zip(programs["nama_bantuan"], programs["kategori"])]
        programs["age_lo"] = [a[0] for a in ages]
        programs["age_hi"] = [a[1] for a in ages]
        programs["home_kec"] = [_home_kecamatan(opd, kec_name) for opd in programs["opd"]]
        programs["female_only"] = programs["nama_bantuan"].str.lower().str.contains(
            r"ibu hamil|perempuan kepala keluarga|korban kekerasan perempuan", regex=True).fillna(False)
        programs["once"] = programs.get("satuan", pd.Series("", index=programs.index)).fillna("").eq("sekali")
        code_keys = {str(c).strip().upper() for c in programs["kode_bantuan"]}
        name_keys = {re.sub(r"\s+", "", str(n).lower()) for n in programs["nama_bantuan"]}
        return cls(
            period=period, kel_name=np.array(names, dtype=object), kel_kec=kel_kec,
            kel_weight=weight / weight.sum(), population=int(weight.sum()), kel_spellings=spellings, kel_typos=typos,
            kec_name=kec_name, kec_prefix=kec_prefix, foreign_kel=foreign_kel, foreign_kec=foreign_kec,
            programs=programs, opds=opds,
            foreign_codes=[c for c in _FOREIGN_CODES if c.upper() not in code_keys],
            foreign_programs=[n for n in _FOREIGN_PROGRAMS if re.sub(r"\s+", "", n.lower()) not in name_keys],
        )


def _safe_typos(name: str, own: int, keys: list[list[str]]) -> list[str]:
    """One-letter substitutions of ``name`` that a matcher must accept unambiguously.

    Only names of 6+ letters get typos (CONTRACT 2.2). A typo is kept when it is one
    edit from the name and at least two edits (Levenshtein and OSA, with and without
    spaces) from every spelling of every other kelurahan, and does not start like a
    ``Kel.`` / ``Kec.`` / ``Desa`` prefix.
    """
    if len(_key(name)) < 6:
        return []
    others = [k for i, ks in enumerate(keys) if i != own for k in ks]
    own_keys = set(keys[own])
    found = []
    for pos in range(1, len(name)):
        letter = name[pos]
        if not letter.isalpha():
            continue
        for near in _NEAR_KEYS.get(letter.lower(), ""):
            typo = name[:pos] + (near.upper() if letter.isupper() else near) + name[pos + 1:]
            key = _key(typo)
            if key in own_keys or key.startswith(("kel", "kec", "desa")):
                continue
            if Levenshtein.distance(key, _key(name)) == 1 and _far(key, others, 2):
                found.append(typo)
    return sorted(set(found))


def _standard_nominal(programs: pd.DataFrame) -> np.ndarray:
    """The catalogue's nominal_standar, else a twelfth of the budget per target recipient, to Rp50.000."""
    standard = programs.get("nominal_standar", pd.Series(pd.NA, index=programs.index)).astype("Float64")
    per_head = (programs["anggaran"].astype("Float64") / programs["target_penerima"].astype("Float64")
                .where(lambda t: t > 0)) / 12
    per_head = (per_head / 50_000).round().clip(lower=1) * 50_000
    return standard.where(standard > 0).fillna(per_head).fillna(300_000).astype("int64").to_numpy()


def _age_range(name: str, kategori: str) -> tuple[int, int]:
    """Plausible ages of the recipients of a program, from its kategori and words in its name."""
    text = f" {name} ".lower()
    if kategori.lower() in ("insentif", "honor") or re.search(
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
        return 60, 90
    if "balita" in text:
        return 0, 4
    if "ibu hamil" in text:
        return 18, 40
    return 18, 80


def _home_kecamatan(opd: str, kec_name: np.ndarray) -> int:
    """Index of the kecamatan an OPD serves when it is a kecamatan office, else -1."""
    text = _key(str(opd))
    for i, name in enumerate(kec_name):
        if _key(name) in text:
            return i
    return -1
