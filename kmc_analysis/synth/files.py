"""Writing a synthetic month to disk: workbooks (byte-repeatable xlsx), CSV files, the marker, the reference tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kmc_analysis.core.repeatable_xlsx import repeatable_xlsx
from kmc_analysis.core.store import SYNTHETIC_MARKER
from kmc_analysis.synth.cells import Cells
from kmc_analysis.synth.layout import Layout
from kmc_analysis.synth.plan import File, Plan, opd_short
from kmc_analysis.synth.world import World

if TYPE_CHECKING:
    from kmc_analysis.core.reference import ReferenceData

#: The instructions sheet some workbooks carry (and the input template's Petunjuk).
_PETUNJUK = (
    "PETUNJUK PENGISIAN DATA PENERIMA KARTU METRO CERIA (KMC)",
    "",
    "1. Isi satu baris untuk setiap penerima (by name by address).",
    "2. NIK diisi 16 digit sesuai KTP/KK. Format sel sebagai Teks agar angka tidak berubah menjadi 1,87201E+15.",
    "3. Nominal diisi dalam Rupiah tanpa titik desimal, misalnya 1500000.",
    "4. Tanggal penyaluran diisi dengan format DD/MM/YYYY.",
    "5. Kelurahan dan kecamatan ditulis sesuai nama resmi di Kota Metro.",
    "6. Kirim file ke Dinas Kominfo paling lambat tanggal 5 bulan berikutnya.",
)
#: Headers of the template's list sheet, worded so that no row reads as a beneficiary list's header.
_DAFTAR_HEADERS = ("Kelurahan yang sah", "Terletak di kecamatan", "Kode Kemendagri", "", "Kecamatan yang sah", "",
                   "Kode bantuan yang sah", "Nama bantuan di katalog")

#: Column widths of the data sheets.
_WIDTHS = {"no": 5, "id": 7, "nik": 20, "no_kk": 20, "nama": 28, "jenis_kelamin": 12, "tanggal_lahir": 14,
           "alamat": 30, "rt": 5, "rw": 5, "kelurahan": 18, "kecamatan": 16, "kode_kelurahan": 15, "program_id": 10,
           "kode_bantuan": 12, "nama_bantuan": 36, "nominal": 16, "tanggal_salur": 16, "keterangan": 14}


def _number_formats(rng: np.random.Generator) -> dict[str, str]:
    """Excel number formats one workbook uses for its number and date cells."""
    return {
        "nik": "0",
        "no": "General",
        "nominal": str(rng.choice(["#,##0", '"Rp"#,##0', "#,##0.00", "General", '"Rp"#,##0.00'])),
        "tanggal_salur": str(rng.choice(["DD/MM/YYYY", "d mmmm yyyy", "yyyy-mm-dd", "dd-mmm-yy"])),
        "tanggal_lahir": str(rng.choice(["DD/MM/YYYY", "d mmmm yyyy", "dd-mm-yyyy"])),
    }


def _column_values(key: str, seg: np.ndarray, cells: Cells, layout: Layout) -> list:
    """The text of one column for the rows ``seg`` (running numbers for ``no`` and ``id``)."""
    if key in ("no", "id"):
        return layout.no[seg].tolist()
    return cells.text[key].iloc[seg].tolist()


def write_xlsx(path: Path, f: File, plan: Plan, world: World, cells: Cells, layout: Layout,
               rng: np.random.Generator, stamp: dt.datetime) -> None:
    """Write one workbook (write-only openpyxl), then fix its timestamps so the bytes repeat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook(write_only=True)
    wb.properties.creator = opd_short(f.opd)
    wb.properties.lastModifiedBy = opd_short(f.opd)
    wb.properties.created = wb.properties.modified = stamp
    bold = Font(bold=True)
    formats = _number_formats(rng)
    for sid in f.sheets:
        sheet = plan.sheets[sid]
        ws = wb.create_sheet(sheet.name)

        def styled(value, font=None, number_format=None):
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if number_format is not None:
                cell.number_format = number_format
            return cell

        if sheet.kind == "petunjuk":
            ws.column_dimensions["A"].width = 100
            for line in _PETUNJUK:
                ws.append([line] if line else [])
            continue
        if sheet.kind == "daftar":
            _write_lists(ws, world, f.opd, styled, bold)
            continue
        if sheet.kind != "data":
            continue
        for c, key in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(c)].width = _WIDTHS[key]
        if sheet.text_cells:
            for key, lists in (("kelurahan", "A"), ("kecamatan", "E"), ("kode_bantuan", "G")):
                letter = get_column_letter(sheet.columns.index(key) + 1)
                validation = DataValidation(type="list", formula1=f"=Daftar!${lists}$5:${lists}$200", allow_blank=True)
                validation.add(f"{letter}2:{letter}5000")
                ws.data_validations.append(validation)

        for title in sheet.titles:
            ws.append([styled(title, bold)] if title else [])
        ws.append([styled(h, bold) for h in sheet.headers])
        seg = layout.segments[sid]
        columns = []
        for key in sheet.columns:
            values = _column_values(key, seg, cells, layout)
            typed = cells.typed[key][seg] if key in cells.typed else np.zeros(len(seg), dtype=bool)
            if typed.any():
                raw = cells.values[key][seg]
                raw = raw.astype("datetime64[D]").astype(object) if raw.dtype.kind == "M" else raw.tolist()
                for j in np.flatnonzero(typed).tolist():
                    values[j] = styled(raw[j], number_format=formats[key])
            if sheet.text_cells and key in ("nik", "kode_bantuan"):
                values = [styled(v, number_format="@") if isinstance(v, str) and v else v for v in values]
            columns.append([None if isinstance(v, str) and v == "" else v for v in values])
        by_line = {e.line: e for e in layout.extras.get(sid, [])}
        current = len(sheet.titles) + 1
        for j, number in enumerate(layout.line[seg].tolist()):
            current = _extras_up_to(ws, by_line, current, number, sheet, formats, styled, bold)
            ws.append([col[j] for col in columns])
            current += 1
        _extras_up_to(ws, by_line, current, layout.end[sid] + 1, sheet, formats, styled, bold)
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(repeatable_xlsx(buffer.getvalue(), stamp))


