"""Judge every data row: accepted into penerima, or quarantined with its reasons (CONTRACT 2.2).

Every row read ends in exactly one of the two tables, so ``rows_read = rows_accepted +
rows_quarantined`` always holds; ``reconcile`` checks it and the per-OPD summary. The reason
codes and their wording are in :mod:`kmc_analysis.clean.reasons`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.clean import normalize as nz
from kmc_analysis.clean.ingest import PROVENANCE
from kmc_analysis.clean.places import PlaceIndex, place_combinations
from kmc_analysis.clean.reasons import REASONS, count_reasons
from kmc_analysis.core.errors import StageError
from kmc_analysis.core.store import PENERIMA, REKAP_OPD

UNKNOWN_OPD = "OPD tidak diketahui"
#: While a catalogue's programs plus one stay within this, a NIK (below 10**16) and its program fit one int64.
_PROGRAMS_IN_ONE_KEY = 900


@dataclass
class JudgedRows:
    """The outcome of the row rules over one month's long table.

    ``accepted`` still holds the clean ``nik`` column (for pseudonymisation, never
    written); ``quarantined`` holds provenance, ``alasan`` and the original cells, and
    ``quarantined_opd`` the OPD each quarantined row is sent back to. ``duplicate_of``
    gives, for each quarantined ``duplikat`` row, the provenance (sumber_file,
    sumber_sheet, sumber_baris) of the accepted row it repeats; empty for other rows.
    ``accepted_rows`` gives each accepted row's position in the table that was judged.
    """

    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    quarantined_opd: pd.Series
    rows_read: int
    duplicate_of: pd.DataFrame | None = None
    accepted_rows: np.ndarray | None = None

    def counts(self) -> dict:
        """The manifest's ``counts`` block: rows and quarantine reasons."""
        by_reason = count_reasons(self.quarantined["alasan"])
        return {
            "rows_read": self.rows_read,
            "rows_accepted": len(self.accepted),
            "rows_quarantined": len(self.quarantined),
            "quarantine_by_reason": {r: int(by_reason.get(r, 0)) for r in REASONS if by_reason.get(r, 0)},
        }


def judge_rows(rows: pd.DataFrame, wilayah: pd.DataFrame, programs: pd.DataFrame) -> JudgedRows:
    """Apply the contract's row rules to the long table from ``ingest.read_submissions``."""
    rows = rows.reset_index(drop=True)
    if not in_contract_order(rows):
        rows = rows.sort_values(["sumber_file", "urutan_sheet", "sumber_baris"], kind="stable")
    source = rows.index.to_numpy()  # each row's position in the table given
    rows = rows.reset_index(drop=True)

    nik = nz.clean_nik(rows["nik"])
    has_sixteen = nz.nik_has_sixteen_digits(nik)
    sixteen = has_sixteen.to_numpy()
    numbers = nz.nik_numbers(nik[sixteen])  # every one is 16 digits: never None
    date_ok = np.zeros(len(nik), dtype=bool)
    date_ok[sixteen] = nz.nik_number_date_is_valid(numbers)
    nama = nz.clean_text(rows["nama"])
    has_codes = "kode_kelurahan" in rows.columns
    place, places = place_combinations(rows["kelurahan"], rows["kecamatan"], PlaceIndex.from_wilayah(wilayah),
                                       rows["kode_kelurahan"] if has_codes else None,
                                       sheet=rows[["sumber_file", "sumber_sheet"]] if has_codes else None)
    program = _match_programs(rows["kode_bantuan"], rows["nama_bantuan"], programs)
    kode = _catalogue_column(programs["kode_bantuan"], program, rows.index)
    nominal = valid_nominal(nz.parse_rupiah(rows["nominal"]))

    flags = pd.DataFrame({
        "nik_kosong": nik.eq(""),
        "nik_format": nik.ne("") & ~has_sixteen,
        "nik_tanggal": sixteen & ~date_ok,
        "nama_kosong": nz.shows_nothing(nama),
        "wilayah_tidak_dikenal": ~places["wilayah_dikenal"].to_numpy()[place],
        "program_tidak_dikenal": kode.isna(),
        "nominal_tidak_valid": nominal.isna().to_numpy(),
    })
    flags["duplikat"], first_accepted = _duplicates(program, len(programs), ~flags.any(axis=1).to_numpy(), sixteen,
                                                    numbers)
    alasan = _join_reasons(flags)
    opd = _attribute_opd(rows["sumber_file"], program, programs)

    quarantined_mask = alasan.ne("")
    # taken by position, once for every column (a boolean mask is read again for each)
    kept = np.flatnonzero(~quarantined_mask.to_numpy())

    def accepted_rows(frame):
        return frame if len(kept) == len(frame) else frame.take(kept)

    needed = ["tanggal_salur", "sumber_file", "sumber_sheet", "sumber_baris"]  # not every cell: a million rows
    accepted = _accepted_table(*(accepted_rows(part) for part in (rows[needed], nik, nama, kode, nominal, opd)),
                               _place_names(places, wilayah), place[kept])
    quarantined = _quarantine_table(rows[quarantined_mask], alasan[quarantined_mask])
    in_quarantine = quarantined_mask.to_numpy()
    duplicate_of = _duplicate_sources(rows, first_accepted[in_quarantine], flags["duplikat"].to_numpy()[in_quarantine])
    return JudgedRows(accepted.reset_index(drop=True), quarantined.reset_index(drop=True),
                      opd[quarantined_mask].reset_index(drop=True), len(rows), duplicate_of, source[kept])


