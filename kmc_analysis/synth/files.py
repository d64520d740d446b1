"""Writing a synthetic month to disk: workbooks (byte-repeatable xlsx), CSV files and the reference tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kmc_analysis.synth.cells import Cells
from kmc_analysis.synth.plan import File, Plan, opd_short
from kmc_analysis.synth.rows import Rows
from kmc_analysis.synth.truth import Layout

if TYPE_CHECKING:
    from kmc_analysis.core.reference import ReferenceData

#: The instructions sheet some workbooks carry.
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


def _number_formats(rng: np.random.Generator) -> dict[str, str]:
    """Excel number formats one workbook uses for its number and date cells."""
    return {
        "nik": "0",
        "no": "General",
        "nominal": str(rng.choice(["#,##0", '"Rp"#,##0', "#,##0.00", "General", '"Rp"#,##0.00'])),
        "tanggal_salur": str(rng.choice(["DD/MM/YYYY", "d mmmm yyyy", "yyyy-mm-dd", "dd-mmm-yy"])),
        "tanggal_lahir": str(rng.choice(["DD/MM/YYYY", "d mmmm yyyy", "dd-mm-yyyy"])),
    }


#: Column widths of the data sheets.
_WIDTHS = {"no": 5, "nik": 20, "no_kk": 20, "nama": 28, "jenis_kelamin": 12, "tanggal_lahir": 14, "alamat": 30,
           "rt": 5, "rw": 5, "kelurahan": 18, "kecamatan": 16, "kode_bantuan": 12, "nama_bantuan": 36,
           "nominal": 16, "tanggal_salur": 16, "keterangan": 14}


def write_xlsx(path: Path, f: File, plan: Plan, rows: Rows, cells: Cells, layout: Layout,
               rng: np.random.Generator, stamp: dt.datetime) -> None:
    """Write one workbook (write-only openpyxl), then fix its timestamps so the bytes repeat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.creator = opd_short(f.opd)
    wb.properties.lastModifiedBy = opd_short(f.opd)
    wb.properties.created = wb.properties.modified = stamp
    bold = Font(bold=True)
    formats = _number_formats(rng)
    for sid in f.sheets:
        sheet = plan.sheets[sid]
        ws = wb.create_sheet(sheet.name)
        if sheet.kind == "petunjuk":
            ws.column_dimensions["A"].width = 100
            for line in _PETUNJUK:
                ws.append([line] if line else [])
            continue
        if sheet.kind != "data":
            continue
        for c, key in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(c)].width = _WIDTHS[key]

        def styled(value, font=None, number_format=None):
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if number_format is not None:
                cell.number_format = number_format
            return cell

        for title in sheet.titles:
            ws.append([styled(title, bold)] if title else [])
        ws.append([styled(h, bold) for h in sheet.headers])
        seg = layout.segments[sid]
        columns = []
        for key in sheet.columns:
            if key == "no":
                columns.append(layout.no[seg].tolist())
                continue
            values = cells.text[key].iloc[seg].tolist()
            typed = cells.typed[key][seg]
            if typed.any():
                raw = cells.values[key][seg]
                raw = raw.astype("datetime64[D]").astype(object) if raw.dtype.kind == "M" else raw.tolist()
                fmt = formats[key]
                for j in np.flatnonzero(typed).tolist():
                    values[j] = styled(raw[j], number_format=fmt)
            columns.append([None if isinstance(v, str) and v == "" else v for v in values])
        current = len(sheet.titles) + 1
        for j, number in enumerate(layout.line[seg].tolist()):
            while current + 1 < number:
                ws.append([])
                current += 1
            ws.append([col[j] for col in columns])
            current += 1
        if sid in layout.jumlah:
            while current + 1 < layout.jumlah[sid]:
                ws.append([])
                current += 1
            label = [styled("JUMLAH", bold)] + [None] * (len(sheet.columns) - 1)
            label[sheet.columns.index("nominal")] = styled(rows.accepted_total(seg), bold, formats["nominal"])
            ws.append(label)
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_repeatable_zip(buffer.getvalue(), stamp))


def _repeatable_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite an xlsx zip with fixed entry dates and document timestamps (byte-identical reruns)."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            payload = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + when, payload)
            info = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, payload)
    return out.getvalue()


def write_csv(path: Path, f: File, sheet_id: int, plan: Plan, cells: Cells, layout: Layout) -> None:
    """Write one CSV: title lines padded with separators, the header, rows with blank lines between."""
    sheet = plan.sheets[sheet_id]
    seg = layout.segments[sheet_id]
    header = len(sheet.titles) + 1
    table = pd.DataFrame({
        i: (pd.Series(layout.no[seg].astype(str), dtype="str") if key == "no"
            else cells.text[key].iloc[seg].reset_index(drop=True))
        for i, key in enumerate(sheet.columns)
    })
    table.index = layout.line[seg]
    table = table.reindex(range(header + 1, layout.end[sheet_id] + 1), fill_value="")
    width = len(sheet.columns)
    with path.open("w", encoding=f.encoding, newline="") as out:
        writer = csv.writer(out, delimiter=f.sep, lineterminator="\r\n")
        for title in sheet.titles:
            writer.writerow([title] + [""] * (width - 1))
        writer.writerow(sheet.headers)
        table.to_csv(out, sep=f.sep, header=False, index=False, lineterminator="\r\n")


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