def _extras_up_to(ws, by_line: dict, current: int, number: int, sheet, formats, styled, bold) -> int:
    """Write blank rows and rows that are not data until just before row ``number``; return the row reached."""
    while current + 1 < number:
        current += 1
        extra = by_line.get(current)
        if extra is None:
            ws.append([])
            continue
        width = max(extra.cells) + 1
        row: list = [None] * width
        for column, value in extra.cells.items():
            if extra.kind == "jumlah" and isinstance(value, (int, np.integer)) and column > 0:
                row[column] = styled(int(value), bold, formats["nominal"])
            elif extra.kind == "jumlah":
                row[column] = styled(value, bold)
            else:
                row[column] = value
        ws.append(row)
    return current


def _write_lists(ws, world: World, opd: str, styled, bold) -> None:
    """The template's lists (kelurahan, kecamatan, the OPD's programs) on a protected sheet."""
    ws.protection.sheet = True
    programs = world.programs[world.programs["opd"] == opd]
    order = np.argsort(world.kel_name.astype(str), kind="stable")
    lists = [list(world.kel_name[order]), list(world.kec_name[world.kel_kec[order]]), list(world.kel_code[order]),
             [], sorted(world.kec_name), [], programs["kode_bantuan"].tolist(), programs["nama_bantuan"].tolist()]
    ws.append([styled(f"Daftar isian yang sah: kelurahan Kota Metro dan program {opd}", bold)])
    ws.append(["Isian yang sah untuk kolom Kelurahan, Kecamatan dan Kode/Nama Bantuan. Sheet ini dikunci."])
    ws.append([])
    ws.append([styled(h, bold) if h else None for h in _DAFTAR_HEADERS])
    for i in range(max(len(items) for items in lists)):
        ws.append([items[i] if i < len(items) else None for items in lists])


def write_csv(path: Path, f: File, sheet_id: int, plan: Plan, cells: Cells, layout: Layout) -> None:
    """Write one CSV: title lines padded with separators, the header, rows with blank and other lines between."""
    sheet = plan.sheets[sheet_id]
    seg = layout.segments[sheet_id]
    header = len(sheet.titles) + 1
    table = pd.DataFrame({
        i: pd.Series(layout.no[seg].astype(str), dtype="str") if key in ("no", "id")
        else cells.text[key].iloc[seg].reset_index(drop=True)
        for i, key in enumerate(sheet.columns)
    })
    table.index = layout.line[seg]
    table = table.reindex(range(header + 1, layout.end[sheet_id] + 1), fill_value="")
    for extra in layout.extras.get(sheet_id, []):
        table.loc[extra.line] = ""
        for column, value in extra.cells.items():
            table.loc[extra.line, column] = str(value)
    width = len(sheet.columns)
    with path.open("w", encoding=f.encoding, newline="") as out:
        writer = csv.writer(out, delimiter=f.sep, lineterminator="\r\n")
        for title in sheet.titles:
            writer.writerow([title] + [""] * (width - 1))
        writer.writerow(sheet.headers)
        table.to_csv(out, sep=f.sep, header=False, index=False, lineterminator="\r\n")


def write_marker(opd_dir: Path, summary: dict) -> Path:
    """Mark the period folder as synthetic (a small JSON file, the same bytes for the same month)."""
    path = opd_dir / SYNTHETIC_MARKER
    text = {"sintetis": True, "keterangan": "DATA SINTETIS: bukan data resmi. Dibuat oleh kmc synth.", **summary}
    path.write_text(json.dumps(text, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def copy_reference(out_dir: Path, reference: ReferenceData | None) -> None:
    """Put the reference tables used beside the OPD files, unless the folder already exists."""
    from kmc_analysis.core.reference import BUNDLED, REFERENCE_FILES, bundled_reference_dir

    target = out_dir / "reference"
    if target.exists():
        return
    target.mkdir(parents=True)
    sources = reference.sources if reference is not None else {}
    for name in REFERENCE_FILES:
        source = sources.get(name.removesuffix(".csv"), BUNDLED)
        shutil.copyfile(bundled_reference_dir() / name if source == BUNDLED else Path(source), target / name)
