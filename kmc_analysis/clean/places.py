"""Match kelurahan and kecamatan names as OPDs write them to the wilayah reference codes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from rapidfuzz.distance import Levenshtein

from kmc_analysis.clean.normalize import normalize_place_name

#: Names of at least this many letters tolerate one typing error (CONTRACT 2.2).
TYPO_MIN_LETTERS = 6


@dataclass(frozen=True)
class PlaceIndex:
    """Lookup tables from name keys to wilayah codes, built once per run."""

    kelurahan_codes: dict[str, frozenset[str]]
    kecamatan_codes: dict[str, frozenset[str]]
    kecamatan_of_kelurahan: dict[str, str]

    @classmethod
    def from_wilayah(cls, wilayah: pd.DataFrame) -> "PlaceIndex":
        """Index official names and every ``ejaan_lain`` spelling of the wilayah table."""
        kel: dict[str, set[str]] = {}
        kec: dict[str, set[str]] = {}
        spellings = wilayah.get("ejaan_lain", pd.Series("", index=wilayah.index)).fillna("")
        for row, extra in zip(wilayah.itertuples(index=False), spellings):
            names = [row.kelurahan, *[s for s in str(extra).split(";") if s.strip()]]
            for key in normalize_place_name(pd.Series(names, dtype="str")):
                if key:
                    kel.setdefault(key, set()).add(row.kode_kelurahan)
            kec_key = normalize_place_name(pd.Series([row.kecamatan], dtype="str")).iloc[0]
            kec.setdefault(kec_key, set()).add(row.kode_kecamatan)
        return cls(
            {k: frozenset(v) for k, v in kel.items()},
            {k: frozenset(v) for k, v in kec.items()},
            dict(zip(wilayah.kode_kelurahan, wilayah.kode_kecamatan)),
        )

    def kelurahan_candidates(self, key: str) -> frozenset[str]:
        """Codes a kelurahan key may stand for: exact, else every spelling one edit away."""
        return _lookup(self.kelurahan_codes, key)

    def kecamatan_candidates(self, key: str) -> frozenset[str]:
        """Codes a kecamatan key may stand for: exact, else every spelling one edit away."""
        return _lookup(self.kecamatan_codes, key)


def _lookup(codes: dict[str, frozenset[str]], key: str) -> frozenset[str]:
    if not key:
        return frozenset()
    if key in codes:
        return codes[key]
    found: set[str] = set()
    for known, known_codes in codes.items():
        if len(known) >= TYPO_MIN_LETTERS and Levenshtein.distance(key, known, score_cutoff=1) <= 1:
            found |= known_codes
    return frozenset(found)


def resolve_places(kelurahan: pd.Series, kecamatan: pd.Series, index: PlaceIndex) -> pd.DataFrame:
    """Resolve each row's kelurahan / kecamatan text to codes, per the contract's rules.

    Returns a frame aligned on the input with ``kode_kelurahan`` ("" when only the
    kecamatan was given), ``kode_kecamatan`` and ``wilayah_dikenal`` (bool). A row is
    known when its kelurahan matches exactly one kelurahan lying in the stated kecamatan
    (or any kecamatan, if none is stated), or when it states no kelurahan and its
    kecamatan matches. Matching runs once per distinct pair of names, not per row.
    """
    keys = pd.DataFrame({
        "kel": normalize_place_name(kelurahan).to_numpy(dtype=object),
        "kec": normalize_place_name(kecamatan).to_numpy(dtype=object),
    }, index=kelurahan.index)
    pairs = keys.drop_duplicates()
    resolved = [_resolve_pair(kel, kec, index) for kel, kec in zip(pairs.kel, pairs.kec)]
    table = pd.DataFrame(resolved, columns=["kode_kelurahan", "kode_kecamatan", "wilayah_dikenal"])
    table["kel"], table["kec"] = pairs.kel.to_numpy(), pairs.kec.to_numpy()
    out = keys.merge(table, on=["kel", "kec"], how="left", sort=False)
    out.index = kelurahan.index
    return out[["kode_kelurahan", "kode_kecamatan", "wilayah_dikenal"]].astype(
        {"kode_kelurahan": "str", "kode_kecamatan": "str", "wilayah_dikenal": bool}
    )


def _resolve_pair(kel: str, kec: str, index: PlaceIndex) -> tuple[str, str, bool]:
    kec_codes = index.kecamatan_candidates(kec) if kec else frozenset()
    if kel:
        candidates = index.kelurahan_candidates(kel)
        if kec:
            candidates = frozenset(c for c in candidates if index.kecamatan_of_kelurahan[c] in kec_codes)
        if len(candidates) != 1:
            return "", "", False
        code = next(iter(candidates))
        return code, index.kecamatan_of_kelurahan[code], True
    if len(kec_codes) == 1:
        return "", next(iter(kec_codes)), True
    return "", "", False
