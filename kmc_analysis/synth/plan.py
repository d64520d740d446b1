"""The plan of a synthetic month: the files each OPD sends and the sheets in them.

``make_plan`` takes the rows each program gets (``synth.schedule``) and decides the file
names OPDs use, file kinds (workbooks and CSV files), the sheets of each workbook (data,
instructions, empty, the template's lists) and which sheet holds each program. Now and
then an OPD sends a late ``_susulan`` file with more rows (read beside the first one) and,
with the layouts of contract version 2, an OPD replaces a file with a ``_revisi`` file
(CONTRACT 2.3: the original is not read).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import NAMA_BULAN
from kmc_analysis.synth.sheets import RoundRobin, Sheet, data_sheet, opendk_sheet, template_sheet, titles
from kmc_analysis.synth.world import World

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
class File:
    """One submission file."""

    name: str
    kind: str                          # xlsx | csv
    opd: str
    file_id: int = 0
    sep: str = ","
    encoding: str = "utf-8-sig"
    sheets: list[int] = field(default_factory=list)
    layout: str = "bnba"               # bnba | template | opendk
    superseded: bool = False           # replaced by a _revisi file: never read (CONTRACT 2.3)


@dataclass
class Plan:
    """Files, sheets and how many rows each program gets."""

    files: list[File]
    sheets: list[Sheet]
    counts: np.ndarray                 # rows per program (base rows)
    main_sheet: np.ndarray             # sheet of each program (-1 when not submitted)
    susulan_sheet: np.ndarray          # sheet of each program in the OPD's _susulan file (-1: none)
    susulan_opd: str | None
    original_of: dict[int, int] = field(default_factory=dict)   # superseded sheet -> the sheet replacing it

    def superseded_files(self) -> list[tuple[str, str]]:
        """(original, replaced by) file names of every _revisi pair."""
        pairs = {self.sheets[old].file: self.sheets[new].file for old, new in self.original_of.items()}
        return sorted((self.files[o].name, self.files[n].name) for o, n in pairs.items())


def make_plan(world: World, rng: np.random.Generator, counts: np.ndarray, clean: bool, kinds: str,
              extras: bool) -> Plan:
    """Decide the files and sheets of the OPDs that submit this month and where each program goes.

    ``kinds``: ``mixed`` (workbooks, templates, CSV and OpenDK files, as OPDs send them), ``csv``
    or ``xlsx`` (every file of that kind).
    """
    programs = world.programs
    n_prog = len(programs)
    opd_of = programs["opd"].to_numpy(dtype=object)
    files: list[File] = []
    sheets: list[Sheet] = []
    plan = Plan(files, sheets, counts, np.full(n_prog, -1), np.full(n_prog, -1), None)
    rr = RoundRobin(rng)
    bits = {"bulan": NAMA_BULAN[world.period.month - 1], "y": str(world.period.year),
            "mm": f"{world.period.month:02d}"}

    opd_rows = {opd: int(counts[opd_of == opd].sum()) for opd in world.opds}
    senders = [opd for opd in world.opds if opd_rows[opd] > 0]
    order = [senders[i] for i in rng.permutation(len(senders))]
    big = [opd for opd in order if opd_rows[opd] >= 20]
    plan.susulan_opd = big[0] if extras and big else None
    revisi_opd = big[1] if extras and len(big) > 1 else None
    kecamatan_offices = [o for o in order if (programs.loc[opd_of == o, "home_kec"] >= 0).all()]
    opendk_opd = kecamatan_offices[0] if kecamatan_offices and kinds == "mixed" else None

    for n, opd in enumerate(order):
        first_file = len(files)
        progs = [int(p) for p in np.flatnonzero(opd_of == opd) if counts[p] > 0]
        short = opd_short(opd)
        if opd == opendk_opd:
            kind = "csv"
        elif kinds == "mixed":
            kind = "xlsx" if n % 5 in (0, 2, 3) else "csv"
        else:
            kind = kinds
        if opd == opendk_opd:
            slug = re.sub(r"[^a-z0-9]+", "_", str(opd).lower()).strip("_")
            f = _new_file(files, f"peserta_bantuan_opendk_{slug}_{bits['y']}-{bits['mm']}.csv", "csv", opd)
            f.layout, f.sep, f.encoding = "opendk", ",", "utf-8"
            _add_sheet(sheets, f, opendk_sheet(rng, f.file_id, Path(f.name).stem))
            plan.main_sheet[progs] = len(sheets) - 1
        elif kind == "xlsx" and n % 5 == 3:
            _template_file(plan, rng, opd, short, progs, bits)
        elif kind == "xlsx":
            _workbook(plan, rng, rr, world, opd, short, progs, clean, bits)
        else:
            _csv_files(plan, rng, rr, world, opd, short, progs, clean, bits)
        if opd == plan.susulan_opd:
            _susulan(plan, rng, rr, world, opd, progs, clean, bits, first_file)
        elif opd == revisi_opd:
            _revisi(plan, first_file)
    return plan


def _workbook(plan: Plan, rng, rr: RoundRobin, world: World, opd: str, short: str, progs: list[int], clean: bool,
              bits) -> None:
    """A workbook: one data sheet per program or one for all, an instructions sheet, maybe an empty sheet."""
    programs = world.programs
    f = _new_file(plan.files, _xlsx_name(rng, short, programs, progs, bits), "xlsx", opd)
    per_program = 1 < len(progs) <= 12 and rng.random() < 0.75
    petunjuk = rng.random()      # an instructions sheet first (30%), last (25%) or none
    if petunjuk < 0.3:
        _add_sheet(plan.sheets, f, Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
    groups = [[p] for p in progs] if per_program else [progs]
    for group in groups:
        name = _program_sheet_name(rng, programs, group[0]) if per_program else \
            str(rng.choice(["BNBA", "Data Penerima", "Sheet1", "REKAP PENERIMA", "DATA"]))
        _add_sheet(plan.sheets, f, data_sheet(rng, rr, world, f.file_id, "xlsx", name, opd, group, clean, bits))
        plan.main_sheet[group] = len(plan.sheets) - 1
    if 0.3 <= petunjuk < 0.55:
        _add_sheet(plan.sheets, f, Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
    if not clean and rng.random() < 0.3:
        _add_sheet(plan.sheets, f, Sheet(f.file_id, str(rng.choice(["Sheet2", "Sheet3"])), kind="kosong"))


def _template_file(plan: Plan, rng, opd: str, short: str, progs: list[int], bits) -> None:
    """A filled input template (``kmc template``): Petunjuk, the Data sheet and the protected lists (Daftar)."""
    u = short.replace(" ", "_")
    name = (f"Template KMC {short} {bits['bulan']} {bits['y']}.xlsx" if rng.random() < 0.5
            else f"Isian_KMC_{u}_{bits['y']}-{bits['mm']}.xlsx")
    f = _new_file(plan.files, name, "xlsx", opd)
    f.layout = "template"
    _add_sheet(plan.sheets, f, Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
    _add_sheet(plan.sheets, f, template_sheet(rng, f.file_id))
    plan.main_sheet[progs] = len(plan.sheets) - 1
    _add_sheet(plan.sheets, f, Sheet(f.file_id, "Daftar", kind="daftar"))


def _csv_files(plan: Plan, rng, rr: RoundRobin, world: World, opd: str, short: str, progs: list[int], clean: bool,
               bits) -> None:
    """One CSV file for the OPD, or one per program; separators and encodings vary."""
    programs = world.programs
    per_program_files = len(progs) > 1 and rng.random() < 0.35
    groups = [[p] for p in progs] if per_program_files else [progs]
    separators = (";", ",", "|")
    for group in groups:
        f = _new_file(plan.files, _csv_name(rng, short, programs, group if per_program_files else progs, bits,
                                            per_program_files), "csv", opd)
        f.sep = rr.take("sep", separators)
        f.encoding = rr.take("encoding", ("utf-8-sig", "cp1252", "utf-8", "utf-8-sig"), start=0)
        s = data_sheet(rng, rr, world, f.file_id, "csv", Path(f.name).stem, opd, group, clean, bits)
        if f.encoding == "cp1252" and not s.titles:
            s.titles = titles(rng, world, opd, group, programs, bits, force=True)
        _add_sheet(plan.sheets, f, s)
        plan.main_sheet[group] = len(plan.sheets) - 1


def _susulan(plan: Plan, rng, rr: RoundRobin, world: World, opd: str, progs: list[int], clean: bool, bits,
             first_file: int) -> None:
    """A late file with more rows of the OPD, named after its last file so that it sorts after all of them."""
    last = max(plan.files[first_file:], key=lambda x: x.name)
    stem, ext = last.name.rsplit(".", 1)
    f = _new_file(plan.files, f"{stem}_susulan.{ext}", last.kind, opd)
    f.sep, f.encoding = last.sep, last.encoding
    f.layout = last.layout
    name = "Susulan" if f.kind == "xlsx" else Path(f.name).stem
    sheet = opendk_sheet(rng, f.file_id, name) if f.layout == "opendk" else \
        data_sheet(rng, rr, world, f.file_id, f.kind, name, opd, progs, clean, bits)
    _add_sheet(plan.sheets, f, sheet)
    plan.susulan_sheet[progs] = len(plan.sheets) - 1


def _revisi(plan: Plan, first_file: int) -> None:
    """The OPD's first file becomes ``X_revisi``; an older version ``X`` is written beside it and not read."""
    final = plan.files[first_file]
    stem, ext = final.name.rsplit(".", 1)
    original = copy.copy(final)
    original.sheets, original.superseded = [], True
    final.name = f"{stem}_revisi.{ext}"
    if final.kind == "csv":          # a CSV's one table is named after its file
        plan.sheets[final.sheets[0]].name = Path(final.name).stem
    original = _new_file(plan.files, f"{stem}.{ext}", final.kind, final.opd, like=original)
    for sid in list(final.sheets):
        clone = copy.deepcopy(plan.sheets[sid])
        clone.file = original.file_id
        _add_sheet(plan.sheets, original, clone)
        plan.original_of[len(plan.sheets) - 1] = sid


def _new_file(files: list[File], name: str, kind: str, opd: str, like: File | None = None) -> File:
    taken = {f.name.lower() for f in files}
    stem, ext = name.rsplit(".", 1)
    n = 2
    while name.lower() in taken:
        name, n = f"{stem} ({n}).{ext}", n + 1
    f = copy.copy(like) if like is not None else File(name, kind, opd)
    f.name, f.kind, f.opd, f.file_id = name, kind, opd, len(files)
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
    return "_".join(words[:4])


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