def valid_nominal(amount: pd.Series) -> pd.Series:
    """Whole Rupiah (Int64) where an amount is valid, else <NA>.

    Valid: a finite number that rounds to at least Rp 1 and stays below Rp 1.000.000.000
    once rounded (CONTRACT 2.2: 999.999.999,5 would be paid as Rp 1 miliar); an empty cell,
    text, zero, a negative amount, an infinite or a huge number is not.
    """
    finite = amount.where(np.isfinite(amount.fillna(np.nan)))
    rounded = np.floor(finite + 0.5)  # as rupiah_to_int rounds: sen are not paid out
    valid = rounded.ge(1) & rounded.lt(nz.NOMINAL_LIMIT)
    return nz.rupiah_to_int(amount.where(valid))


def in_contract_order(rows: pd.DataFrame) -> bool:
    """Whether rows already follow file name, sheet order, row order (as ``ingest`` returns them).

    Read on runs of one file name: a million rows from a few files are compared with their
    neighbours once, not factorised.
    """
    if len(rows) < 2:
        return True
    import pyarrow.compute as pc

    files = nz.arrow_text(rows["sumber_file"].astype("str").fillna(""))
    new_file = pc.not_equal(files[1:], files[:-1]).to_numpy(zero_copy_only=False)
    run_names = files.take(np.concatenate([[0], np.flatnonzero(new_file) + 1])).to_pylist()
    if any(later <= earlier for earlier, later in zip(run_names, run_names[1:])):
        return False  # file names out of order, or a file's rows apart
    sheet_step = np.diff(rows["urutan_sheet"].to_numpy())
    row_step = np.diff(rows["sumber_baris"].to_numpy())
    return bool((new_file | (sheet_step > 0) | ((sheet_step == 0) & (row_step > 0))).all())


def _match_programs(codes: pd.Series, names: pd.Series, programs: pd.DataFrame) -> np.ndarray:
    """Each row's program as its position in the catalogue (-1: none).

    Matched by code (ignoring case), else by name (ignoring case and spacing). Keys are made
    and looked up once per distinct cell text, then spread over the rows.
    """
    position = np.arange(len(programs))
    by_code = dict(zip(nz.program_code_key(programs["kode_bantuan"]), position))
    by_name = dict(zip(nz.program_name_key(programs["nama_bantuan"]), position))

    def looked_up(cells: pd.Series, key, table: dict) -> np.ndarray:
        texts, distinct = pd.factorize(cells.astype("str").fillna(""), sort=False)
        found = key(pd.Series(distinct, dtype="str")).map(table).fillna(-1).to_numpy(dtype="int64")
        return found[texts]

    from_name = looked_up(names, nz.program_name_key, by_name)
    if not nz.any_text(codes):  # a month that names its programs without codes
        return from_name
    from_code = looked_up(codes, nz.program_code_key, by_code)
    return np.where(from_code >= 0, from_code, from_name)


def _catalogue_column(values: pd.Series, position: np.ndarray, index: pd.Index) -> pd.Series:
    """A catalogue column's text for each row's program position (missing where it is -1)."""
    return pd.Series(pd.array(values.astype("str").to_numpy(dtype=object), dtype="str").take(position, allow_fill=True),
                     index=index)


