"""Search a published folder for personal data: NIKs, names and pseudonyms from the input, and server paths.

Nothing under ``reports/`` may carry a NIK, a name, a pseudonym or a bare 16-digit number
(CONTRACT section 3), nor a folder path of the server the run was made on. Stage 4 scans
every file it publishes with :func:`scan_for_personal_data`, given the NIKs, names and
pseudonyms of the month's input: HTML and JSON (text and decoded entities), XLSX (every
sheet, shared string and document property), CSV, Markdown, notebooks and PNG text chunks
(``tEXt``, ``zTXt``, ``iTXt``). Matching is by whole words and scales with the size of the
text plus the number of names (a month's tens of thousands of names are fine). A finding
names the file and what was found, never the value.
"""

from __future__ import annotations

import html
import json
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from itertools import compress
from pathlib import Path

from kmc_analysis.core.periods import NAMA_BULAN

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
#: Sixteen or more digits (or hex characters) in a row, perhaps written in groups: ``1872 0101 0190 0000``,
#: ``1872.0101.0190.0000``, ``1872,0101``, ``B893-4300-65D1-3B7C``, or split by invisible characters (soft
#: hyphen, zero-width space). Up to two characters that are no letter, digit or tag bracket join two groups;
#: the windows are only compared with the month's own identifiers, so a joined table row is never a finding.
_SEPARATOR = r"(?:[^\w<>]|_){0,2}"
_DIGIT_RUN = re.compile(rf"\d(?:{_SEPARATOR}\d){{15,}}")
_HEX_RUN = re.compile(rf"[0-9a-f](?:{_SEPARATOR}[0-9a-f]){{15,}}")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{120,}")
_XLSX_FRACTION = re.compile(r"<v>-?\d{1,15}\.\d+(?:[eE][-+]?\d+)?</v>")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_LETTERS = re.compile(r"[^\W\d_]{2}")
#: A name of ASCII letters and digits in words separated by single spaces: normalised, it is itself in lower case.
_PLAIN_NAME = r"^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*$"
#: Folder paths of a server or a desktop: a published file should not say where it was made.
_SERVER_PATH = re.compile(r"(?<![\w.<])(?:/(?:home|root|tmp|var|srv|mnt|media|opt|work|Users|data)/[\w.-]+"
                          r"|[A-Za-z]:\\(?:Users|Documents and Settings|Data)\\)")
TEXT_SUFFIXES = {".html", ".htm", ".csv", ".json", ".md", ".txt", ".ipynb", ".xml", ".svg"}
#: The longest name (in words) the scan looks for.
MAX_NAME_WORDS = 6


def png_text(path: str | Path) -> str:
    """The text a PNG carries in its text chunks (``tEXt``, ``zTXt``, ``iTXt``), keyword and value."""
    data = Path(path).read_bytes()
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        try:
            if kind == b"tEXt":
                out.append(body.replace(b"\0", b" ").decode("latin-1"))
            elif kind == b"zTXt":
                key, _, rest = body.partition(b"\0")
                out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
            elif kind == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _, _, rest = rest.partition(b"\0")  # language tag
                _, _, text = rest.partition(b"\0")  # translated keyword
                out.append(key.decode("latin-1") + " " + (zlib.decompress(text) if compressed else text).decode(
                    "utf-8", errors="replace"))
        except (zlib.error, IndexError, UnicodeDecodeError):
            out.append(body.decode("latin-1", errors="replace"))
        if kind == b"IEND":
            break
    return "\n".join(out)


def _xlsx_text(path: Path) -> str:
    """Return all text stored in a workbook: every XML part (sheets, strings, properties), entities decoded."""
    parts = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                parts.append(html.unescape(zf.read(name).decode("utf-8", errors="replace")))
    # Fractions stored as numbers (0.9876543210987654) are not identifiers: drop them so
    # the 16-digit rule does not fire on their decimals; a NIK stored as a number keeps
    # its 16-digit integer part and is still found.
    return _XLSX_FRACTION.sub("<v></v>", "\n".join(parts))


