"""The sheets of a synthetic month: their columns, headers, title rows, value forms and the layouts OPDs use.

A data sheet (or the single table of a CSV file) gets columns from the ones OPDs keep,
headers from the contract's synonyms (CONTRACT 2.1) written in the styles OPDs write
them, title rows above the header and the dominant forms of its values. Besides the
usual layouts there are sheets in the layout of the input template (``kmc template``:
a ``Data`` sheet with fixed headers), and, with the layouts of contract version 2, the
layouts of real systems: OpenDK's sync CSV (``desa_id``, ``kartu_nik``, ``kartu_nama``),
the Kemendes BNBA sheet with its row of column numbers, signature blocks under tables,
SUB TOTAL rows between groups, pipe-separated CSV and the newer header synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kmc_analysis.clean.template import TEMPLATE_COLUMNS
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
#: Headers contract version 2 added (CONTRACT 2.1), written with the version 2 layouts only.
NEWER_HEADERS: dict[str, tuple[str, ...]] = {
    "nik": ("NIK KPM", "NIK Penerima", "NIK (16 digit)"),
    "nama": ("Nama KPM", "Nama Penduduk", "Nama Kepala Keluarga"),
    "kelurahan": ("Desa/Kel", "Kel/Desa", "Nama Desa/Kelurahan", "Nama Kelurahan"),
    "kode_kelurahan": ("Kode Kelurahan", "Kode Desa", "Kode Wilayah", "kode_desa"),
    "nama_bantuan": ("Nama Program",),
    "nominal": ("Nominal Bantuan", "Jumlah Bantuan", "Besaran Bantuan", "Jumlah Bantuan (Rp)"),
}
#: OpenDK's sync CSV: its own columns, plus the code and amount an OPD adds (OpenDK has neither).
OPENDK_COLUMNS = ("id", "kode_kelurahan", "program_id", "nik", "nama", "tanggal_lahir", "alamat", "kode_bantuan",
                  "nominal")
OPENDK_HEADERS = ("id", "desa_id", "program_id", "kartu_nik", "kartu_nama", "kartu_tanggal_lahir", "kartu_alamat",
                  "kode_bantuan", "nominal")

# Value forms. Typed forms (a number or date cell) exist in xlsx only; in CSV they are
# written as their plain text equivalent.
NIK_FORMS = ("teks", "angka", "titik", "spasi", "strip", "apostrof")
NOMINAL_FORMS = ("angka", "digit", "rp_desimal", "rp_spasi", "rp_titik_strip", "koma_ribuan")
DATE_FORMS = ("tanggal_excel", "dd/mm/yyyy", "yyyy-mm-dd", "kata")
CODE_FORMS = ("bertitik", "polos", "bps")
_NIK_WEIGHTS = (0.5, 0.25, 0.05, 0.05, 0.05, 0.1)
_NOMINAL_WEIGHTS = (0.35, 0.2, 0.15, 0.1, 0.1, 0.1)
_DATE_WEIGHTS = (0.45, 0.3, 0.1, 0.15)


@dataclass
class Sheet:
    """One sheet of a workbook (or the single table of a CSV file)."""

    file: int
    name: str
    kind: str = "data"                 # data | petunjuk | kosong | daftar (the template's lists)
    columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    order: int = 0                     # position in the workbook
    jumlah: bool = False               # a JUMLAH (totals) row under the data
    sorted_by_place: bool = False
    subtotals: bool = False            # SUB TOTAL rows between kelurahan (version 2; sorted sheets only)
    number_row: bool = False           # a row of column numbers under the header (version 2)
    signature: list[str] = field(default_factory=list)   # lines under the table (version 2)
    signature_column: int = 0
    text_cells: bool = False           # identifiers written as text cells (the template)
    style: dict = field(default_factory=dict)


class RoundRobin:
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


def titles(rng, world: World, opd: str, progs, programs, bits, force: bool = False) -> list[str]:
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


def data_sheet(rng, rr: RoundRobin, world: World, file_id: int, kind: str, name: str, opd: str, progs,
               clean: bool, bits) -> Sheet:
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
    if rng.random() < 0.2:   # a kelurahan code, alone or before the names
        place = ["kode_kelurahan"] + ([] if rng.random() < 0.4 else [p for p in place if p != "kecamatan"])
    cols += place
    r = rng.random()
    cols += ["kode_bantuan", "nama_bantuan"] if r < 0.4 else (["kode_bantuan"] if r < 0.7 else ["nama_bantuan"])
    cols.append("nominal")
    if rng.random() < 0.7:
        cols.append("tanggal_salur")
    if rng.random() < 0.3:
        cols.append("keterangan")

    style = int(rng.choice(4, p=[0.6, 0.25, 0.1, 0.05]))
    synonyms = {c: HEADERS.get(c, ()) + NEWER_HEADERS.get(c, ()) for c in cols}
    headers = [_header_style(str(rr.take(c, synonyms[c])), style) for c in cols]
    xlsx = kind == "xlsx"
    sheet = Sheet(file_id, name, columns=cols, headers=headers,
                  titles=titles(rng, world, opd, progs, programs, bits) if (xlsx or rng.random() < 0.5) else [])
    sheet.jumlah = not clean and cols[0] == "no" and rng.random() < 0.6 and (xlsx or rng.random() < 0.5)
    sheet.sorted_by_place = rng.random() < 0.4
    sheet.style = _value_style(rng)
    if not clean:
        sheet.subtotals = xlsx and sheet.jumlah and sheet.sorted_by_place and rng.random() < 0.5
        sheet.number_row = xlsx and rng.random() < 0.2
        if sheet.number_row:     # the Kemendes BNBA look: headers in capitals over a row of column numbers
            sheet.headers = [h.upper() for h in sheet.headers]
        if rng.random() < 0.3:
            add_signature(rng, sheet, opd, world, bits)
    return sheet


def template_sheet(rng, file_id: int) -> Sheet:
    """The ``Data`` sheet of the input template, as a clerk fills it: identifiers as text cells."""
    sheet = Sheet(file_id, "Data", columns=list(TEMPLATE_COLUMNS.values()), headers=list(TEMPLATE_COLUMNS), text_cells=True)
    sheet.style = _value_style(rng)
    sheet.style.update(nik=0, nominal=0, tanggal_salur=0, case=0, upper_names=False)
    return sheet


def opendk_sheet(rng, file_id: int, name: str) -> Sheet:
    """An OpenDK sync CSV (snake_case columns, dotted ``desa_id``) with the code and amount added."""
    sheet = Sheet(file_id, name, columns=list(OPENDK_COLUMNS), headers=list(OPENDK_HEADERS))
    sheet.style = _value_style(rng)
    sheet.style.update(nik=0, nominal=1, tanggal_lahir=2, code=0, upper_names=True, case=1)
    return sheet


def add_signature(rng, sheet: Sheet, opd: str, world: World, bits) -> None:
    """A signature block under the table: place and date, ``Mengetahui,``, the head of office, NIP."""
    head = (f"Kepala {opd}" if not str(opd).lower().startswith("kecamatan") else f"Camat {str(opd)[10:]}")
    nip = f"NIP. 19{int(rng.integers(62, 80))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d} " \
          f"{int(rng.integers(1988, 2006))}{int(rng.integers(1, 13)):02d} {int(rng.integers(1, 3))} " \
          f"{int(rng.integers(1, 20)):03d}"
    signer = str(rng.choice(["Drs. SUPARMAN, M.Si.", "Hj. SRI WAHYUNI, S.Sos., M.M.", "IR. BAMBANG HARTONO",
                             "ZAINAL ABIDIN, S.H., M.H.", "dr. RINA ANGGRAINI, M.Kes."]))
    lines = [f"Metro, {world.period.last_day().day} {bits['bulan']} {bits['y']}", "Mengetahui,", head, "", "",
             signer, nip]
    if rng.random() < 0.4:
        lines = ["Catatan: data sesuai SK penetapan penerima"] + [""] + lines
    sheet.signature = lines
    forbidden = {"nik", "nominal"}
    allowed = [i for i, c in enumerate(sheet.columns) if c not in forbidden]
    right = [i for i in allowed if i > sheet.columns.index("nominal")]
    sheet.signature_column = (right[0] if right and rng.random() < 0.6 else allowed[0]) if allowed else 0


def _value_style(rng) -> dict:
    """A sheet's dominant value forms."""
    return {
        "nik": int(rng.choice(len(NIK_FORMS), p=_NIK_WEIGHTS)),
        "nominal": int(rng.choice(len(NOMINAL_FORMS), p=_NOMINAL_WEIGHTS)),
        "tanggal_salur": int(rng.choice(len(DATE_FORMS), p=_DATE_WEIGHTS)),
        "tanggal_lahir": int(rng.choice(len(DATE_FORMS), p=_DATE_WEIGHTS)),
        "case": int(rng.choice(3, p=[0.6, 0.3, 0.1])),      # place names: as written, UPPER, lower
        "upper_names": bool(rng.random() < 0.4),
        "jk": int(rng.integers(3)),
        "rt": int(rng.integers(3)),
        "code": int(rng.integers(len(CODE_FORMS))),
    }


def _header_style(text: str, style: int) -> str:
    """Write a header as OPDs do: as is, in capitals, with abbreviation dots, or database style."""
    if style == 1:
        return text.upper()
    if style == 2:
        return re.sub(r"\b(No|Tgl|Kel|Kec)\b(?!\.)", r"\1.", text)
    if style == 3:
        return re.sub(r"\s+", "_", text.upper())
    return text
