"""The plan of a synthetic month: which OPDs submit, their files and sheets, and each sheet's forms.

``make_plan`` decides who submits, how many rows each program gets, the file names OPDs
use, the sheets of each workbook (data, instructions, empty), and for every data sheet
its columns, headers (CONTRACT 2.1 synonyms), title rows and dominant value forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import NAMA_BULAN
from kmc_analysis.synth.world import World

#: Headers written for each column. Required columns use exactly the contract's
#: synonyms (CONTRACT 2.1), each of which appears in some sheet of a month.
HEADERS: dict[str, tuple[str, ...]] = {
    "no": ("No", "No."),
    "nik": ("NIK", "No NIK", "Nomor NIK", "No KTP", "NIK KTP", "Nomor Induk Kependudukan"),
    "no_kk": ("No KK", "No. KK"),
    "nama": ("Nama", "Nama Lengkap", "Nama Penerima"),
    "jenis_kelamin": ("Jenis Kelamin",),
    "tanggal_lahir": ("Tanggal Lahir",),
    "alamat": ("Alamat",),
    "rt": ("RT",),
    "rw": ("RW",),
    "kelurahan": ("Kelurahan", "Kel", "Desa/Kelurahan"),
    "kecamatan": ("Kecamatan", "Kec"),
    "kode_bantuan": ("Kode Bantuan", "Kode Program"),
    "nama_bantuan": ("Jenis Bantuan", "Nama Bantuan", "Program"),
    "nominal": ("Nominal", "Jumlah", "Nilai Bantuan", "Besaran", "Jumlah (Rp)"),
    "tanggal_salur": ("Tanggal Penyaluran", "Tgl Salur", "Tanggal"),
    "keterangan": ("Keterangan",),
}

# Value forms. Typed forms (a number or date cell) exist in xlsx only; in CSV they are
# written as their plain text equivalent.
NIK_FORMS = ("teks", "angka", "titik", "spasi", "strip", "apostrof")
NOMINAL_FORMS = ("angka", "digit", "rp_desimal", "rp_spasi", "rp_titik_strip", "koma_ribuan")
DATE_FORMS = ("tanggal_excel", "dd/mm/yyyy", "yyyy-mm-dd", "kata")
_NIK_WEIGHTS = (0.5, 0.25, 0.05, 0.05, 0.05, 0.1)
_NOMINAL_WEIGHTS = (0.35, 0.2, 0.15, 0.1, 0.1, 0.1)
_DATE_WEIGHTS = (0.45, 0.3, 0.1, 0.15)

#: Short names OPDs use for themselves in file names.
_OPD_SHORT = {
    "dinas pendidikan dan kebudayaan": "Disdikbud",
    "dinas sosial": "Dinsos",
    "dinas kesehatan": "Dinkes",
    "dinas pemberdayaan perempuan, perlindungan anak, pengendalian penduduk dan keluarga berencana": "DP3AP2KB",
    "satuan polisi pamong praja": "Satpol PP",
    "bagian kesejahteraan rakyat": "Bag Kesra",
    "dinas koperasi, umkm dan perindustrian": "Diskopukmperin",
    "dinas perumahan dan kawasan permukiman": "Disperkim",
    "dinas ketahanan pangan, pertanian dan perikanan": "DKP3",
    "dinas tenaga kerja": "Disnaker",
    "dinas kepemudaan dan olahraga": "Dispora",
    "dinas komunikasi dan informatika": "Diskominfo",
}


def opd_short(opd: str) -> str:
    """The short name an OPD uses for itself in file names."""
    text = str(opd).strip()
    if text.lower() in _OPD_SHORT:
        return _OPD_SHORT[text.lower()]
    if text.lower().startswith("kecamatan "):
        return "Kec " + text[len("kecamatan "):]
    if len(text) <= 14:
        return text
    words = [w for w in re.split(r"[\s,]+", text) if w and w.lower() not in ("dan", "kota", "metro")]
    return "".join(w[0].upper() for w in words)


@dataclass
class Sheet:
    """One sheet of a workbook (or the single table of a CSV file)."""

    file: int
    name: str
    kind: str = "data"                 # data | petunjuk | kosong
    columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    order: int = 0                     # position in the workbook
    jumlah: bool = False
    sorted_by_place: bool = False
    style: dict = field(default_factory=dict)


@dataclass
class File:
    """One submission file."""

    name: str
    kind: str                          # xlsx | csv
    opd: str
    file_id: int = 0
    sep: str = ","
    encoding: str = "utf-8-sig"
    sheets: list[int] = field(default_factory=list)


class _RoundRobin:
    """Hands out the items of each list in turn, from a random start, so all of them get used."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.next: dict[str, int] = {}

    def take(self, name: str, items, start: int | None = None) -> object:
        """The next item of ``items`` for ``name`` (the first one at ``start``, else at random)."""
        if name not in self.next:
            self.next[name] = int(self.rng.integers(len(items))) if start is None else start
        value = items[self.next[name] % len(items)]
        self.next[name] += 1
        return value


