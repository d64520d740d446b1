"""The world ``kmc synth`` draws from: the reference tables as arrays, with the spellings to use.

``World.build`` turns wilayah, penduduk and the program catalogue into what synthesis
needs: kelurahan weights, other spellings and codes, one-letter typos a matcher must
still accept, places, codes and programs that are not Kota Metro's (for quarantined
rows), and the catalogue as synthesis reads it (``synth.programs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

from kmc_analysis.core.periods import Period
from kmc_analysis.synth.programs import program_table

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
    kel_code: np.ndarray          # Kemendagri codes (18.72.01.1001)
    kel_code_forms: list[list[str]]  # codes a row may give for each kelurahan: dotted, plain, BPS (when unambiguous)
    kel_one_word: list[str]       # a one-word BPS spelling (IRINGMULYO) from ejaan_lain, or ""
    kel_kec: np.ndarray           # kecamatan index of each kelurahan
    kel_weight: np.ndarray        # population share
    population: int               # residents of the city (penduduk, latest year of the table)
    kel_spellings: list[list[str]]  # ejaan_lain per kelurahan
    kel_typos: list[list[str]]      # one-letter typos safe to accept
    kec_name: np.ndarray
    kec_code: np.ndarray
    kec_prefix: np.ndarray        # NIK digits 1-6 of each kecamatan
    foreign_kel: list[str]
    foreign_kec: list[str]
    foreign_kel_codes: list[str]  # codes of no kelurahan of the city
    programs: pd.DataFrame        # the catalogue with what synthesis needs (synth.programs)
    opds: list[str]
    foreign_codes: list[str]
    foreign_programs: list[str]

    @classmethod
    def build(cls, reference: ReferenceData, period: Period) -> World:
        """Turn the reference tables into the arrays synthesis needs."""
        wilayah = reference.wilayah.reset_index(drop=True)
        kec_codes = list(dict.fromkeys(wilayah["kode_kecamatan"]))
        kec_name = np.array([wilayah.loc[wilayah["kode_kecamatan"] == c, "kecamatan"].iloc[0] for c in kec_codes],
                            dtype=object)
        kec_prefix = np.array([int(re.sub(r"\D", "", c)[:6].ljust(6, "0")) for c in kec_codes], dtype=np.int64)
        kel_kec = wilayah["kode_kecamatan"].map({c: i for i, c in enumerate(kec_codes)}).to_numpy(np.int64)

        # The latest year of the table, whatever the period: the synthetic city is the same in every month.
        penduduk = reference.penduduk
        latest = penduduk[penduduk["tahun"] == penduduk["tahun"].max()]
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
        one_word = [next((s for s in sp if " " not in s and _key(s) == _key(n)), "") for n, sp in zip(names, spellings)]
        codes = wilayah["kode_kelurahan"].astype(str).tolist()
        bps = wilayah["kode_bps_kelurahan"].fillna("").astype(str).tolist() if "kode_bps_kelurahan" in wilayah \
            else [""] * len(codes)

        programs = program_table(reference, kec_name)
        opds = list(dict.fromkeys(programs["opd"]))
        code_keys = {str(c).strip().upper() for c in programs["kode_bantuan"]}
        name_keys = {re.sub(r"\s+", "", str(n).lower()) for n in programs["nama_bantuan"]}
        return cls(
            period=period, kel_name=np.array(names, dtype=object), kel_code=np.array(codes, dtype=object),
            kel_code_forms=_code_forms(codes, bps), kel_one_word=one_word, kel_kec=kel_kec,
            kel_weight=weight / weight.sum(), population=int(weight.sum()), kel_spellings=spellings, kel_typos=typos,
            kec_name=kec_name, kec_code=np.array(kec_codes, dtype=object), kec_prefix=kec_prefix,
            foreign_kel=foreign_kel, foreign_kec=foreign_kec, foreign_kel_codes=_foreign_codes(codes, bps),
            programs=programs, opds=opds,
            foreign_codes=[c for c in _FOREIGN_CODES if c.upper() not in code_keys],
            foreign_programs=[n for n in _FOREIGN_PROGRAMS if re.sub(r"\s+", "", n.lower()) not in name_keys],
        )


def _code_forms(codes: list[str], bps: list[str]) -> list[list[str]]:
    """The codes a row may give for each kelurahan (CONTRACT 2.1): dotted, plain, or its BPS code.

    A plain Kemendagri code that is another kelurahan's BPS code (or the other way round)
    would be ambiguous, so such a form is left out: the dotted code is always there.
    """
    plain = [re.sub(r"\D", "", c) for c in codes]
    forms = []
    for i, code in enumerate(codes):
        others_bps = {b for j, b in enumerate(bps) if j != i}
        others_plain = {p for j, p in enumerate(plain) if j != i}
        mine = [code]
        if len(plain[i]) == 10 and plain[i] not in others_bps:
            mine.append(plain[i])
        if re.fullmatch(r"\d{10}", bps[i]) and bps[i] not in others_plain and bps[i] != plain[i]:
            mine.append(bps[i])
        forms.append(mine)
    return forms


def _foreign_codes(codes: list[str], bps: list[str]) -> list[str]:
    """Kelurahan codes of no kelurahan of the city, in its own format (another kecamatan, another kota)."""
    known = {re.sub(r"\D", "", c) for c in codes + bps if c}
    candidates = []
    for code in codes[:3]:
        digits = re.sub(r"\D", "", code)
        if len(digits) != 10:
            continue
        for kec, kota in (("09", digits[2:4]), (digits[4:6], "71"), ("07", "99")):
            other = digits[:2] + kota + kec + digits[6:]
            if other not in known:
                candidates.append(f"{other[:2]}.{other[2:4]}.{other[4:6]}.{other[6:]}")
    return list(dict.fromkeys(candidates)) or ["99.99.99.9999"]


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
