"""Match kelurahan and kecamatan as OPDs write them (names or codes) to the wilayah reference codes.

CONTRACT 2.2: names ignore case, ``Kel.``/``Kelurahan``/``Desa``/``Kec.``/``Kecamatan``
prefixes, spacing, the ``ejaan_lain`` spellings, one typing error on names of six or more
letters and abbreviations with a dot (``Kec. Metro Bar.``, ``Hadimulyo Tim.``) where only
one place fits. A ``kode_kelurahan`` (Kemendagri dotted or plain, else a 10-digit BPS code
when wilayah has ``kode_bps_kelurahan``) decides the kelurahan and its kecamatan; a name
in the same row must then agree with it. Matching runs once per distinct combination of cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

from kmc_analysis.clean.normalize import any_text, on_distinct, place_words

#: Names of at least this many letters tolerate one typing error (CONTRACT 2.2).
TYPO_MIN_LETTERS = 6
_DOTTED_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}")


@dataclass(frozen=True)
class PlaceIndex:
    """Lookup tables from name keys and codes to wilayah codes, built once per run."""

    kelurahan_codes: dict[str, frozenset[str]]
    kecamatan_codes: dict[str, frozenset[str]]
    kecamatan_of_kelurahan: dict[str, str]
    kelurahan_words: tuple[tuple[tuple[str, ...], str], ...] = ()
    kecamatan_words: tuple[tuple[tuple[str, ...], str], ...] = ()
    bps_codes: dict[str, str] | None = None

    @classmethod
    def from_wilayah(cls, wilayah: pd.DataFrame) -> "PlaceIndex":
        """Index official names, every ``ejaan_lain`` spelling and the codes of the wilayah table.

        ``ejaan_lain`` and ``kode_bps_kelurahan`` are optional: a wilayah with the
        required columns only is indexed by official names and Kemendagri codes.
        """
        def optional(column: str) -> pd.Series:
            values = wilayah[column] if column in wilayah.columns else pd.Series("", index=wilayah.index)
            return values.astype("str").fillna("").str.strip()

        kel_codes = wilayah["kode_kelurahan"].astype("str").str.strip().tolist()
        kec_codes = wilayah["kode_kecamatan"].astype("str").str.strip().tolist()
        kel: dict[str, set[str]] = {}
        kec: dict[str, set[str]] = {}
        kel_words: list[tuple[tuple[str, ...], str]] = []
        kec_words: list[tuple[tuple[str, ...], str]] = []
        spellings = [(spelling, code)
                     for name, extra, code in zip(wilayah["kelurahan"].astype("str"), optional("ejaan_lain"), kel_codes)
                     for spelling in [name, *[s for s in extra.split(";") if s.strip()]]]
        # one call for all spellings: each call costs pandas' fixed overhead, not the few names it holds
        kel_spelled = place_words(pd.Series([spelling for spelling, _ in spellings], dtype="str")).tolist()
        for words, (_, code) in zip(kel_spelled, spellings):
            key = words.replace(" ", "").replace(".", "")
            if key:
                kel.setdefault(key, set()).add(code)
                kel_words.append((tuple(words.split()), code))
        kec_spelled = place_words(wilayah["kecamatan"].astype("str").reset_index(drop=True)).tolist()
        for words, code in zip(kec_spelled, kec_codes):
            kec.setdefault(words.replace(" ", "").replace(".", ""), set()).add(code)
            kec_words.append((tuple(words.split()), code))
        bps = {b: code for b, code in zip(optional("kode_bps_kelurahan"), kel_codes) if b}
        return cls(
            {k: frozenset(v) for k, v in kel.items()},
            {k: frozenset(v) for k, v in kec.items()},
            dict(zip(kel_codes, kec_codes)),
            tuple(dict.fromkeys(kel_words)),
            tuple(dict.fromkeys(kec_words)),
            bps,
        )

    def kelurahan_candidates(self, words: str) -> frozenset[str]:
        """Codes a kelurahan name may stand for: exact, else one edit away, else by abbreviation."""
        return _lookup(self.kelurahan_codes, self.kelurahan_words, words)

    def kecamatan_candidates(self, words: str) -> frozenset[str]:
        """Codes a kecamatan name may stand for: exact, else one edit away, else by abbreviation."""
        return _lookup(self.kecamatan_codes, self.kecamatan_words, words)

    def readings_of_code(self, text: str) -> tuple[str | None, str | None]:
        """The kelurahan a kode_kelurahan cell names as a Kemendagri code and as a BPS code (None: none).

        A dotted code is Kemendagri only. Ten plain digits may be both: an undotted
        Kemendagri code (Kota Metro's own systems write them so) or a BPS code, and 8 of
        Metro's 22 BPS codes are also another kelurahan's undotted Kemendagri code.
        """
        text = re.sub(r"[ \t\u00a0]", "", text)
        if _DOTTED_CODE.fullmatch(text):
            return (text if text in self.kecamatan_of_kelurahan else None), None
        if re.fullmatch(r"[0-9]{10}", text):
            dotted = f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
            return (dotted if dotted in self.kecamatan_of_kelurahan else None), (self.bps_codes or {}).get(text)
        return None, None


def _lookup(codes: dict[str, frozenset[str]], spellings, words: str) -> frozenset[str]:
    key = words.replace(" ", "").replace(".", "")
    if not key:
        return frozenset()
    if key in codes:
        return codes[key]
    found: set[str] = set()
    if len(key) >= TYPO_MIN_LETTERS:
        for known, known_codes in codes.items():
            if len(known) >= TYPO_MIN_LETTERS and Levenshtein.distance(key, known, score_cutoff=1) <= 1:
                found |= known_codes
    if not found and "." in words:
        found = {code for spelled, code in spellings if _abbreviates(tuple(words.split()), spelled)}
    return frozenset(found)


def _abbreviates(written: tuple[str, ...], spelled: tuple[str, ...]) -> bool:
    """Whether words with dotted abbreviations (``metro bar.``) stand for a spelling (``metro barat``)."""
    if len(written) != len(spelled):
        return False
    for word, full in zip(written, spelled):
        if word.endswith("."):
            stem = word.rstrip(".")
            if not stem or not full.startswith(stem):
                return False
        elif word != full:
            return False
    return True


def resolve_places(kelurahan: pd.Series, kecamatan: pd.Series, index: PlaceIndex,
                   kode_kelurahan: pd.Series | None = None,
                   sheet: pd.Series | pd.DataFrame | None = None) -> pd.DataFrame:
    """Resolve each row's kelurahan / kecamatan / kode_kelurahan to codes, per the contract's rules.

    Returns a frame aligned on the input with ``kode_kelurahan`` ("" when only the
    kecamatan was given), ``kode_kecamatan`` and ``wilayah_dikenal`` (bool). With a code
    the code decides, and a stated kelurahan or kecamatan must agree with it; without
    one a row is known when its kelurahan matches exactly one kelurahan lying in the
    stated kecamatan (or any kecamatan, if none is stated), or when it states no
    kelurahan and its kecamatan matches.

    A plain ten-digit code that is both a Kemendagri and a BPS code takes the reading the
    stated kelurahan or kecamatan agrees with; when both or neither agree, the reading of
    its ``sheet`` (a column, or the columns, naming each row's file and sheet; one system
    per column): BPS when more of the sheet's codes are BPS codes only than Kemendagri
    codes only, else Kemendagri.

    Each column is factorised once; the rules run once per distinct combination of
    cells, and the answers are spread back over the rows by code.
    """
    combination, answers = place_combinations(kelurahan, kecamatan, index, kode_kelurahan, sheet)
    return pd.DataFrame({column: answers[column].array.take(combination) for column in answers.columns},
                        index=kelurahan.index)


def place_combinations(kelurahan: pd.Series, kecamatan: pd.Series, index: PlaceIndex,
                       kode_kelurahan: pd.Series | None = None,
                       sheet: pd.Series | pd.DataFrame | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """:func:`resolve_places` before it is spread over the rows: each row's combination, and one answer per combination.

    Returns the combination code of each row and a frame indexed by that code with
    ``kode_kelurahan``, ``kode_kecamatan`` and ``wilayah_dikenal``; a caller that keeps
    only some rows takes the few columns it needs for those rows alone.
    """
    if kode_kelurahan is not None and not any_text(kode_kelurahan):
        kode_kelurahan = None  # most months give no codes: nothing to factorise, nor a sheet to read them by
    reads_bps = _sheets_reading_bps(kode_kelurahan, sheet, index) if kode_kelurahan is not None else None
    combination = np.zeros(len(kelurahan), dtype="int64")
    columns = []
    for column, reduce in ((kelurahan, place_words), (kecamatan, place_words), (kode_kelurahan, _code_text),
                           (reads_bps, _flag_text)):
        if column is None:  # the same empty text on every row: it tells no combination apart
            columns.append((np.zeros(len(kelurahan), dtype=np.intp), np.array([""], dtype=object)))
            continue
        codes, distinct = pd.factorize(column.astype("str").fillna(""), sort=False)
        columns.append((codes, reduce(pd.Series(distinct, dtype="str")).to_numpy(dtype=object)))
        # re-numbered after each column, so the combined code stays below rows x distinct values
        combination = pd.factorize(combination * (len(distinct) + 1) + codes, sort=False)[0]
    combinations = int(combination.max()) + 1 if len(combination) else 0
    some_row = np.zeros(combinations, dtype="int64")
    some_row[combination] = np.arange(len(combination))
    answers: dict[tuple[str, ...], tuple[str, str, bool]] = {}
    resolved = []
    for row in some_row:
        words = tuple(str(texts[codes[row]]) for codes, texts in columns)
        if words not in answers:
            answers[words] = _resolve(*words[:3], index, prefer_bps=words[3] == "bps")
        resolved.append(answers[words])
    kel_codes, kec_codes, known = zip(*resolved) if resolved else ((), (), ())
    return combination, pd.DataFrame({"kode_kelurahan": pd.Series(list(kel_codes), dtype="str"),
                                      "kode_kecamatan": pd.Series(list(kec_codes), dtype="str"),
                                      "wilayah_dikenal": np.asarray(known, dtype=bool)})


def _sheets_reading_bps(kode_kelurahan: pd.Series, sheet: pd.Series | pd.DataFrame | None,
                        index: PlaceIndex) -> pd.Series:
    """Per row, ``bps`` when its sheet's plain codes read as BPS codes more often than as Kemendagri ones.

    ``sheet`` names each row's sheet: one column, or the columns that together name it
    (file, sheet), joined only for the rows that give a code.
    """
    flags = pd.Series("", index=kode_kelurahan.index, dtype="str")
    codes = kode_kelurahan.astype("str").fillna("").str.strip()
    given = (codes != "").to_numpy()
    if not index.bps_codes or not given.any():
        return flags
    pairs = pd.DataFrame({"sheet": _sheet_labels(sheet, given, kode_kelurahan.index), "kode": codes[given]})
    distinct = pairs.drop_duplicates()
    readings = {code: index.readings_of_code(code) for code in distinct["kode"].unique()}
    votes: dict[str, int] = {}
    for label, code in zip(distinct["sheet"], distinct["kode"]):
        kemendagri, bps = readings[code]
        votes[label] = votes.get(label, 0) + (bps is not None and kemendagri is None) - (
            kemendagri is not None and bps is None)
    bps_sheets = [label for label, vote in votes.items() if vote > 0]
    flags[given] = np.where(pairs["sheet"].isin(bps_sheets).to_numpy(), "bps", "")
    return flags


def _sheet_labels(sheet: pd.Series | pd.DataFrame | None, rows: np.ndarray, index: pd.Index) -> pd.Series:
    """One text naming the sheet of each of ``rows`` (a mask): the columns of ``sheet`` joined with ``|``."""
    if sheet is None:
        return pd.Series("", index=index[rows], dtype="str")
    columns = [sheet] if isinstance(sheet, pd.Series) else [sheet[name] for name in sheet.columns]
    labels = columns[0][rows].astype("str").fillna("")
    for column in columns[1:]:
        labels = labels + "|" + column[rows].astype("str").fillna("")
    return labels


@on_distinct
def _flag_text(raw: pd.Series) -> pd.Series:
    return raw.astype("str").fillna("")


@on_distinct
def _code_text(raw: pd.Series) -> pd.Series:
    return raw.astype("str").fillna("").str.strip()


def _resolve(kel: str, kec: str, kode: str, index: PlaceIndex, prefer_bps: bool = False) -> tuple[str, str, bool]:
    kec_codes = index.kecamatan_candidates(kec) if kec else frozenset()
    if kode:
        readings = [code for code in index.readings_of_code(kode) if code is not None]
        agreeing = [code for code in readings
                    if (not kel or code in index.kelurahan_candidates(kel))
                    and (not kec or index.kecamatan_of_kelurahan[code] in kec_codes)]
        if not agreeing:
            return "", "", False
        kemendagri, bps = index.readings_of_code(kode)
        code = agreeing[0] if len(agreeing) == 1 else (bps if prefer_bps else kemendagri)
        return code, index.kecamatan_of_kelurahan[code], True
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
