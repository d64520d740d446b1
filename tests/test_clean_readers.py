"""Every file kind the contract accepts, read the same way: workbooks, HTML .xls, CSV in all its forms."""

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from kmc_analysis.clean.ingest import read_submissions
from kmc_analysis.clean.readers import UnreadableFile, cell_text, read_tables
from kmc_analysis.core.errors import InputError

HEADER = ["No", "NIK", "Nama", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nominal", "Tanggal Penyaluran"]
PEOPLE = [
    [1, "1872011504900001", "Siti Aminah", "Metro", "Metro Pusat", "KMC-001", 750000, dt.date(2024, 3, 4)],
    [2, "1872025708100002", "André Wijaya", "Purwosari", "Metro Utara", "KMC-001", 750000, dt.date(2024, 3, 5)],
]
TITLES = [["DAFTAR PENERIMA BEASISWA"], ["DINAS PENDIDIKAN"], []]


def month(tmp_path):
    folder = tmp_path / "raw" / "opd" / "2024-03"
    folder.mkdir(parents=True)
    return folder, tmp_path / "raw"


def xlsx_bytes(rows, macro=False) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Beasiswa SD"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if not macro:
        return buffer.getvalue()
    out = io.BytesIO()   # a real .xlsm: the macro-enabled main part content type
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
            target.writestr(item, data)
    return out.getvalue()


def xls_bytes(rows) -> bytes:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Beasiswa SD")
    text = xlwt.easyxf(num_format_str="@")
    date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, dt.datetime(value.year, value.month, value.day), date)
            elif isinstance(value, str):
                sheet.write(r, c, value, text)
            else:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods_bytes(rows) -> bytes:
    pytest.importorskip("odf")
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Beasiswa SD")
    for row in rows:
        line = TableRow()
        for value in row:
            if isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, str):
                cell = TableCell(valuetype="string")
            else:
                cell = TableCell(valuetype="float", value=value)
            cell.addElement(P(text=str(value)))
            line.addElement(cell)
        table.addElement(line)
    doc.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "make"), [
    ("bnba.xlsx", xlsx_bytes),
    ("bnba_makro.xlsm", lambda rows: xlsx_bytes(rows, macro=True)),
    ("bnba_excel97.xls", xls_bytes),
    ("bnba_libreoffice.ods", ods_bytes),
])
def test_workbook_kinds_other_than_xlsx_are_read_not_ignored(tmp_path, name, make):
    folder, raw = month(tmp_path)
    (folder / name).write_bytes(make(TITLES + [HEADER] + PEOPLE))
    result = read_submissions(folder, raw)
    assert result.ignored_files == []
    rows = result.rows
    assert rows["sumber_baris"].tolist() == [5, 6]
    assert rows["sumber_sheet"].tolist() == ["Beasiswa SD"] * 2
    assert rows["nik"].tolist() == ["1872011504900001", "1872025708100002"]
    assert rows["nama"].tolist() == ["Siti Aminah", "André Wijaya"]
    assert rows["nominal"].tolist() == ["750000", "750000"]
    assert rows["tanggal_salur"].str.startswith("2024-03-0").all()


def test_kelurahan_merged_over_a_group_of_rows_applies_to_every_row(tmp_path):
    # Government lists merge Kelurahan and Kecamatan over each group: only the first row held the
    # value, so the others were quarantined as wilayah_tidak_dikenal
    folder, raw = month(tmp_path)
    book = Workbook()
    sheet = book.active
    sheet.append(["DAFTAR PENERIMA"])
    sheet.merge_cells("A1:F1")  # a title across columns stays where it is
    sheet.append(["NIK", "Nama", "Kelurahan", "Kecamatan", "Kode Bantuan", "Nominal"])
    for nik, name, kel, kec in [("1872011504900001", "Siti", "Metro", "Metro Pusat"),
                                ("1872011504900002", "Budi", None, None), ("1872011504900003", "Dewi", None, None),
                                ("1872021504900004", "Agus", "Tejo Agung", "Metro Timur"),
                                ("1872021504900005", "Sri", None, None)]:
        sheet.append([nik, name, kel, kec, "KMC-001", 750000])
    for cells in ("C3:C5", "D3:D5", "C6:C7", "D6:D7", "F6:F7"):
        sheet.merge_cells(cells)
    book.save(folder / "kelurahan_digabung.xlsx")
    rows = read_submissions(folder, raw).rows
    assert rows["kelurahan"].tolist() == ["Metro"] * 3 + ["Tejo Agung"] * 2
    assert rows["kecamatan"].tolist() == ["Metro Pusat"] * 3 + ["Metro Timur"] * 2
    # an amount merged over rows may be the group's total: the row below stays empty (quarantined)
    assert rows["nominal"].tolist() == ["750000"] * 4 + [""]


