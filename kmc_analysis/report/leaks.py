"""The last check before publishing: no NIK, name, pseudonym or server path in any published file.

:func:`check_published` collects the month's personal data from the processed folder (the
names and pseudonyms of the accepted rows; every NIK-like value and every name cell of the
quarantined rows' original cells), never printing it, and scans the period's report folder
with :func:`kmc_analysis.core.personal_data.scan_for_personal_data`. A finding fails the run
naming the file and the kind of data found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from kmc_analysis.clean.ingest import HEADER_LOOKUP, header_key
from kmc_analysis.clean.pseudonyms import KEY_ENV, key_file_path, load_key, pseudonymize
from kmc_analysis.core.errors import KMCError
from kmc_analysis.core.personal_data import NameKeys, PseudonymPrefixes, name_keys, scan_for_personal_data
from kmc_analysis.core.store import KARANTINA, PENERIMA, read_table
from kmc_analysis.evaluation.capaian import PREDIKAT_LABELS


class PersonalDataError(KMCError):
    """A published file holds personal data or a server path (exit 1); the run publishes nothing."""


def month_personal_data(folder: str | Path) -> tuple[frozenset[str], frozenset[str], PseudonymPrefixes]:
    """The NIKs, names and pseudonym prefixes of one processed month (accepted and quarantined rows).

    A pseudonym is kept as its first 16 characters in lower case, all the scan compares (a
    million 64-character pseudonyms would cost a second to hold). Stage 4 asks twice (the
    data-quality tables mask file names holding a name, the last check scans the published
    files): the tables are read once per version of the two files.
    """
    folder = Path(folder).resolve()
    return _read_personal_data(folder, _versions(folder))


def month_name_keys(folder: str | Path) -> NameKeys:
    """The names of :func:`month_personal_data` as the scan compares them (:func:`name_keys`), keyed once."""
    folder = Path(folder).resolve()
    return _keyed_month_names(folder, _versions(folder))


def _versions(folder: Path) -> tuple:
    """The modification times of the month's accepted and quarantined tables (None: absent)."""
    return tuple((folder / table.name).stat().st_mtime_ns if (folder / table.name).is_file() else None
                 for table in (PENERIMA, KARANTINA))


@lru_cache(maxsize=2)
def _keyed_month_names(folder: Path, versions: tuple) -> NameKeys:
    return name_keys(_read_personal_data(folder, versions)[1])


@lru_cache(maxsize=2)
def _read_personal_data(folder: Path, versions: tuple) -> tuple[frozenset[str], frozenset[str], PseudonymPrefixes]:
    """Read them (``versions``, the files' modification times, only keys the cache)."""
    niks: set[str] = set()
    names: set[str] = set()
    pseudonyms = PseudonymPrefixes()
    accepted = read_table(folder, PENERIMA, columns=["id_penerima", "nama"], missing_ok=True)
    if accepted is not None:
        # Cut and made distinct in Arrow: iterating a million cells in Python costs a second.
        ids = accepted["id_penerima"].dropna().astype("string").str.strip()
        pseudonyms = PseudonymPrefixes(ids[ids.str.len() >= 16].str.slice(0, 16).str.lower().unique().tolist())
        names |= set(accepted["nama"].dropna().astype("string").unique().tolist())
    quarantined = read_table(folder, KARANTINA, missing_ok=True)
    if quarantined is not None:
        original = quarantined.iloc[:, len(KARANTINA.columns):].astype("string").fillna("")
        for column in original.columns:
            cells = original[column].str.strip()
            # Only a cell holding 16 digits can be a NIK: the rest skip the (slow, Python) clean-up.
            digits = cells[cells.str.count(r"[0-9]") >= 16]
            digits = digits.str.replace(r"[\s.\-']", "", regex=True).str.replace(r"^=?\"?|\"$", "", regex=True)
            niks |= set(digits[digits.str.fullmatch(r"\d{16}")].tolist())
            if HEADER_LOOKUP.get(header_key(column)) == "nama":
                names |= set(cells[cells != ""].unique().tolist())
    return frozenset(niks), frozenset(names - {""}), pseudonyms


def _pseudonyms_of() -> Callable[[list[str]], list[str]] | None:
    """The run's pseudonyms of a list of NIKs (stage 1's own function), when the key can be read; never makes one."""
    if os.environ.get(KEY_ENV) is None and not key_file_path().is_file():
        return None
    try:
        key = load_key()
    except KMCError:
        return None
    return lambda niks: pseudonymize(pd.Series(niks, dtype="str"), key).tolist()


def place_names(reference: Any) -> list[str]:
    """The official names of the city's places and their other spellings (none without a reference)."""
    wilayah = getattr(reference, "wilayah", None)
    if wilayah is None:
        return []
    names = [*wilayah["kecamatan"].astype(str), *wilayah["kelurahan"].astype(str)]
    if "ejaan_lain" in wilayah:
        names += [w for cell in wilayah["ejaan_lain"].astype(str) for w in cell.split(";") if w.strip()]
    return names


def public_vocabulary(reference: Any) -> list[str]:
    """Names published on purpose: places (and their other spellings), programs, offices, kategori, predikat."""
    words: list[str] = list(PREDIKAT_LABELS)
    if reference is None:
        return words
    words += place_names(reference)
    programs = getattr(reference, "program_bantuan", None)
    if programs is not None:
        for column in ("nama_bantuan", "opd", "kategori"):
            words += programs[column].astype(str).str.replace("_", " ").tolist()
    return words


def check_published(reports: str | Path, processed: str | Path, reference: Any = None,
                    folders: Iterable[str | Path] = (), niks: Iterable[str] = (),
                    names: Iterable[str] = ()) -> None:
    """Scan a period's report folder for the month's personal data and the run's folder paths.

    ``folders`` are the run's raw, processed and reports folders and the working
    directory; ``niks`` and ``names`` add personal data from other inputs (DTKS).
    Raises :class:`PersonalDataError` naming each file and kind found (never the value).
    """
    month_niks, _, pseudonyms = month_personal_data(processed)
    month_names = month_name_keys(processed)
    names = list(names)
    all_names = NameKeys({**month_names, **name_keys(names)}) if names else month_names
    home = Path.home()
    findings = scan_for_personal_data(reports, month_niks | set(niks), all_names, pseudonyms,
                                      paths=[*folders, Path.cwd(), home] if str(home) != "/" else [*folders],
                                      public_words=public_vocabulary(reference), pseudonyms_of=_pseudonyms_of(),
                                      place_names=place_names(reference))
    if findings:
        shown = "; ".join(findings[:5]) + (f"; dan {len(findings) - 5} temuan lain" if len(findings) > 5 else "")
        raise PersonalDataError(f"Berkas laporan memuat data pribadi atau path folder server, laporan tidak "
                                f"diterbitkan: {shown}. Periksa nama berkas dan sheet dari OPD serta teks data "
                                f"referensi (nama program, OPD, kategori), lalu jalankan ulang.")