def file_text(path: Path) -> str | None:
    """Return the searchable text of a published file, or None for a binary format we skip."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_text(path)
    if suffix == ".png":
        return png_text(path)
    if suffix in TEXT_SUFFIXES:
        raw = path.read_text(encoding="utf-8", errors="replace")
        if suffix in (".json", ".ipynb"):
            try:
                raw = raw + "\n" + json.dumps(json.loads(raw), ensure_ascii=False)
            except ValueError:
                pass
        if suffix in (".html", ".htm", ".ipynb", ".svg", ".xml"):
            raw = raw + "\n" + html.unescape(raw)
        return raw
    return None


#: Cyrillic and Greek letters drawn like Latin ones, as the Latin letter a reader sees (anyascii transliterates
#: them by sound instead: Cyrillic "Ѕ" would become "Dz", and "Ѕinta" would not match the name Sinta).
_LATIN_LOOKALIKES = str.maketrans(
    "АВСЕНІЈКМОРЅТХУаеіјорсѕхуԁһӏԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧονρ",
    "ABCEHIJKMOPSTXYaeijopcsxydhlqwABEZHIKMNOPTYXovp")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _as_read(text: str) -> str:
    """``text`` in ASCII as a reader sees it: accents dropped, zero-width marks and soft hyphens removed,
    full-width and look-alike letters made Latin, curly apostrophes straight (attack 20 published
    a recipient's name written with any of these in a program or file name)."""
    if text.isascii():
        return text
    from anyascii import anyascii

    return _NON_ASCII_RUN.sub(lambda run: anyascii(unicodedata.normalize("NFC", run.group())
                                                   .translate(_LATIN_LOOKALIKES)), text)


def normalise_name(name: object) -> str:
    """A name as the scan compares it: lower case ASCII words (:func:`_as_read`) separated by single spaces.

    Apostrophes are dropped: Ma'ruf is also written Maruf (attack 20).
    """
    return " ".join(_WORD.findall(_as_read(str(name)).replace("'", "").lower()))


#: Words Indonesian file names put before a person's name: honorifics, "atas nama", identity papers.
_BEFORE_A_NAME = (r"bpk|bapak|pak|ibu|bu|sdr|sdri|saudara|saudari|alm|almh|almarhum|almarhumah|a\.?\s?n|"
                  r"atas\s+nama|ktp|kk|kartu\s+keluarga|akta|ahli\s+waris|tn|ny|nn|nona|tuan|nyonya|hj?")
_PERSON_AFTER_TITLE = re.compile(rf"(?<![^\W\d_])(?:{_BEFORE_A_NAME})\.?(?:[\s_.\-]+[\d*]+)?[\s_.\-]+([^\W\d_]{{3,}})",
                                 re.IGNORECASE)
#: Words that follow such a word without naming anyone (``Ibu Hamil``, ``KK Miskin``, ``KTP dan KK``).
_NOT_A_NAME = frozenset({
    "hamil", "menyusui", "nifas", "balita", "bayi", "anak", "rumah", "tangga", "tunggal", "miskin", "lansia",
    "kepala", "keluarga", "kota", "metro", "dinas", "kecamatan", "kelurahan", "desa", "penerima", "bantuan",
    "program", "dan", "atau", "yang", "untuk", "dari", "per", "baru", "lama", "asli", "scan", "foto", "copy",
    "fotokopi", "salinan", "data", "rekap", "daftar", "pdf", "jpg", "jpeg", "png", "xlsx", "xlsm", "xls", "ods",
    "csv", "doc", "docx", *(month.lower() for month in NAMA_BULAN)})


def names_a_person(text: str) -> bool:
    """Whether a file or sheet name seems to hold a person's name: an honorific or an identity paper before a word.

    ``Susulan Bpk Hartono.csv``, ``Ibu Ratna Dewi``, ``KTP Sri Handayani.jpg``, ``Santunan a.n. Budi``;
    not ``Rujukan Ibu Hamil`` or ``KTP dan KK``. A heuristic for names that are not in the
    month's rows (those are found exactly by :func:`contains_name`).
    """
    return any(match.group(1).lower() not in _NOT_A_NAME for match in _PERSON_AFTER_TITLE.finditer(str(text)))


class NameKeys(dict):
    """Names worth searching for, normalised (key -> the name as given), as :func:`name_keys` makes them.

    A month's names are keyed once where they are read (:func:`kmc_analysis.report.leaks.month_name_keys`);
    :func:`name_keys` given a NameKeys only leaves out the public words, without keying a
    million names again.
    """

    def joined(self) -> dict[str, str]:
        """Each name of several words written as one (``sintamaharani``) -> its key; worked out once.

        A program or file name typed without spaces held a recipient's name unseen (attack 21).
        Only joined names of :data:`MIN_JOINED_NAME` letters or more: a short one could be a word.
        """
        if "_joined" not in self.__dict__:
            self._joined = {joined: key for key in self
                            if " " in key and len(joined := key.replace(" ", "")) >= MIN_JOINED_NAME}
        return self._joined


#: The fewest characters of a name of several words written as one that the scan looks for.
MIN_JOINED_NAME = 8


def _names_among(phrases: set[str], keys) -> set[str]:
    """The keys of ``keys`` (a NameKeys, or a set of keys) that ``phrases`` hold, also written as one word."""
    found = keys.keys() & phrases if isinstance(keys, dict) else set(keys) & phrases
    if isinstance(keys, NameKeys):
        joined = keys.joined()
        found |= {joined[phrase] for phrase in phrases if phrase in joined}
    return found


def name_keys(names: Iterable[str], public_words: Iterable[str] = ()) -> NameKeys:
    """The names worth searching for, normalised (key -> the name as given).

    Left out: names shorter than three characters or longer than MAX_NAME_WORDS words, names
    that are exactly a public word (a place, program or office), and "names" without two
    letters in a row (a formula such as =1+1 typed into Nama names no one, and its digits
    would match every table of the report).
    """
    keyed = NameKeys(names) if isinstance(names, NameKeys) else _keyed_names(names)
    for key in keyed.keys() & {normalise_name(word) for word in public_words}:
        del keyed[key]
    return keyed


def _keyed_names(names: Iterable[str]) -> NameKeys:
    """:func:`name_keys` without leaving out public words."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    # A month's names are nearly all ASCII words separated by single spaces, whose key is the name in
    # lower case: those are told and filtered in Arrow (a million names took 1.6 s in Python, and stage
    # 4 asked twice); the others go through normalise_name. Same keys, names and order as one by one.
    given = list(names)
    try:
        as_arrow = pa.array(given, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text
        given = [str(name) for name in given]
        as_arrow = pa.array(given, type=pa.large_string())
    plain = pc.match_substring_regex(as_arrow, _PLAIN_NAME).to_numpy(zero_copy_only=False)
    keys = list(map(str.lower, given))
    keep = np.zeros(len(given), dtype=bool)
    if plain.any():
        plain_keys = pc.ascii_lower(pc.filter(as_arrow, plain))
        keep[plain] = pc.and_(pc.and_(pc.greater_equal(pc.binary_length(plain_keys), 3),
                                      pc.less(pc.count_substring(plain_keys, " "), MAX_NAME_WORDS)),
                              pc.match_substring_regex(plain_keys, "[a-z]{2}")).to_numpy(zero_copy_only=False)
    for position in np.flatnonzero(~plain).tolist():
        key = keys[position] = normalise_name(given[position])
        keep[position] = len(key) >= 3 and len(key.split()) <= MAX_NAME_WORDS and bool(_LETTERS.search(key))
    kept = keep.tolist()
    return NameKeys(zip(compress(keys, kept), compress(given, kept)))


#: Where a word written in camel case ("SintaSundari") changes from a small letter to a capital one.
_CAMEL_JOIN = re.compile(r"(?<=[a-z])(?=[A-Z])")


def contains_name(text: str, keys: Iterable[str]) -> bool:
    """Whether ``text`` holds one of the normalised names ``keys`` as whole words (e.g. a file name)."""
    if not isinstance(keys, (set, frozenset, dict)):
        keys = set(keys)
    return bool(_names_among(_phrases(text), keys))


def _phrases(text: str, apart_from: re.Pattern | None = None) -> set[str]:
    """Every run of 1 to MAX_NAME_WORDS consecutive words of ``text``, normalised.

    Words joined in camel case are also read apart (attack 20: ``Disdikbud_SintaSundari_2024-03.csv``,
    a program "Bantuan SintaSundari"). ``apart_from`` (:func:`_phrase_pattern`): runs within a
    place name of the text are left out, and no run crosses one.
    """
    read = _as_read(text)
    parts = []
    for variant in dict.fromkeys([read, _CAMEL_JOIN.sub(" ", read)]):
        normalised = normalise_name(variant)
        parts += apart_from.split(normalised) if apart_from is not None else [normalised]
    found = set()
    for part in parts:
        words = part.split()
        for size in range(1, MAX_NAME_WORDS + 1):
            for start in range(len(words) - size + 1):
                found.add(" ".join(words[start:start + size]))
    return found


def _phrase_pattern(words: Iterable[str]) -> re.Pattern | None:
    """A pattern of the normalised ``words`` as whole words of a normalised text, longest first."""
    phrases = sorted({key for word in words if (key := normalise_name(word))}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile(r"(?<![^ ])(?:" + "|".join(map(re.escape, phrases)) + r")(?![^ ])")


class PseudonymPrefixes(frozenset):
    """Pseudonyms cut to what the scan compares: their first 16 characters, in lower case.

    A month's million pseudonyms, cut once where they are read (in Arrow), are not cut again
    one by one in Python by :func:`scan_for_personal_data`.
    """

    @classmethod
    def of(cls, pseudonyms: Iterable[str]) -> PseudonymPrefixes:
        """Cut ``pseudonyms`` (those of at least 16 characters, surrounding spaces ignored)."""
        if isinstance(pseudonyms, cls):
            return pseudonyms
        return cls(cut[:16].lower() for cut in map(str.strip, map(str, pseudonyms)) if len(cut) >= 16)


def _windows(runs: Iterable[str]) -> set[str]:
    """Every 16 characters in a row of each run, its group separators removed."""
    joined = [re.sub(r"[^\w]|_", "", run) for run in runs]
    return {run[i:i + 16] for run in joined for i in range(len(run) - 15)}


def _masked(value: str) -> str:
    """Show an identifier in a finding without repeating it in full."""
    return value[:4] + "…" if len(value) > 6 else "…"


def scan_for_personal_data(
    reports_dir: str | Path,
    niks: Iterable[str] = (),
    names: Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
    paths: Iterable[str | Path] = (),
    public_words: Iterable[str] = (),
    pseudonyms_of: Callable[[list[str]], list[str]] | None = None,
    place_names: Iterable[str] = (),
) -> list[str]:
    """Search every file under ``reports_dir`` for personal data and server paths; list findings.

    Args:
        niks, names, pseudonyms: the month's input (never printed: a finding shows at most
            the first characters of a NIK or pseudonym and the first letter of a name);
            pseudonyms may be given already cut (:class:`PseudonymPrefixes`).
        pseudonyms_of: the run's pseudonyms of a list of 16-digit numbers (its key's HMAC): an
            accepted row's NIK is kept only as its pseudonym, so a number in a published file
            whose pseudonym is the month's is that NIK.
        paths: folders of this run (raw, processed, reports, the working directory) that no
            published file may mention; any path under /home, /tmp, ... or C:\\Users is
            reported too.
        public_words: names of places, programs and offices published on purpose; a name
            that is exactly one of them (a person called "Ganjar Agung") cannot be told
            apart from it and is not reported.
        place_names: the official names of the places (kecamatan, kelurahan and their other
            spellings): words within one of them in a published file are not matched (a
            recipient called "Agung" is not found in "Ganjar Agung"). Only places: a program's
            or office's name is typed by people and may hold a person's name.

    Also reports any bare 16-digit number outside PNGs (a NIK of someone not in the lists).
    Names match case-insensitively as whole words; a pseudonym also by its first 16
    characters. Returns one line per finding (empty list: clean).
    """
    root = Path(reports_dir)
    niks = {str(n).strip() for n in niks if len(str(n).strip()) == 16}
    names = name_keys(names, public_words)
    places = _phrase_pattern(place_names)  # attack 20: "Agung" made every report naming Ganjar Agung fail
    prefixes = PseudonymPrefixes.of(pseudonyms)
    folders = sorted({str(Path(p)) for p in paths if str(p) and len(str(Path(p))) > 1}, key=len, reverse=True)
    findings = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = file_text(path)
        if text is None:
            continue
        # Embedded images (base64 runs) hold no readable words; dropping them keeps the scan
        # fast and stops short names from matching random base64 letters.
        text = _BASE64_RUN.sub(" ", text)
        rel = path.relative_to(root)
        plain_windows = _windows(re.findall(r"\d{16,}", text))
        digit_windows = _windows(_DIGIT_RUN.findall(text))
        # Windows joined across separators (table rows, arrays of a map) are compared with a quarantined
        # NIK only if it has five different digits: 0000000000000000, a placeholder OPDs type, would match
        # sixteen zeros of any table.
        known = (niks & plain_windows) | {nik for nik in niks & digit_windows if len(set(nik)) >= 5}
        if pseudonyms_of is not None and prefixes and digit_windows:
            numbers = sorted(digit_windows)
            known |= {n for n, p in zip(numbers, pseudonyms_of(numbers)) if p[:16] in prefixes}
        for nik in sorted(known):
            findings.append(f"{rel}: NIK {_masked(nik)}")
        for key in sorted(_names_among(_phrases(text, apart_from=places), names)):
            findings.append(f"{rel}: nama {names[key][:1]}…")
        lower = text.lower()
        hex_windows = _windows(_HEX_RUN.findall(lower))
        for prefix in sorted(prefixes & hex_windows):
            findings.append(f"{rel}: pseudonim {_masked(prefix)}")
        if any(folder in text for folder in folders) or _SERVER_PATH.search(text):
            findings.append(f"{rel}: path folder server")
        if path.suffix.lower() != ".png":
            hits = SIXTEEN_DIGITS.findall(text)
            if hits:
                findings.append(f"{rel}: {len(hits)} angka 16 digit")
    return findings
