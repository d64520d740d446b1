"""Render the screenshots of docs/panduan_opd.md from a synthetic month (no real personal data).

Needs LibreOffice (``soffice``) and poppler (``pdftoppm``). Run from the project folder:

    python docs/gambar/render_screenshots.py

It writes a small made-up Dinas Sosial month (fictional names and NIKs, a few rows with
the usual mistakes), runs stage 1 on it, writes the input template, prints the
workbooks to PDF with LibreOffice and crops the pages shown in the guide into
docs/gambar/*.png.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import Workbook, load_workbook

from kmc_analysis.clean.stage import clean_month
from kmc_analysis.clean.template import TEMPLATE_SHEET, write_template
from kmc_analysis.core.paths import run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference
from kmc_analysis.core.store import UMPAN_BALIK, feedback_file_names

HERE = Path(__file__).resolve().parent
PERIOD = Period(2024, 3)
OPD = "Dinas Sosial"
DPI = 100
#: Output name -> (workbook, page number, crop box in pixels at DPI: x, y, width, height).
SHOTS = {
    "umpan_balik_petunjuk.png": ("feedback", 1, (40, 40, 760, 620)),
    "umpan_balik_perbaikan.png": ("feedback", "Perbaikan", (30, 30, 1110, 520)),
    "umpan_balik_daftar.png": ("feedback", "Daftar", (30, 30, 1110, 330)),
    "templat_data.png": ("template", "Data", (30, 30, 1110, 170)),
}


def main() -> None:
    os.environ.setdefault("KMC_PSEUDONYM_KEY", "kunci-contoh-untuk-gambar-panduan-saja")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        reference = load_reference(None)
        _made_up_month(work / "raw" / "opd" / str(PERIOD))
        paths = run_paths(PERIOD, work / "raw", work / "processed", work / "reports")
        clean_month(paths, reference)
        books = {
            "feedback": paths.processed / UMPAN_BALIK / feedback_file_names([OPD], PERIOD)[OPD],
            "template": _filled_template(work / "templat.xlsx", reference),
        }
        pdfs = {name: _pdf(book, work) for name, book in books.items()}
        for output, (book, page, box) in SHOTS.items():
            number = page if isinstance(page, int) else _page_with(pdfs[book], page)
            _crop(pdfs[book], number, box, HERE / output)
            print(f"{output}: {(HERE / output).stat().st_size // 1024} KB", file=sys.stderr)


#: Fictional rows: (NIK, name, kelurahan, kecamatan, program code, amount). Rows 3-9 hold the usual mistakes.
_ROWS = [
    ("1872014107800001", "Siti Aminah", "Metro", "Metro Pusat", "KMC-020", 300000),
    ("1872021203750002", "Budi Santoso", "Banjarsari", "Metro Utara", "KMC-018", 1500000),
    ("1,87201E+15", "Sri Wahyuni", "Yosorejo", "Metro Timur", "KMC-020", 300000),
    ("", "Agus Setiawan", "Tejosari", "Metro Timur", "KMC-025", 200000),
    ("1872035506820003", "", "Ganjar Asri", "Metro Barat", "KMC-020", 300000),
    ("1872042308690004", "Dewi Lestari", "Hadimulyo", "Metro Pusat", "KMC-020", 300000),
    ("1872050109710005", "Joko Susilo", "Rejomulyo", "Metro Selatan", "KMC-099", 300000),
    ("1872016612880006", "Rina Marlina", "Imopuro", "Metro Pusat", "KMC-023", "menunggu SK"),
    ("1872014107800001", "Siti Aminah", "Metro", "Metro Pusat", "KMC-020", 300000),
    ("1872023108930007", "Wahyu Hidayat", "Karangrejo", "Metro Utara", "KMC-021", 300000),
]


def _made_up_month(folder: Path) -> None:
    folder.mkdir(parents=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "BNBA"
    sheet.append(["DAFTAR PENERIMA BANTUAN SOSIAL DINAS SOSIAL KOTA METRO BULAN MARET 2024"])
    sheet.append([])
    sheet.append(["No", "NIK", "Nama", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nominal", "Tanggal Penyaluran"])
    for number, (nik, name, kelurahan, kecamatan, code, amount) in enumerate(_ROWS, 1):
        sheet.append([number, nik, name, kelurahan, kecamatan, code, amount, dt.datetime(2024, 3, 11)])
    book.save(folder / "BNBA Dinsos Maret 2024.xlsx")


def _filled_template(path: Path, reference) -> Path:
    write_template(path, reference, opd=OPD)
    book = load_workbook(path)
    sheet = book[TEMPLATE_SHEET]
    programs = reference.program_bantuan[reference.program_bantuan["opd"].eq(OPD)].reset_index(drop=True)
    places = reference.wilayah.reset_index(drop=True)
    for i, nama in enumerate(["Contoh Penerima Satu", "Contoh Penerima Dua", "Contoh Penerima Tiga"]):
        program, place = programs.iloc[i], places.iloc[3 * i]
        sheet.append([f"187201{10 + i}0390{i:04d}", nama, place["kelurahan"], place["kecamatan"],
                      program["kode_bantuan"], program["nama_bantuan"], int(program["nominal_standar"]),
                      dt.datetime(2024, 3, 4 + i)])
        sheet.cell(sheet.max_row, 8).number_format = "dd/mm/yyyy"  # as the column's format shows a typed date
    book.save(path)
    return path


def _pdf(book: Path, work: Path) -> Path:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{work}/lo", "--convert-to", "pdf",
                    "--outdir", str(work), str(book)], check=True, capture_output=True, timeout=300)
    return work / f"{book.stem}.pdf"


def _page_with(pdf: Path, sheet: str) -> int:
    """The first page whose footer names ``sheet`` (the feedback and template footers name their sheet)."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    marks = {"Perbaikan": "Perbaikan, umpan balik", "Daftar": "Daftar isian yang sah", "Data": "Data penerima"}
    return next(i for i, text in enumerate(pages, 1) if marks[sheet] in text)


def _crop(pdf: Path, page: int, box: tuple[int, int, int, int], out: Path) -> None:
    x, y, width, height = box
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-x", str(x), "-y", str(y),
                    "-W", str(width), "-H", str(height), "-singlefile", str(pdf), str(out.with_suffix(""))],
                   check=True)


if __name__ == "__main__":
    main()
