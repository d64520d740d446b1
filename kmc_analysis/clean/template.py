"""The input template OPDs fill in (`kmc template`, CONTRACT 2.3): a workbook that prevents errors.

The `Data` sheet has exactly the headers stage 1 reads without surprises
(:data:`TEMPLATE_HEADERS`), NIK and code columns stored as text so Excel keeps every digit,
dropdowns for kelurahan, kecamatan and program from the reference tables in use, and
checks on NIK length, amount and date. A `Petunjuk` sheet explains it in Bahasa Indonesia
and the lists sit on the protected `Daftar` sheet. The synthesiser writes some months in
this layout from the constants here.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from kmc_analysis.clean.clerk_sheets import (
    DEFAULT_RECIPIENT, INSTRUCTIONS_SHEET, Formats, new_workbook, print_on_a4, row_points, write_lines,
)
from kmc_analysis.clean.lists_sheet import LISTS_SHEET, add_dropdowns, opd_programs, write_lists_sheet
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.reference import ReferenceData

#: The sheet OPDs fill in, its headers in order, and the column each header is read as.
TEMPLATE_SHEET = "Data"
TEMPLATE_HEADERS = ("NIK", "Nama", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nama Bantuan", "Nominal",
                    "Tanggal Penyaluran")
TEMPLATE_COLUMNS = dict(zip(TEMPLATE_HEADERS, ("nik", "nama", "kelurahan", "kecamatan", "kode_bantuan",
                                               "nama_bantuan", "nominal", "tanggal_salur")))
#: The protected lists sheet (last; the instructions sheet INSTRUCTIONS_SHEET comes first).
TEMPLATE_LISTS_SHEET = LISTS_SHEET
#: Rows of the `Data` sheet prepared with dropdowns and checks.
TEMPLATE_ROWS = 10_000
#: Column widths of the `Data` sheet, in characters.
_WIDTHS = {"NIK": 20, "Nama": 30, "Kelurahan": 20, "Kecamatan": 16, "Kode Bantuan": 14, "Nama Bantuan": 40,
           "Nominal": 14, "Tanggal Penyaluran": 14}
_TEXT_COLUMNS = ("nik", "kode_bantuan")
_MAX_NOMINAL = 999_999_999  # CONTRACT 2.2: Rp 1 miliar or more in one row is not an amount


def write_template(out: Path, reference: ReferenceData, opd: str | None = None, *,
                   recipient: str = DEFAULT_RECIPIENT) -> Path:
    """Write the input template to ``out`` (an ``.xlsx`` path) and return it.

    With ``opd`` (a catalogue OPD name, any case) the program dropdown offers only that
    OPD's programs; an OPD the catalogue does not know is bad input. The file is written
    to a temporary name first and moved into place, so a failure never leaves half a file.
    """
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"Templat harus disimpan sebagai berkas .xlsx, bukan '{out.name}'. "
                         f"Beri nama berakhiran .xlsx, mis. templat_kmc.xlsx.")
    programs = reference.program_bantuan
    opd_name = _catalogue_opd(opd, programs["opd"]) if opd is not None else None
    programs = opd_programs(programs, opd_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".xlsx", dir=out.parent)
    os.close(handle)
    try:
        book = new_workbook(temporary, "Templat isian data penerima KMC")
        formats = Formats(book)
        who = opd_name or "OPD"
        instructions = book.add_worksheet(INSTRUCTIONS_SHEET)
        data = book.add_worksheet(TEMPLATE_SHEET)
        ranges = write_lists_sheet(book.add_worksheet(LISTS_SHEET), formats, reference.wilayah, programs,
                                   f"Daftar isian yang sah: kelurahan Kota Metro dan program {who}")
        _write_instructions(instructions, formats, who, recipient, len(programs))
        _write_data_sheet(data, formats)
        add_dropdowns(data, ranges, {i: TEMPLATE_COLUMNS[h] for i, h in enumerate(TEMPLATE_HEADERS)},
                      1, TEMPLATE_ROWS)
        instructions.activate()
        book.close()
        os.replace(temporary, out)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return out


def _catalogue_opd(opd: str, opds) -> str:
    known = sorted(set(opds))
    by_key = {" ".join(name.casefold().split()): name for name in known}
    name = by_key.get(" ".join(str(opd).casefold().split()))
    if name is None:
        raise InputError(f"OPD '{opd}' tidak ada di program_bantuan.csv. Tulis nama OPD persis seperti di katalog, "
                         f"salah satu dari: {'; '.join(known)}.")
    return name


def _write_data_sheet(sheet, formats: Formats) -> None:
    for position, header in enumerate(TEMPLATE_HEADERS):
        column = TEMPLATE_COLUMNS[header]
        if column in _TEXT_COLUMNS:
            style = formats.get(text=True)
        elif column == "nominal":
            style = formats.get(number="#,##0")
        elif column == "tanggal_salur":
            style = formats.get(number="dd/mm/yyyy")
        else:
            style = None
        sheet.set_column(position, position, _WIDTHS[header], style)
        sheet.write_string(0, position, header, formats.get(header=True))
    sheet.set_row(0, row_points(list(TEMPLATE_HEADERS), [_WIDTHS[h] for h in TEMPLATE_HEADERS]))
    sheet.freeze_panes(1, 0)
    last = TEMPLATE_ROWS
    nik, nominal, tanggal = (TEMPLATE_HEADERS.index(h) for h in ("NIK", "Nominal", "Tanggal Penyaluran"))
    sheet.data_validation(1, nik, last, nik, {
        "validate": "length", "criteria": "==", "value": 16,
        "input_title": "NIK 16 digit", "input_message": "Ketik 16 digit NIK sesuai KTP/KK. Sel ini berformat Teks "
                                                         "agar semua digit tersimpan.",
        "error_type": "stop", "error_title": "NIK harus 16 digit",
        "error_message": "NIK harus tepat 16 digit angka. Periksa kembali KTP/KK penerima.",
    })
    sheet.data_validation(1, nominal, last, nominal, {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": _MAX_NOMINAL,
        "input_title": "Nominal (Rupiah)", "input_message": "Nilai bantuan dalam Rupiah, angka bulat tanpa Rp dan "
                                                            "tanpa titik, mis. 1500000.",
        "error_type": "stop", "error_title": "Nominal tidak valid",
        "error_message": "Isi angka bulat Rupiah lebih dari 0 dan kurang dari Rp 1.000.000.000, mis. 1500000.",
    })
    sheet.data_validation(1, tanggal, last, tanggal, {
        "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2099, 12, 31),
        "input_title": "Tanggal penyaluran", "input_message": "Tanggal bantuan disalurkan, mis. 04/03/2024.",
        "error_type": "stop", "error_title": "Bukan tanggal",
        "error_message": "Isi tanggal dengan format tanggal/bulan/tahun, mis. 04/03/2024.",
    })
    print_on_a4(sheet, landscape=True, header_row=0, footer="Data penerima Kartu Metro Ceria")


def _write_instructions(sheet, formats: Formats, opd: str, recipient: str, program_count: int) -> None:
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 100)
    lines = [
        ("title", f"Templat isian data penerima Kartu Metro Ceria (KMC): {opd}"),
        ("text", "Isi data penerima bantuan bulan ini di sheet Data, satu baris untuk satu penerima pada satu jenis "
                 "bantuan. Berkas yang diisi dengan templat ini dibaca tanpa perlu diperbaiki, asalkan petunjuk di "
                 "bawah diikuti."),
        ("heading", "Cara mengisi sheet Data"),
        ("step", "Mulai mengisi dari baris 2. Jangan mengubah, menghapus atau memindahkan judul kolom di baris 1, "
                 "dan jangan menggabungkan sel (merge)."),
        ("step", "NIK: 16 digit angka sesuai KTP/KK. Kolom NIK sudah berformat Teks sehingga semua digit tersimpan; "
                 "jangan ubah formatnya menjadi Angka (Excel akan membulatkan NIK, mis. menjadi 1,87201E+15). "
                 "Bila menyalin dari berkas lain, tempel sebagai nilai (Paste Special > Values)."),
        ("step", "Nama: nama lengkap penerima sesuai KTP."),
        ("step", f"Kelurahan dan Kecamatan: klik sel lalu pilih dari daftar (panah di kanan sel). Daftar lengkap "
                 f"ada di sheet {LISTS_SHEET}. Bila hanya kecamatan yang diketahui, kosongkan Kelurahan."),
        ("step", f"Kode Bantuan: pilih dari daftar {program_count} program {opd}. Nama Bantuan boleh diisi atau "
                 f"dikosongkan; bila keduanya diisi, Kode Bantuan yang dipakai."),
        ("step", "Nominal: nilai bantuan untuk penerima itu dalam Rupiah, angka bulat tanpa Rp dan tanpa titik, "
                 "mis. 1500000."),
        ("step", "Tanggal Penyaluran: tanggal bantuan disalurkan, ditulis tanggal/bulan/tahun, mis. 04/03/2024."),
        ("step", "Jangan menambahkan baris jumlah/total, catatan atau tanda tangan di bawah data. Kolom tambahan "
                 "(mis. Alamat, RT, RW) boleh ditambahkan di sebelah kanan kolom terakhir."),
        ("heading", "Menyimpan dan mengirim"),
        ("step", "Simpan sebagai Excel Workbook (.xlsx). Beri nama berkas dengan nama OPD dan bulan data, "
                 "mis. Dinsos_2024-03.xlsx."),
        ("step", f"Kirim berkas kepada {recipient}."),
        ("step", "Baris yang belum dapat diterima akan dikembalikan dalam berkas umpan balik berisi alasan dan sel "
                 "yang perlu diperbaiki."),
        ("heading", "Pelindungan data pribadi"),
        ("text", "Berkas ini akan berisi data pribadi (NIK dan nama) yang dilindungi UU 27/2022 tentang Pelindungan "
                 "Data Pribadi. Kirim hanya melalui saluran resmi dan jangan membagikannya di grup percakapan."),
    ]
    write_lines(sheet, formats, 0, lines, width=100, column=1)
    print_on_a4(sheet, landscape=False, footer=f"Petunjuk templat KMC: {opd}")