def opensid_cetak(extra: bool) -> str:
    """OpenSID's printable download: an HTML table saved as .xls, two header rows, dates DD-MM-YYYY."""
    group = '<th rowspan="2">Kelurahan</th><th rowspan="2">Kode Bantuan</th><th rowspan="2">Nominal</th>' \
            '<th rowspan="2">Tanggal Penyaluran</th>' if extra else ""
    rows = "".join(
        f"<tr><td>{i}</td><td class='textx'>{nik}</td><td>KMC{i:05d}</td><td>{name}</td><td>JL. MAWAR</td>"
        + (f"<td>METRO</td><td>KMC-001</td><td>750000</td><td class='textx'>0{i}-03-2024</td>" if extra else "")
        + f"<td class='textx'>\"{nik}</td><td>{name}</td><td>METRO</td><td>01-01-1990</td><td>JL. MAWAR</td></tr>"
        for i, (nik, name) in enumerate([("1872011504900001", "SITI AMINAH"), ("1872025708100002", "BUDI")], 1))
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x.dtd"><html><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><title>Peserta</title></head><body>'
        "<h3>Daftar Peserta Program Insentif Kader</h3><table><thead><tr>"
        '<th rowspan="2">No</th><th rowspan="2">NIK</th><th rowspan="2">No. Kartu Peserta</th>'
        f'<th rowspan="2">Nama</th><th rowspan="2">Alamat</th>{group}'
        '<th colspan="5">Identitas di Kartu Peserta</th></tr>'
        "<tr><th>NIK</th><th>Nama</th><th>Tempat Lahir</th><th>Tanggal Lahir</th><th>Alamat</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>"
    )


def test_opensid_cetak_html_xls_two_header_rows_are_one_header(tmp_path):
    folder, raw = month(tmp_path)
    (folder / "opensid_cetak.xls").write_text(opensid_cetak(extra=True), encoding="utf-8")
    rows = read_submissions(folder, raw).rows
    assert rows["sumber_baris"].tolist() == [3, 4]          # two header rows, data from table row 3
    assert rows["nik"].tolist() == ["1872011504900001", "1872025708100002"]
    assert rows["nama"].tolist() == ["SITI AMINAH", "BUDI"]
    assert rows["tanggal_salur"].tolist() == ["01-03-2024", "02-03-2024"]
    assert rows["sumber_sheet"].tolist() == ["opensid_cetak"] * 2