@dataclass
class Plan:
    """Files, sheets and how many rows each program gets."""

    files: list[File]
    sheets: list[Sheet]
    counts: np.ndarray                 # rows per program (base rows)
    main_sheet: np.ndarray             # sheet of each program (-1 when not submitted)
    revisi_sheet: np.ndarray           # sheet of each program in the revisi file (-1: none)
    revisi_opd: str | None


def make_plan(world: World, rng: np.random.Generator, n_base: int, clean: bool, kinds: str,
              want_revisi: bool) -> Plan:
    """Decide who submits this month, how many rows each program gets, and the files and sheets.

    ``kinds``: ``mixed`` (workbooks and CSV files, as OPDs send them), ``csv`` or ``xlsx``
    (every file of that kind).
    """
    programs = world.programs
    n_prog = len(programs)
    opd_of = programs["opd"].to_numpy(dtype=object)

    submits = {opd: rng.random() < 0.85 for opd in world.opds}
    if len(world.opds) >= 3:
        submits[world.opds[int(rng.integers(len(world.opds)))]] = False
    if not any(submits.values()):
        submits[world.opds[0]] = True
    active = np.array([submits[o] for o in opd_of]) & (rng.random(n_prog) < 0.92)
    for opd in world.opds:   # a submitting OPD sends at least one program
        mine = np.flatnonzero(opd_of == opd)
        if submits[opd] and not active[mine].any():
            active[mine[int(rng.integers(len(mine)))]] = True
    weight = np.where(active, programs["weight"].to_numpy(), 0.0)
    counts = rng.multinomial(n_base, weight / weight.sum())

    files: list[File] = []
    sheets: list[Sheet] = []
    main_sheet = np.full(n_prog, -1)
    revisi_sheet = np.full(n_prog, -1)
    rr = _RoundRobin(rng)
    period_bits = {"bulan": NAMA_BULAN[world.period.month - 1], "y": str(world.period.year),
                   "mm": f"{world.period.month:02d}"}

    opd_rows = {opd: int(counts[opd_of == opd].sum()) for opd in world.opds}
    senders = [opd for opd in world.opds if opd_rows[opd] > 0]
    order = [senders[i] for i in rng.permutation(len(senders))]
    revisi_opd = None
    if want_revisi:
        big = [opd for opd in order if opd_rows[opd] >= 20]
        revisi_opd = big[0] if big else None

    for n, opd in enumerate(order):
        first_file = len(files)
        progs = [p for p in np.flatnonzero(opd_of == opd) if counts[p] > 0]
        kind = kinds if kinds != "mixed" else ("xlsx" if n % 5 in (0, 2, 3) else "csv")
        short = opd_short(opd)
        if kind == "xlsx":
            f = _new_file(files, _xlsx_name(rng, short, programs, progs, period_bits), "xlsx", opd)
            per_program = len(progs) > 1 and len(progs) <= 12 and rng.random() < 0.75
            petunjuk = rng.random()      # an instructions sheet first (30%), last (25%) or none
            if petunjuk < 0.3:
                _add_sheet(sheets, f, Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
            groups = [[p] for p in progs] if per_program else [progs]
            for group in groups:
                name = _program_sheet_name(rng, programs, group[0]) if per_program else \
                    str(rng.choice(["BNBA", "Data Penerima", "Sheet1", "REKAP PENERIMA", "DATA"]))
                s = _data_sheet(rng, rr, world, f, name, opd, group, clean, period_bits)
                _add_sheet(sheets, f, s)
                main_sheet[group] = len(sheets) - 1
            if 0.3 <= petunjuk < 0.55:
                _add_sheet(sheets, f, Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
            if not clean and rng.random() < 0.3:
                _add_sheet(sheets, f, Sheet(f.file_id, str(rng.choice(["Sheet2", "Sheet3"])), kind="kosong"))
        else:
            per_program_files = len(progs) > 1 and rng.random() < 0.35
            groups = [[p] for p in progs] if per_program_files else [progs]
            for group in groups:
                f = _new_file(files, _csv_name(rng, short, programs, group if per_program_files else progs,
                                               period_bits, per_program_files), "csv", opd)
                f.sep = rr.take("sep", (";", ","))
                f.encoding = rr.take("encoding", ("utf-8-sig", "cp1252", "utf-8", "utf-8-sig"), start=0)
                s = _data_sheet(rng, rr, world, f, Path(f.name).stem, opd, group, clean, period_bits)
                if f.encoding == "cp1252" and not s.titles:
                    s.titles = _titles(rng, world, opd, group, programs, period_bits, force=True)
                _add_sheet(sheets, f, s)
                main_sheet[group] = len(sheets) - 1
        if opd == revisi_opd:
            # named after the OPD's last file in sort order, so that it sorts after all of them
            last = max(files[first_file:], key=lambda x: x.name)
            stem, ext = last.name.rsplit(".", 1)
            rf = _new_file(files, f"{stem}_revisi.{ext}", last.kind, opd)
            rf.sep, rf.encoding = last.sep, last.encoding
            sheet_name = "Susulan" if rf.kind == "xlsx" else Path(rf.name).stem
            s = _data_sheet(rng, rr, world, rf, sheet_name, opd, progs, clean, period_bits)
            _add_sheet(sheets, rf, s)
            revisi_sheet[progs] = len(sheets) - 1
    return Plan(files, sheets, counts, main_sheet, revisi_sheet, revisi_opd)


def _new_file(files: list[File], name: str, kind: str, opd: str) -> File:
    taken = {f.name.lower() for f in files}
    stem, ext = name.rsplit(".", 1)
    n = 2
    while name.lower() in taken:
        name, n = f"{stem} ({n}).{ext}", n + 1
    f = File(name, kind, opd, file_id=len(files))
    files.append(f)
    return f


def _add_sheet(sheets: list[Sheet], f: File, sheet: Sheet) -> None:
    taken = {sheets[i].name.lower() for i in f.sheets}
    base, n = sheet.name, 2
    while sheet.name.lower() in taken:
        suffix = f" ({n})"
        sheet.name, n = base[:31 - len(suffix)] + suffix, n + 1
    sheet.order = len(f.sheets)
    f.sheets.append(len(sheets))
    sheets.append(sheet)


def _slug(programs: pd.DataFrame, progs: list[int]) -> str:
    """Program words for a file name: ``Beasiswa`` for a group, ``Insentif_Anggota_Linmas`` for one."""
    words = [re.sub(r"[^0-9A-Za-z]", "", w) for w in str(programs["nama_bantuan"].iloc[progs[0]]).split()]
    words = [w for w in words if w]
    firsts = {str(programs["nama_bantuan"].iloc[p]).split()[0] for p in progs}
    if len(progs) > 1:
        return firsts.pop() if len(firsts) == 1 else "BNBA_KMC"
    return "_".join(words[:3])


def _xlsx_name(rng, short: str, programs, progs, bits) -> str:
    u = short.replace(" ", "_")
    patterns = (
        f"{u}_{_slug(programs, progs)}_{bits['bulan']}_{bits['y']}.xlsx",
        f"BNBA {short} {bits['bulan']} {bits['y']}.xlsx",
        f"Data Penerima KMC {short} {bits['bulan']} {bits['y']}.xlsx",
        f"{bits['y']}{bits['mm']} {short} - Penerima KMC.xlsx",
        f"{u}_KMC_{bits['y']}-{bits['mm']}.xlsx",
    )
    return str(patterns[int(rng.integers(len(patterns)))])


def _csv_name(rng, short: str, programs, progs, bits, per_program: bool) -> str:
    u = short.replace(" ", "_")
    if per_program:
        return f"{u}_{_slug(programs, progs)}_{bits['y']}-{bits['mm']}.csv"
    patterns = (
        f"BNBA {short} {bits['y']}-{bits['mm']}.csv",
        f"export_kmc_{u.lower()}_{bits['y']}{bits['mm']}.csv",
        f"{short} KMC {bits['bulan']} {bits['y']}.csv",
        f"{u}_{_slug(programs, progs)}_{bits['y']}-{bits['mm']}.csv",
    )
    return str(patterns[int(rng.integers(len(patterns)))])


def _program_sheet_name(rng, programs: pd.DataFrame, p: int) -> str:
    """A sheet name for one program: its code, or its name cut to Excel's 31 characters."""
    if rng.random() < 0.3:
        name = str(programs["kode_bantuan"].iloc[p])
    else:
        name = str(programs["nama_bantuan"].iloc[p])
        name = re.sub(r"^(Insentif|Bantuan Sosial|Bantuan|Honor)\s+", "", name)
    name = re.sub(r"[\[\]:*?/\\]", "-", name).strip()
    return name[:31].strip() or "Data"


def _titles(rng, world: World, opd: str, progs, programs, bits, force: bool = False) -> list[str]:
    """Title lines above the header: none, or 2 to 5 (the header lands on row 1, 3, 4, 5 or 6)."""
    choice = int(rng.integers(3, 5)) if force else int(rng.integers(0, 5))
    if choice == 0:
        return []
    t1 = "DAFTAR PENERIMA BANTUAN KARTU METRO CERIA (KMC)"
    t2 = f"{str(opd).upper()} KOTA METRO" if not str(opd).lower().startswith("kecamatan") else str(opd).upper()
    t3 = f"Periode: 1 – {world.period.last_day().day} {bits['bulan']} {bits['y']}"
    t4 = (f"Program: {programs['nama_bantuan'].iloc[progs[0]]}" if len(progs) == 1
          else f"Tahun Anggaran {bits['y']}")
    return {1: [t1, t2], 2: [t1, t2, ""], 3: [t1, t2, t3, ""], 4: [t1, t2, t3, t4, ""]}[choice]




def _data_sheet(rng, rr: _RoundRobin, world: World, f: File, name: str, opd: str, progs, clean: bool,
                bits) -> Sheet:
    """A data sheet: its columns, headers, title rows and dominant value forms."""
    programs = world.programs
    cols = ["no"] if rng.random() < 0.8 else []
    ident = ["nik", "nama"] if rng.random() < 0.7 else ["nama", "nik"]
    if rng.random() < 0.3:
        ident.insert(ident.index("nik") + 1, "no_kk")
    cols += ident
    for key, p in (("jenis_kelamin", 0.5), ("tanggal_lahir", 0.4), ("alamat", 0.6)):
        if rng.random() < p:
            cols.append(key)
    if "alamat" in cols and rng.random() < 0.6:
        cols += ["rt", "rw"]
    home = {int(programs["home_kec"].iloc[p]) for p in progs}
    r = rng.random()
    place = ["kelurahan", "kecamatan"] if r < 0.72 else (["kelurahan"] if r < 0.9 or home == {-1}
                                                          else ["kecamatan"])
    if home != {-1} and place == ["kelurahan"] and rng.random() < 0.5:
        place = ["kecamatan"]
    cols += place
    r = rng.random()
    cols += ["kode_bantuan", "nama_bantuan"] if r < 0.4 else (["kode_bantuan"] if r < 0.7 else ["nama_bantuan"])
    cols.append("nominal")
    if rng.random() < 0.7:
        cols.append("tanggal_salur")
    if rng.random() < 0.3:
        cols.append("keterangan")

    style = int(rng.choice(4, p=[0.6, 0.25, 0.1, 0.05]))
    headers = [_header_style(str(rr.take(c, HEADERS[c])), style) for c in cols]
    xlsx = f.kind == "xlsx"
    sheet = Sheet(f.file_id, name, columns=cols, headers=headers,
                  titles=_titles(rng, world, opd, progs, programs, bits) if (xlsx or rng.random() < 0.5) else [])
    sheet.jumlah = xlsx and not clean and cols[0] == "no" and rng.random() < 0.6
    sheet.sorted_by_place = rng.random() < 0.4
    sheet.style = {
        "nik": int(rng.choice(len(NIK_FORMS), p=_NIK_WEIGHTS)),
        "nominal": int(rng.choice(len(NOMINAL_FORMS), p=_NOMINAL_WEIGHTS)),
        "tanggal_salur": int(rng.choice(len(DATE_FORMS), p=_DATE_WEIGHTS)),
        "tanggal_lahir": int(rng.choice(len(DATE_FORMS), p=_DATE_WEIGHTS)),
        "case": int(rng.choice(3, p=[0.6, 0.3, 0.1])),      # place names: as written, UPPER, lower
        "upper_names": bool(rng.random() < 0.4),
        "jk": int(rng.integers(3)),
        "rt": int(rng.integers(3)),
    }
    return sheet


def _header_style(text: str, style: int) -> str:
    """Write a header as OPDs do: as is, in capitals, with abbreviation dots, or database style."""
    if style == 1:
        return text.upper()
    if style == 2:
        return re.sub(r"\b(No|Tgl|Kel|Kec)\b(?!\.)", r"\1.", text)
    if style == 3:
        return re.sub(r"\s+", "_", text.upper())
    return text