def _duplicates(program: np.ndarray, programs: int, clean: np.ndarray, sixteen: np.ndarray,
                numbers: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Flag rows whose NIK and program were already accepted earlier in contract order.

    Among rows that break no other rule the first occurrence is accepted and later ones
    are duplicates. A row that breaks another rule is also flagged when an accepted row
    with the same NIK and program comes before it. Also returns, per row, the position
    of the first accepted row with its NIK and program (the number of rows when there is
    none). ``program`` is each row's catalogue position (-1: none) among ``programs``;
    ``sixteen`` flags the NIKs of 16 digits: no other NIK is ever accepted, so no other
    can repeat an accepted row; ``numbers`` are those NIKs as numbers (told apart faster
    than texts, and with the program in one number, hashed once).
    """
    width = programs + 1
    if width <= _PROGRAMS_IN_ONE_KEY:
        person = np.zeros(len(program), dtype=np.int64)
        person[sixteen] = numbers
    else:
        person = np.full(len(program), -1, dtype=np.int64)
        person[sixteen] = pd.factorize(numbers, sort=False)[0]
    pair = person * width + program + 1
    pair[~sixteen] = -1 - np.arange(int((~sixteen).sum()))  # each its own: never equal to an accepted NIK's
    key = pd.factorize(pair, sort=False)[0]
    comparable = sixteen & (program >= 0)
    candidates = comparable & clean
    first_accepted = np.full(int(key.max()) + 1 if len(key) else 0, len(key), dtype="int64")
    positions = np.flatnonzero(candidates)
    first = ~pd.Series(key[positions]).duplicated().to_numpy()  # each key's first candidate, in row order
    first_accepted[key[positions[first]]] = positions[first]
    first_of_row = first_accepted[key]
    earlier = first_of_row < np.arange(len(key))
    return pd.Series(comparable & earlier), first_of_row


def _duplicate_sources(rows: pd.DataFrame, first_accepted: np.ndarray, duplicate: np.ndarray) -> pd.DataFrame:
    """For the given rows (quarantined ones), the provenance of the accepted row each duplicate repeats.

    Empty text and NA where a row repeats nothing.
    """
    at = first_accepted[duplicate]
    source = pd.DataFrame({"sumber_file": pd.Series("", index=range(len(duplicate)), dtype="str"),
                           "sumber_sheet": pd.Series("", index=range(len(duplicate)), dtype="str"),
                           "sumber_baris": pd.Series(pd.NA, index=range(len(duplicate)), dtype="Int64")})
    if len(at):
        for column in source.columns:
            source.loc[duplicate, column] = rows[column].take(at).to_numpy()
    return source


def _join_reasons(flags: pd.DataFrame) -> pd.Series:
    """Join the codes of the flags a row raises with ``;``, in the contract's order.

    Rows are packed into a bit mask first, so the strings are built once per distinct
    combination of reasons rather than once per row.
    """
    import pyarrow as pa

    bits = np.zeros(len(flags), dtype="int32")
    for position, reason in enumerate(REASONS):
        bits |= flags[reason].to_numpy(dtype=bool).astype("int32") << position
    texts = [";".join(r for p, r in enumerate(REASONS) if mask >> p & 1) for mask in range(2 ** len(REASONS))]
    joined = pa.DictionaryArray.from_arrays(pa.array(bits), pa.array(texts, pa.large_string()))
    return pd.Series(pd.array(joined.cast(pa.large_string()), dtype="str"), index=flags.index)


def _attribute_opd(files: pd.Series, program: np.ndarray, programs: pd.DataFrame) -> pd.Series:
    """The OPD a row belongs to: its program's OPD, else the OPD most rows of its file name.

    ``program`` is each row's catalogue position (-1: none).
    """
    opd = _catalogue_column(programs["opd"], program, files.index)
    known = program >= 0
    if known.any() and not known.all():  # rows whose program is unknown take their file's OPD
        file_codes, file_names = pd.factorize(files, sort=False)
        opd_codes, opd_names = pd.factorize(opd, sort=False)
        # rows per (file, OPD) counted on codes: a few hundred pairs, not a million texts
        pairs = np.bincount(file_codes[known] * len(opd_names) + opd_codes[known],
                            minlength=len(file_names) * len(opd_names))
        present = np.flatnonzero(pairs)
        counts = pd.DataFrame({"file": pd.Series(file_names).take(present // len(opd_names)).to_numpy(),
                               "opd": pd.Series(opd_names).take(present % len(opd_names)).to_numpy(),
                               "count": pairs[present]})
        counts = counts.astype({"file": "str", "opd": "str"}).sort_values(
            ["file", "count", "opd"], ascending=[True, False, True])
        file_opd = counts.drop_duplicates("file").set_index("file")["opd"]
        opd = opd.fillna(nz.map_distinct(files, file_opd))
    return opd.fillna(UNKNOWN_OPD).astype("str")


def _place_names(places: pd.DataFrame, wilayah: pd.DataFrame) -> pd.DataFrame:
    """The place combinations' codes with the official kecamatan and kelurahan names ("" where none is known)."""
    kecamatan_names = wilayah.drop_duplicates("kode_kecamatan").set_index("kode_kecamatan")["kecamatan"]
    kelurahan_names = wilayah.set_index("kode_kelurahan")["kelurahan"]
    return pd.DataFrame({
        "kode_kecamatan": places["kode_kecamatan"],
        "kecamatan": places["kode_kecamatan"].map(kecamatan_names).astype("str").fillna(""),
        "kode_kelurahan": places["kode_kelurahan"],
        "kelurahan": places["kode_kelurahan"].map(kelurahan_names).astype("str").fillna(""),
    })


def _accepted_table(rows, nik, nama, kode, nominal, opd, places: pd.DataFrame, place: np.ndarray) -> pd.DataFrame:
    """The accepted rows' columns; ``places`` names each place combination, ``place`` is each row's."""
    def of_place(column: str) -> pd.Series:
        return pd.Series(places[column].array.take(place), index=nik.index)

    return pd.DataFrame({
        "nik": nik,
        "nik_tersamar": nz.mask_nik(nik),
        "nama": nama,
        "kode_bantuan": kode,
        "opd": opd,
        "kode_kecamatan": of_place("kode_kecamatan"),
        "kecamatan": of_place("kecamatan"),
        "kode_kelurahan": of_place("kode_kelurahan"),
        "kelurahan": of_place("kelurahan"),
        "nominal": nominal,
        "tanggal_salur": nz.parse_date(rows["tanggal_salur"]),
        "sumber_file": rows["sumber_file"],
        "sumber_sheet": rows["sumber_sheet"],
        "sumber_baris": rows["sumber_baris"].astype("int64"),
    })


def _quarantine_table(rows: pd.DataFrame, alasan: pd.Series) -> pd.DataFrame:
    """Provenance, reasons, then the original cells (empty columns left out), all as text.

    Line breaks inside a cell are written as LF: a lone CR would end the row for most
    CSV readers (pandas' writer does not quote it).
    """
    cells = rows.drop(columns=["sumber_file", "sumber_sheet", "urutan_sheet", "sumber_baris"])
    cells = cells.loc[:, [c for c in cells.columns if cells[c].ne("").any()]]
    cells = cells.apply(lambda column: column.str.replace("\r\n?", "\n", regex=True))
    return pd.concat([rows[PROVENANCE], alasan.rename("alasan"), cells], axis=1)


def finalize_accepted(accepted: pd.DataFrame, id_penerima: pd.Series) -> pd.DataFrame:
    """Swap the clean NIK for its pseudonym and order the columns as the contract says."""
    # by position, kept Arrow-backed (to_numpy would make a million Python strings and read them back)
    out = accepted.drop(columns="nik").assign(id_penerima=pd.Series(id_penerima.array, index=accepted.index))
    return out[PENERIMA.column_names].astype({"nominal": "int64"})


def opd_summary(judged: JudgedRows, programs: pd.DataFrame) -> pd.DataFrame:
    """rekap_opd: catalogue completeness and valid-row share per OPD, every catalogue OPD listed."""
    catalogue = programs.groupby("opd")["kode_bantuan"].nunique().rename("program_katalog")
    filled = judged.accepted.drop_duplicates("kode_bantuan").groupby("opd")["kode_bantuan"].nunique()
    accepted = judged.accepted.groupby("opd").size()
    quarantined = judged.quarantined_opd.value_counts()
    opds = sorted(set(catalogue.index) | set(accepted.index) | set(quarantined.index),
                  key=lambda name: (name == UNKNOWN_OPD, name))
    table = pd.DataFrame(index=pd.Index(opds, name="opd"))
    table["program_katalog"] = catalogue.reindex(opds).fillna(0).astype("int64")
    table["program_terisi"] = filled.reindex(opds).fillna(0).astype("int64")
    table["kelengkapan_persen"] = _percent(table["program_terisi"], table["program_katalog"])
    table["baris_diterima"] = accepted.reindex(opds).fillna(0).astype("int64")
    table["baris_karantina"] = quarantined.reindex(opds).fillna(0).astype("int64")
    table["baris_dibaca"] = table["baris_diterima"] + table["baris_karantina"]
    table["persen_valid"] = _percent(table["baris_diterima"], table["baris_dibaca"])
    return table.reset_index()[REKAP_OPD.column_names]


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    """part / whole x 100 rounded to 2 decimals; empty (NaN) where whole is zero."""
    return (100 * part / whole.where(whole > 0)).round(2)


def reconcile(judged: JudgedRows, rekap_opd: pd.DataFrame) -> None:
    """Raise StageError unless every row read is accounted for exactly once."""
    counts = judged.counts()
    problems = []
    if counts["rows_read"] != counts["rows_accepted"] + counts["rows_quarantined"]:
        problems.append(f"rows_read {counts['rows_read']} != accepted {counts['rows_accepted']} "
                        f"+ quarantined {counts['rows_quarantined']}")
    if int(rekap_opd["baris_dibaca"].sum()) != counts["rows_read"]:
        problems.append("rekap_opd.baris_dibaca does not add up to rows_read")
    if judged.quarantined["alasan"].eq("").any():
        problems.append("a quarantined row has no reason")
    if problems:
        raise StageError("Rekonsiliasi baris gagal: " + "; ".join(problems) + ". Ini kesalahan program: mohon laporkan.")