def test_opensid_cetak_without_amount_names_the_missing_columns(tmp_path):
    folder, raw = month(tmp_path)
    (folder / "opensid_cetak.xls").write_text(opensid_cetak(extra=False), encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_submissions(folder, raw)
    message = str(error.value)
    assert "opensid_cetak.xls" in message and "Nominal" in message and "Kode Bantuan" in message
    assert "tidak ada sheet" not in message


def test_web_export_html_xls_with_a_title_row_and_one_header_row(tmp_path):
    folder, raw = month(tmp_path)
    body = "".join(f"<tr><td>{i}</td><td class=nik>{nik}</td><td>{name}</td><td>Metro</td><td>KMC-001</td>"
                   f"<td>750000</td></tr>" for i, (nik, name) in enumerate([("1872011504900001", "Siti")], 1))
    page = ('<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta name="ProgId" content="Excel.Sheet">'
            '</head><body><table border="1"><tr><td colspan="6"><b>DATA PENERIMA LINMAS</b></td></tr>'
            "<tr><th>No</th><th>NIK</th><th>Nama</th><th>Kelurahan</th><th>Kode Bantuan</th><th>Nominal</th></tr>"
            f"{body}</table></body></html>")
    (folder / "export_linmas.xls").write_bytes(page.encode("utf-8"))
    rows = read_submissions(folder, raw).rows
    assert rows["sumber_baris"].tolist() == [3]
    assert rows["nik"].tolist() == ["1872011504900001"]


def csv_text(sep: str) -> str:
    lines = ["DAFTAR PENERIMA SANTUNAN", "", sep.join(HEADER)]
    lines += [sep.join(["1", "1872011504900001", "Nur’aini", "Metro", "Metro Pusat", "KMC-001", "Rp 1.500.000",
                        "04/03/2024"]),
              sep.join(["2", "1872025708100002", "André", "Purwosari", "Metro Utara", "KMC-001", "1500000",
                        "05/03/2024"])]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(("name", "encode"), [
    ("siks_ng_pipe.csv", lambda: csv_text("|").encode("utf-8")),
    ("unicode_text_tab.csv", lambda: b"\xff\xfe" + csv_text("\t").encode("utf-16-le")),
    ("utf16_big_endian_tab.csv", lambda: b"\xfe\xff" + csv_text("\t").encode("utf-16-be")),
    ("tab_utf8.csv", lambda: csv_text("\t").encode("utf-8")),
    ("semicolon_utf8_bom.csv", lambda: b"\xef\xbb\xbf" + csv_text(";").encode("utf-8")),
    ("semicolon_cp1252.csv", lambda: csv_text(";").encode("cp1252")),
])
def test_csv_separators_and_encodings_of_real_exports(tmp_path, name, encode):
    folder, raw = month(tmp_path)
    (folder / name).write_bytes(encode())
    rows = read_submissions(folder, raw).rows
    assert rows["sumber_baris"].tolist() == [4, 5]
    assert rows["nama"].tolist() == ["Nur’aini", "André"]
    assert rows["nominal"].tolist() == ["Rp 1.500.000", "1500000"]
    assert rows["kecamatan"].tolist() == ["Metro Pusat", "Metro Utara"]


def test_csv_cell_longer_than_the_csv_modules_limit_is_read(tmp_path):
    folder, raw = month(tmp_path)
    pasted = "data:image/png;base64," + "iVBORw0KGgo" * 30_000    # 330,000 characters
    lines = ["NIK,Nama,Kelurahan,Kode Bantuan,Nominal,Keterangan",
             f'1872011504900001,Siti,Metro,KMC-001,750000,"{pasted}"',
             "1872025708100002,Budi,Metro,KMC-001,750000,-"]
    (folder / "keterangan_panjang.csv").write_text("\n".join(lines) + "\n")
    rows = read_submissions(folder, raw).rows
    assert rows["sumber_baris"].tolist() == [2, 3]
    assert len(rows["Keterangan"].iloc[0]) == len(pasted)


def test_csv_cell_in_the_header_search_lines_longer_than_the_csv_modules_limit_is_read(tmp_path):
    folder, raw = month(tmp_path)
    lines = ["NIK,Nama,Kelurahan,Kode Bantuan,Nominal", "1872011504900001,Budi " + "A" * 200_000 + ",Metro,KMC-001,1"]
    (folder / "nama_panjang.csv").write_text("\n".join(lines) + "\n")
    assert len(read_submissions(folder, raw).rows["nama"].iloc[0]) == 200_005


def test_csv_line_of_several_megabytes_is_read(tmp_path):
    folder, raw = month(tmp_path)
    lines = ["NIK,Nama,Kelurahan,Kode Bantuan,Nominal,Alamat",
             "1872011504900001,Siti,Metro,KMC-001,750000,Jl. A",
             "1872025708100002,Budi,Metro,KMC-001,750000,Jl. " + "B" * 6_000_000,
             "1872011504900003,Ani,Metro,KMC-001,750000,Jl. C"]
    (folder / "baris_besar.csv").write_text("\n".join(lines) + "\n")
    rows = read_submissions(folder, raw).rows
    assert rows["sumber_baris"].tolist() == [2, 3, 4]
    assert len(rows["alamat"].iloc[1]) == 6_000_004


def test_an_xml_spreadsheet_2003_saved_as_xls_is_told_to_be_saved_again_as_xlsx(tmp_path):
    # web apps export "XML Spreadsheet 2003" as .xls: the message said no header row was found
    folder, raw = month(tmp_path)
    (folder / "export_aplikasi_dinkes.xls").write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Data"><Table>'
        '<Row><Cell><Data ss:Type="String">NIK</Data></Cell></Row></Table></Worksheet></Workbook>')
    with pytest.raises(InputError) as caught:
        read_submissions(folder, raw)
    message = str(caught.value)
    assert "export_aplikasi_dinkes.xls" in message and "XML Spreadsheet 2003" in message and ".xlsx" in message


def test_xlsx_renamed_csv_is_read_as_the_workbook_it_is(tmp_path):
    folder, raw = month(tmp_path)
    (folder / "sebenarnya_excel.csv").write_bytes(xlsx_bytes([HEADER] + PEOPLE))
    rows = read_submissions(folder, raw).rows
    assert rows["nik"].tolist() == ["1872011504900001", "1872025708100002"]


@pytest.mark.parametrize(("name", "data", "words"), [
    ("kosong.xlsx", b"", ["kosong.xlsx", "kosong"]),
    ("kosong.csv", b"  \r\n", ["kosong.csv", "kosong"]),
    ("terpotong.xlsx", xlsx_bytes([HEADER])[:300], ["terpotong.xlsx", "tidak dapat dibuka", "simpan lagi"]),
])
def test_empty_or_damaged_files_are_bad_input_naming_them(tmp_path, name, data, words):
    folder, raw = month(tmp_path)
    (folder / name).write_bytes(data)
    with pytest.raises(InputError) as error:
        read_submissions(folder, raw)
    for word in words:
        assert word in str(error.value)
    assert "--skip-unreadable" in str(error.value)


def test_an_exception_of_a_reading_library_is_that_files_bad_input(tmp_path, monkeypatch):
    folder, raw = month(tmp_path)
    (folder / "rusak.csv").write_text("NIK,Nama,Kelurahan,Kode Bantuan,Nominal\n1872011504900001,Siti,Metro,K,1\n")

    def explode(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr("kmc_analysis.clean.ingest.read_tables", explode)
    with pytest.raises(InputError, match="'rusak.csv' terlalu besar"):
        read_submissions(folder, raw)
    monkeypatch.setattr("kmc_analysis.clean.ingest.read_tables", lambda *a: 1 / 0)
    result = read_submissions(folder, raw, skip_unreadable=True)
    assert result.rejected_files[0]["path"] == "opd/2024-03/rusak.csv"
    assert "ZeroDivisionError" in result.rejected_files[0]["reason"]


@pytest.mark.parametrize(("value", "text"), [
    (1872011504900001.0, "1872011504900001"),          # exact below 2**53
    (9007199254740991.0, "9007199254740991"),
    (9171010101900001.0, "9.1710101019E+15"),          # 2**53 or more: scientific, never exact digits
    (2**53, "9.00719925474099E+15"),
    (750000.0, "750000"),
    (0.5, "0.5"),
    (750000.5, "750000.5"),
    (187201410785000.1, "187201410785000,1"),         # a fraction is no NIK, though its digits number 16
    (float("inf"), "inf"),
    (dt.datetime(2024, 3, 4), "2024-03-04"),
    (True, "TRUE"),
    (None, ""),
])
def test_number_cells_from_two_to_the_53_cannot_pass_as_exact_digits(value, text):
    assert cell_text(value) == text


def test_number_cell_nik_above_two_to_the_53_reads_as_scientific_text(tmp_path):
    folder, raw = month(tmp_path)
    (folder / "nik_angka.xlsx").write_bytes(xlsx_bytes([HEADER, [1, 9171010101900001, "Papua", "Metro", "",
                                                                 "KMC-001", 1, None],
                                                        [2, 1872011504900001, "Metro", "Metro", "", "KMC-001", 1,
                                                         None]]))
    assert read_submissions(folder, raw).rows["nik"].tolist() == ["9.1710101019E+15", "1872011504900001"]


def test_html_page_without_a_table_is_unreadable():
    with pytest.raises(UnreadableFile, match="tidak berisi tabel"):
        read_tables(__import__("pathlib").Path("surat.xls"), b"<html><body><p>Surat pengantar</p></body></html>")


def test_html_table_in_windows_1252_with_spans_keeps_columns_in_place(tmp_path):
    folder, raw = month(tmp_path)
    page = ('<html><head><meta charset="windows-1252"></head><body><table>'
            '<tr><th rowspan="2">NIK</th><th rowspan="2">Nama</th><th colspan="2">Wilayah</th>'
            '<th rowspan="2">Kode Bantuan</th><th rowspan="2">Nominal</th></tr>'
            "<tr><th>Kelurahan</th><th>Kecamatan</th></tr>"
            "<tr><td>1872011504900001</td><td>André</td><td>Metro</td><td>Metro Pusat</td><td>KMC-001</td>"
            "<td>750000</td></tr></table></body></html>")
    (folder / "wilayah_bertingkat.xls").write_bytes(page.encode("cp1252"))
    rows = read_submissions(folder, raw).rows
    assert rows[["nama", "kelurahan", "kecamatan", "nominal"]].values.tolist() == [
        ["André", "Metro", "Metro Pusat", "750000"]]
    assert rows["sumber_baris"].tolist() == [3]


def test_a_large_html_table_is_read_in_linear_time(tmp_path):
    folder, raw = month(tmp_path)
    body = "".join(f"<tr><td>18720115049{i:05d}</td><td>Nama {i}</td><td>Metro</td><td>KMC-001</td><td>1</td></tr>"
                   for i in range(5_000))
    page = ("<html><body><table><tr><th>NIK</th><th>Nama</th><th>Kelurahan</th><th>Kode Bantuan</th>"
            f"<th>Nominal</th></tr>{body}</table></body></html>")
    (folder / "besar.xls").write_text(page)
    assert len(read_submissions(folder, raw).rows) == 5_000


@pytest.mark.parametrize("title_lines", [0, 2])
def test_an_unclosed_quote_in_a_csv_names_the_line_it_opens_on(tmp_path, title_lines):
    # A black-box attack got "Perbaiki baris itu" without the line: pandas says "EOF inside string
    # starting at row N", counting the file's rows from 0 (title lines included), not "line N".
    folder, raw = month(tmp_path)
    lines = [*["DAFTAR PENERIMA"] * title_lines, "NIK,Nama,Kelurahan,Kecamatan,Kode Bantuan,Nominal",
             "1872011504900001,Siti,Metro,Metro Pusat,KMC-001,750000",
             '1872011504900002,"Budi,Metro,Metro Pusat,KMC-001,750000',
             "1872011504900003,Ani,Metro,Metro Pusat,KMC-001,750000"]
    (folder / "kutip.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        read_submissions(folder, raw)
    assert f"di baris {title_lines + 3}" in str(error.value) and "kutip.csv" in str(error.value)
    assert "Budi" not in str(error.value)


def test_a_number_cell_with_a_fraction_whose_digits_number_sixteen_is_no_nik(tmp_path, wilayah, programs):
    # A black-box attack asked whether a NIK number cell with a fraction passes as another NIK: with the
    # dot a NIK loses, 187201410785000.1 read as 1872014107850001 and was accepted as that person.
    from kmc_analysis.clean.rules import judge_rows

    folder, raw = month(tmp_path)
    (folder / "pecahan.xlsx").write_bytes(xlsx_bytes([HEADER, [1, 187201410785000.1, "Siti Aminah", "Metro",
                                                               "Metro Pusat", "KMC-001", 750000.5, None]]))
    rows = read_submissions(folder, raw).rows
    assert rows["nik"].tolist() == ["187201410785000,1"] and rows["nominal"].tolist() == ["750000.5"]
    assert judge_rows(rows, wilayah, programs).quarantined["alasan"].tolist() == ["nik_format"]


def test_two_stray_quotes_that_pair_up_across_rows_are_bad_input_not_rows_lost(tmp_path):
    # A black-box attack: a stray quote on line 4 and another on line 8 made lines 4-8 one accepted row
    # whose name held five other people's NIKs; four recipients vanished from penerima and karantina, exit 0.
    folder, raw = month(tmp_path)
    rows = [f"18720115049000{n:02d},Nama {n},Metro,Metro Pusat,KMC-001,750000" for n in range(1, 9)]
    rows[2] = rows[2].replace("Nama 3", '"Nama 3')
    rows[6] = rows[6].replace("Nama 7", 'Nama 7"')
    header = "NIK,Nama,Kelurahan,Kecamatan,Kode Bantuan,Nominal"
    (folder / "kutip_dua.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(InputError) as error:
        read_submissions(folder, raw)
    assert "baris 4" in str(error.value) and "kutip_dua.csv" in str(error.value)
    assert "Nama" not in str(error.value) and "18720115" not in str(error.value)


def test_a_quoted_address_over_two_lines_is_one_cell_not_a_stray_quote(tmp_path):
    folder, raw = month(tmp_path)
    (folder / "alamat.csv").write_text('NIK,Nama,Alamat,Kelurahan,Kecamatan,Kode Bantuan,Nominal\n'
                                       '1872011504900001,Siti,"Jl. Mawar 3,\nRT 01 RW 02",Metro,Metro Pusat,KMC-001,1\n'
                                       '1872011504900002,Budi,Jl. Melati,Metro,Metro Pusat,KMC-001,1\n')
    assert len(read_submissions(folder, raw).rows) == 2
