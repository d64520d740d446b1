"""Tests for kmc_analysis.core.reference: bundled reference data, overrides and their error messages."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kmc_analysis.core.errors import InputError, ReferenceDataError
from kmc_analysis.core.reference import (
    BUNDLED,
    KATEGORI_BANTUAN,
    METRIK_KMC,
    PAYMENTS_PER_YEAR,
    REFERENCE_FILES,
    ReferenceData,
    bundled_reference_dir,
    catalogue_opds,
    kecamatan_table,
    load_reference,
    population_by_kelurahan,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
#: Kecamatan population used for the shares of the bundled estimate (docs/assumptions.md).
BPS_KECAMATAN = {"18.72.01": 48090, "18.72.02": 26003, "18.72.03": 26341, "18.72.04": 36578, "18.72.05": 14567}


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference()


def bundled_rows(name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a bundled CSV, as text."""
    with open(bundled_reference_dir() / name, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8", sep: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def override(tmp_path: Path, name: str, edit=None, **kwargs) -> Path:
    """Write ``name`` into tmp_path as a copy of the bundled file, rows passed through ``edit``."""
    header, rows = bundled_rows(name)
    if edit is not None:
        header, rows = edit(header, [list(r) for r in rows])
    write_csv(tmp_path / name, header, rows, **kwargs)
    return tmp_path


def load_error(reference_dir: Path) -> str:
    with pytest.raises(ReferenceDataError) as info:
        load_reference(reference_dir)
    assert isinstance(info.value, InputError)
    return str(info.value)


# --------------------------------------------------------------------------- bundled data


def test_bundled_files_are_the_five_contract_files():
    assert REFERENCE_FILES == (
        "wilayah.csv", "penduduk.csv", "program_bantuan.csv", "rpjmd_indikator.csv", "rpjmd_realisasi.csv",
    )
    assert all((bundled_reference_dir() / name).is_file() for name in REFERENCE_FILES)


def test_the_bundled_tables_pass_the_strict_checks_that_loading_them_skips():
    from kmc_analysis.core.reference import _clean, _read_csv
    from kmc_analysis.core.reference_schemas import reference_problems

    raw, sources, labels = {}, {}, {}
    for file_name in REFERENCE_FILES:
        table = file_name.removesuffix(".csv")
        sources[table], labels[table] = BUNDLED, file_name
        raw[table] = _read_csv(bundled_reference_dir() / file_name, file_name)
        _clean(table, raw[table])
    assert reference_problems(raw, sources, labels, None) == []


def test_loading_the_bundled_tables_or_copies_of_them_imports_neither_pandera_nor_geopandas(tmp_path):
    # Each stage's kernel loads the reference tables: pandera (and geopandas, which it imports)
    # would add most of a second to every kernel's start.
    for name in REFERENCE_FILES:
        (tmp_path / name).write_bytes((bundled_reference_dir() / name).read_bytes())
    code = ("import sys\nfrom kmc_analysis.core.reference import load_reference\n"
            f"load_reference()\nref = load_reference({str(tmp_path)!r})\n"
            "print(sorted(m for m in ('pandera', 'geopandas') if m in sys.modules), len(ref.wilayah))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "[]"


def test_a_copy_of_the_bundle_with_one_table_changed_is_still_checked(tmp_path):
    for name in REFERENCE_FILES:
        (tmp_path / name).write_bytes((bundled_reference_dir() / name).read_bytes())
    text = (tmp_path / "penduduk.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "penduduk.csv").write_text("\n".join([*text, "99.99.99.9999,2024,100,,"]) + "\n", encoding="utf-8")
    assert "penduduk.csv" in load_error(tmp_path)


def test_bundled_data_loads_from_bundled_sources(ref):
    assert ref.sources == {name.removesuffix(".csv"): BUNDLED for name in REFERENCE_FILES}
    assert load_reference(Path("/nonexistent/reference")).sources == ref.sources


def test_wilayah_has_5_kecamatan_and_22_kelurahan(ref):
    assert len(ref.wilayah) == 22
    assert ref.wilayah["kode_kelurahan"].is_unique
    assert len(kecamatan_table(ref)) == 5
    assert kecamatan_table(ref)["kecamatan"].tolist() == [
        "Metro Pusat", "Metro Utara", "Metro Barat", "Metro Timur", "Metro Selatan",
    ]
    assert ref.wilayah["kode_kelurahan"].str.fullmatch(r"18\.72\.0[1-5]\.100\d").all()


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared reference folder not available")
def test_wilayah_keeps_shared_codes_names_and_spellings(ref):
    shared = pd.read_csv(SHARED / "wilayah_kota_metro.csv", dtype=str, keep_default_na=False)
    ours = ref.wilayah.set_index("kode_kelurahan")
    for row in shared.itertuples():
        mine = ours.loc[row.kode_kelurahan]
        assert (mine.kode_kecamatan, mine.kecamatan, mine.kelurahan) == (row.kode_kecamatan, row.kecamatan, row.kelurahan)
        assert (mine.kode_bps_kecamatan, mine.kode_bps_kelurahan) == (row.kode_bps_kecamatan, row.kode_bps_kelurahan)
        assert set(filter(None, row.ejaan_lain.split(";"))) <= set(mine.ejaan_lain.split(";"))
    assert "Hadimulyo Tim." in ours.loc["18.72.01.1002", "ejaan_lain"].split(";")


def test_penduduk_2025_sums_to_kepmendagri_total(ref):
    pop = ref.penduduk
    assert pop.loc[pop["tahun"] == 2025, "penduduk"].sum() == 182_293
    assert pop.loc[pop["tahun"] == 2023, "jumlah_kk"].sum() == 54_800
    for year in (2024, 2025):
        assert set(pop.loc[pop["tahun"] == year, "kode_kelurahan"]) == set(ref.wilayah["kode_kelurahan"])
    assert pop["keterangan"].str.startswith("perkiraan").all()


def test_penduduk_follows_documented_kecamatan_shares(ref):
    pop = ref.penduduk[ref.penduduk["tahun"] == 2025].copy()
    pop["kode_kecamatan"] = pop["kode_kelurahan"].str[:8]
    totals = pop.groupby("kode_kecamatan")["penduduk"].sum()
    base = sum(BPS_KECAMATAN.values())
    for kode, count in BPS_KECAMATAN.items():
        assert abs(totals[kode] - 182_293 * count / base) < 1
    spread = pop.groupby("kode_kecamatan")["penduduk"].agg(lambda s: s.max() - s.min())
    assert (spread <= 1).all()  # equal split inside a kecamatan


def test_program_catalogue_has_84_unique_bantuan(ref):
    prog = ref.program_bantuan
    assert len(prog) == 84
    assert prog["kode_bantuan"].tolist() == [f"KMC-{i:03d}" for i in range(1, 85)]
    normalised = prog["nama_bantuan"].str.lower().str.replace(r"\s+", "", regex=True)
    assert normalised.is_unique
    assert set(prog["kategori"]) <= set(KATEGORI_BANTUAN)
    assert set(prog["satuan"]) <= set(PAYMENTS_PER_YEAR)
    assert 10 <= len(catalogue_opds(ref)) <= 15
    assert catalogue_opds(ref) == sorted(catalogue_opds(ref))
    assert prog["keterangan"].str.startswith("ilustratif:").all()


def test_program_catalogue_is_plausible(ref):
    prog = ref.program_bantuan
    scholarships = prog[(prog["opd"] == "Dinas Pendidikan dan Kebudayaan") & (prog["kategori"] == "beasiswa")]
    assert scholarships["target_penerima"].sum() == 2_251
    yearly = prog["target_penerima"] * prog["nominal_standar"] * prog["satuan"].map(PAYMENTS_PER_YEAR)
    assert ((prog["anggaran"] >= yearly) & (prog["anggaran"] - yearly < 1_000_000)).all()
    rt = prog[prog["nama_bantuan"].str.startswith("Insentif Ketua RT")]
    rw = prog[prog["nama_bantuan"].str.startswith("Insentif Ketua RW")]
    assert len(rt) == len(rw) == 5
    assert set(rt["nominal_standar"]) == {475_000} and set(rw["nominal_standar"]) == {500_000}


def test_rpjmd_indicators(ref):
    ind = ref.rpjmd_indikator
    assert ind["kode_indikator"].is_unique
    kmc = ind[ind["sumber"] == "kmc"]
    assert sorted(kmc["metrik_kmc"]) == sorted(METRIK_KMC)
    eksternal = ind[ind["sumber"] == "eksternal"]
    assert len(eksternal) == 5 and (eksternal["metrik_kmc"] == "").all()
    assert ind["keterangan"].str.contains("ilustratif").all()
    assert ind[[f"target_{y}" for y in range(2021, 2027)]].notna().all().all()


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared reference folder not available")
def test_realisasi_is_the_real_macro_series(ref):
    real = ref.rpjmd_realisasi
    ind = ref.rpjmd_indikator
    assert set(real["kode_indikator"]) == set(ind.loc[ind["sumber"] == "eksternal", "kode_indikator"])
    macro = pd.read_csv(SHARED / "indikator_makro_kota_metro.csv")
    miskin = macro[(macro["indikator"] == "Persentase penduduk miskin") & (macro["tahun"] >= 2021)]
    ours = real[real["kode_indikator"] == "IKU-01"]
    assert ours["tahun"].tolist() == miskin["tahun"].tolist()
    assert ours["realisasi"].astype(float).tolist() == miskin["nilai"].tolist()
    assert (real["tahun"] >= 2021).all() and (real["sumber"] != "").all()
    assert len(real) == len(macro[(macro["tahun"] >= 2021) & (macro["indikator"] != "Jumlah penduduk miskin")])


def test_dtypes_follow_architecture(ref):
    assert ref.wilayah["kode_kelurahan"].dtype == "str"
    assert ref.wilayah["ejaan_lain"].dtype == "str"
    assert ref.penduduk["tahun"].dtype == "int64" and ref.penduduk["penduduk"].dtype == "int64"
    assert ref.penduduk["jumlah_kk"].dtype == "Int64"
    for col in ("target_penerima", "anggaran", "nominal_standar"):
        assert ref.program_bantuan[col].dtype == "Int64"
    for col in ("target_2021", "target_2026", "baseline"):
        assert ref.rpjmd_indikator[col].dtype == "Float64"
    assert ref.rpjmd_realisasi["tahun"].dtype == "int64"
    assert ref.rpjmd_realisasi["realisasi"].dtype == "Float64"


# --------------------------------------------------------------------------- helpers


def test_population_by_kelurahan_takes_latest_year_not_after():
    pop = pd.DataFrame({
        "kode_kelurahan": ["A", "A", "A", "B", "C"],
        "tahun": [2021, 2023, 2025, 2026, 2020],
        "penduduk": [10, 30, 50, 7, 3],
    })
    ref = ReferenceData(pd.DataFrame(), pop, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {})
    got = population_by_kelurahan(ref, 2024)
    assert got.columns.tolist() == ["kode_kelurahan", "penduduk", "tahun"]
    assert got.values.tolist() == [["A", 30, 2023], ["B", 7, 2026], ["C", 3, 2020]]
    assert population_by_kelurahan(ref, 2019)["tahun"].tolist() == [2021, 2026, 2020]


def test_population_by_kelurahan_on_bundled_data(ref):
    got = population_by_kelurahan(ref, 2025)
    assert len(got) == 22 and got["penduduk"].sum() == 182_293 and set(got["tahun"]) == {2025}
    assert set(population_by_kelurahan(ref, 2030)["tahun"]) == {2025}


# --------------------------------------------------------------------------- overrides


def test_override_replaces_only_that_table(tmp_path):
    header = ["kode_bantuan", "nama_bantuan", "opd", "kategori", "target_penerima", "anggaran"]
    write_csv(tmp_path / "program_bantuan.csv", header, [
        ["b1", "Bantuan Contoh", "Dinas Sosial", "Bantuan Pangan", "10", "Rp 1.500.000"],
        ["B2", "Insentif Contoh", "Dinas Kesehatan", "insentif", "", "2,000,000"],
    ])
    ref = load_reference(tmp_path)
    assert ref.sources["program_bantuan"] == str(tmp_path / "program_bantuan.csv")
    assert all(ref.sources[t] == BUNDLED for t in ("wilayah", "penduduk", "rpjmd_indikator", "rpjmd_realisasi"))
    prog = ref.program_bantuan
    assert prog["kode_bantuan"].tolist() == ["b1", "B2"]
    assert prog["anggaran"].tolist() == [1_500_000, 2_000_000]
    assert prog["target_penerima"].isna().tolist() == [False, True]
    assert prog["kategori"].tolist() == ["bantuan_pangan", "insentif"]  # user vocabularies allowed
    assert (prog["keterangan"] == "").all() and prog["nominal_standar"].isna().all()
    assert len(ref.wilayah) == 22


def test_override_with_bom_semicolons_and_decimal_commas_loads(tmp_path):
    def edit(header, rows):
        for row in rows:
            row[header.index("realisasi")] = row[header.index("realisasi")].replace(".", ",")
        return header, rows

    override(tmp_path, "rpjmd_realisasi.csv", edit, encoding="utf-8-sig", sep=";")
    ref = load_reference(tmp_path)
    assert ref.rpjmd_realisasi.columns[0] == "kode_indikator"
    assert 8.93 in ref.rpjmd_realisasi["realisasi"].tolist()


def test_user_codes_need_not_follow_kemendagri_form(tmp_path):
    write_csv(tmp_path / "wilayah.csv", ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"], [
        ["K1", "Kota", "K1-a", "Satu"], ["K1", "Kota", "K1-b", "Dua"],
    ])
    write_csv(tmp_path / "penduduk.csv", ["kode_kelurahan", "tahun", "penduduk"], [["K1-a", "2025", "1.000"]])
    ref = load_reference(tmp_path)
    assert ref.wilayah["kode_bps_kelurahan"].tolist() == ["", ""]
    assert ref.penduduk["penduduk"].tolist() == [1000]


# --------------------------------------------------------------------------- bad overrides


def test_missing_column_names_file_and_expected_columns(tmp_path):
    override(tmp_path, "rpjmd_indikator.csv", lambda h, rows: (
        [c for c in h if c != "polaritas"], [[v for c, v in zip(h, r) if c != "polaritas"] for r in rows]
    ))
    message = load_error(tmp_path)
    assert "rpjmd_indikator.csv: kolom wajib 'polaritas' tidak ada; baris 1 harus memuat nama kolom" in message
    assert "kode_indikator, indikator, satuan, polaritas, sumber, metrik_kmc, target_2021" in message


def test_bad_polaritas_names_file_column_row_and_fix(tmp_path):
    def edit(header, rows):
        rows[2][header.index("polaritas")] = "naik"
        return header, rows

    message = load_error(override(tmp_path, "rpjmd_indikator.csv", edit))
    assert f"{tmp_path / 'rpjmd_indikator.csv'}: kolom 'polaritas' baris 4 berisi 'naik'; gunakan 'positif' atau 'negatif'." in message


def test_duplicate_code_names_both_rows(tmp_path):
    def edit(header, rows):
        rows[5][0] = rows[1][0]
        return header, rows

    message = load_error(override(tmp_path, "program_bantuan.csv", edit))
    assert "program_bantuan.csv: kolom 'kode_bantuan' baris 3 dan 7 berisi 'KMC-002'" in message


def test_a_nik_pasted_into_a_reference_table_is_told_by_its_length_never_its_digits(tmp_path):
    # Black-box recheck 14: a NIK in program_bantuan.csv's anggaran column was echoed on the terminal
    # ("kolom 'anggaran' baris 2 berisi '1872010101900000'").
    def edit(header, rows):
        rows[0][header.index("anggaran")] = "1872010101900000"
        rows[1][header.index("anggaran")] = "1872 0101 0190 0001"
        return header, rows

    message = load_error(override(tmp_path, "program_bantuan.csv", edit))
    assert "kolom 'anggaran' baris 2 dan 3 berisi '<angka 16 digit>'" in message
    assert "1872010101900000" not in message and "0190" not in message


def test_unknown_kelurahan_in_penduduk(tmp_path):
    def edit(header, rows):
        rows[9][0] = "18.72.09.1001"
        return header, rows

    message = load_error(override(tmp_path, "penduduk.csv", edit))
    assert ("penduduk.csv: kolom 'kode_kelurahan' baris 11 berisi '18.72.09.1001'; "
            "kode_kelurahan ini tidak ada di wilayah.csv") in message


def test_bundled_penduduk_against_replaced_wilayah_says_what_to_do(tmp_path):
    write_csv(tmp_path / "wilayah.csv", ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"], [
        ["K1", "Kota", "K1-a", "Satu"],
    ])
    message = load_error(tmp_path)
    assert "penduduk.csv (bawaan): kolom 'kode_kelurahan' baris 2 berisi '18.72.01.1001'" in message
    assert "(dan 105 baris lain)" in message
    assert f"letakkan juga penduduk.csv Anda sendiri di {tmp_path}" in message


def test_earlier_years_of_a_kmc_indicator_may_be_recorded(tmp_path):
    """Past years of a KMC indicator (before the workbook existed) come from rpjmd_realisasi."""
    def edit(header, rows):
        return header, [*rows, ["IKP-01", "2022", "12000", "laporan Bappeda"]]

    ref = load_reference(override(tmp_path, "rpjmd_realisasi.csv", edit))
    row = ref.rpjmd_realisasi.query("kode_indikator == 'IKP-01'")
    assert row[["tahun", "realisasi"]].values.tolist() == [[2022, 12000.0]]


def test_kmc_indicator_needs_a_known_metric(tmp_path):
    def edit(header, rows):
        rows[6][header.index("metrik_kmc")] = ""
        rows[0][header.index("metrik_kmc")] = "penerima_unik"
        return header, rows

    message = load_error(override(tmp_path, "rpjmd_indikator.csv", edit))
    assert "kolom 'metrik_kmc' baris 8 kosong; untuk sumber 'kmc' gunakan 'penerima_unik'" in message
    assert "kolom 'metrik_kmc' baris 2 berisi 'penerima_unik'; kosongkan metrik_kmc kecuali sumber berisi 'kmc'" in message


def test_ambiguous_spelling_in_wilayah(tmp_path):
    def edit(header, rows):
        rows[0][header.index("ejaan_lain")] = "Imopuro"  # Metro's variant names another kelurahan
        return header, rows

    message = load_error(override(tmp_path, "wilayah.csv", edit))
    assert ("wilayah.csv: kolom 'ejaan_lain' baris 2 berisi 'Imopuro'; "
            "ejaan di ejaan_lain ini juga menunjuk kelurahan lain") in message


def test_non_utf8_file_is_refused_with_fix(tmp_path):
    write_csv(tmp_path / "wilayah.csv", ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"], [
        ["18.72.01", "Metro Pusat", "18.72.01.1001", "Metro Caf\u00e9"],
    ], encoding="cp1252")
    message = load_error(tmp_path)
    assert "wilayah.csv: berkas ini bukan teks UTF-8" in message and "CSV UTF-8" in message


def test_a_first_row_with_one_cell_too_many_is_refused_not_read_shifted(tmp_path):
    # pandas would take the extra cell as a sign that the first column is the index and
    # shift every column one place: kode_kecamatan 'Metro Pusat', kelurahan 'x'.
    (tmp_path / "wilayah.csv").write_text(
        "kode_kecamatan,kecamatan,kode_kelurahan,kelurahan\n"
        "18.72.01,Metro Pusat,18.72.01.1001,Metro,x\n"
        "18.72.01,Metro Pusat,18.72.01.1002,Hadimulyo Timur\n",
        encoding="utf-8",
    )
    message = load_error(tmp_path)
    assert "wilayah.csv: berkas ini bukan CSV yang dapat dibaca (baris data pertama berisi lebih banyak sel" in message


def test_misnamed_override_is_not_silently_ignored(tmp_path):
    (tmp_path / "program_bantuan.xlsx").write_bytes(b"PK")
    message = load_error(tmp_path)
    assert "program_bantuan.xlsx" in message and "bernama persis 'program_bantuan.csv'" in message


def test_all_problems_are_reported_together(tmp_path):
    def bad_penduduk(header, rows):
        rows[0][header.index("penduduk")] = "-5"
        return header, rows

    def bad_program(header, rows):
        rows[0][header.index("kategori")] = ""
        return header, rows

    override(tmp_path, "penduduk.csv", bad_penduduk)
    override(tmp_path, "program_bantuan.csv", bad_program)
    with pytest.raises(ReferenceDataError) as info:
        load_reference(tmp_path)
    problems = info.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{tmp_path / 'penduduk.csv'}: kolom 'penduduk' baris 2 berisi '-5'")
    assert problems[1].startswith(
        f"{tmp_path / 'program_bantuan.csv'}: kolom 'kategori' baris 2 kosong; isi sel yang kosong"
    )



#: English words that must not reach an operator (file names, column names and values aside).
ENGLISH_WORDS = re.compile(
    r"\b(must|missing|rows?|columns?|fill|empty|is|are|has|have|write|use|leave|the|and|or|more|file|cannot)\b",
    re.IGNORECASE,
)


def test_a_bad_reference_table_is_explained_in_indonesian(tmp_path):
    checked = tmp_path / "diperiksa"
    checked.mkdir()
    override(checked, "rpjmd_indikator.csv", lambda h, rows: (
        [c for c in h if c != "polaritas"], [[v for c, v in zip(h, r) if c != "polaritas"] for r in rows]
    ))

    def bad_program(header, rows):
        for row in rows[:7]:
            row[header.index("opd")] = ""
        rows[9][0] = rows[8][0]
        return header, rows

    override(checked, "program_bantuan.csv", bad_program)
    override(checked, "penduduk.csv", lambda h, rows: (h, [["18.72.09.1001", *rows[0][1:]], *rows[1:]]))
    with pytest.raises(ReferenceDataError) as info:
        load_reference(checked)
    problems = info.value.problems
    assert len(problems) == 4
    assert str(info.value).startswith("Data referensi tidak valid; perbaiki masalah berikut lalu jalankan lagi:")
    assert "program_bantuan.csv: kolom 'opd' baris 2, 3, 4, 5 dan 6 kosong (dan 2 baris lain); " in str(info.value)

    read_failures = {
        "wilayah.csv": "kode_kecamatan,kecamatan,kode_kelurahan,kelurahan\n18.72.01,Metro Pusat,18.72.01.1001,Metro\n"
                       "18.72.01,Metro Pusat,18.72.01.1002,Hadimulyo Timur,x\n",
        "penduduk.csv": "\n\n",
        "program_bantuan.csv": "kode_bantuan,nama_bantuan\nKMC-001,Beasiswa Caf\u00e9\n".encode("cp1252"),
        "Wilayah.xlsx": b"PK",
    }
    messages = [str(info.value)]
    for name, content in read_failures.items():
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        target = folder / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
        messages.append(load_error(folder).replace(str(folder), "<folder>"))
    assert "(baris 3 berisi 5 sel, padahal baris judul berisi 4)" in messages[1]
    assert "berkas ini kosong" in messages[2]
    for message in messages:
        english = ENGLISH_WORDS.findall(message.replace(str(checked), "<folder>"))
        assert not english, f"English words {english} in: {message}"


def test_decimal_commas_and_spaced_headers(tmp_path):
    def edit(header, rows):
        header = [h.replace("_", " ").title() if h == "target_2021" else h for h in header]
        target = header.index("Target 2021")
        rows[4][target] = "0,301"  # Gini written with a decimal comma
        rows[0][target] = "8,3"
        return header, rows

    ref = load_reference(override(tmp_path, "rpjmd_indikator.csv", edit))
    assert ref.rpjmd_indikator["target_2021"].tolist()[:5] == [8.3, 77.5, 5.2, 3.0, 0.301]


def test_ambiguous_thousands_in_a_target_is_refused(tmp_path):
    def edit(header, rows):
        rows[5][header.index("target_2025")] = "14,000"
        return header, rows

    message = load_error(override(tmp_path, "rpjmd_indikator.csv", edit))
    assert "kolom 'target_2025' baris 7 berisi '14,000'; tulis angka dengan titik desimal" in message


# --------------------------------------------------------------------------- targeting columns (CONTRACT 2.4)


def test_bundled_catalogue_says_which_programs_target_the_poor_and_their_ages(ref):
    prog = ref.program_bantuan.set_index("kode_bantuan")
    assert set(prog["sasaran_miskin"]) == {"ya", "tidak"}
    assert prog["usia_min"].dtype == "Int64" and prog["usia_maks"].dtype == "Int64"
    poor = prog[prog["sasaran_miskin"] == "ya"]
    assert poor["nama_bantuan"].str.contains("Kurang Mampu|Miskin|Santunan Kematian").sum() >= 5
    assert (prog.loc[prog["kategori"] == "beasiswa", ["usia_min", "usia_maks"]] == [6, 25]).all().all()
    elderly = prog[prog["nama_bantuan"].str.contains("Lansia Terlantar|Lansia Tunggal")]
    assert (elderly["usia_min"] == 60).all() and elderly["usia_maks"].isna().all()
    rt_rw = prog[prog["nama_bantuan"].str.contains("Ketua RT|Ketua RW")]
    assert (rt_rw["usia_min"] == 17).all()
    assert prog["keterangan"].str.contains("sasaran_miskin dan rentang usia").all()


def test_catalogue_without_targeting_columns_loads_with_them_empty(tmp_path):
    keep = ["kode_bantuan", "nama_bantuan", "opd", "kategori", "target_penerima", "anggaran"]
    override(tmp_path, "program_bantuan.csv", lambda h, rows: (
        keep, [[v for c, v in zip(h, r) if c in keep] for r in rows]))
    prog = load_reference(tmp_path).program_bantuan
    assert (prog["sasaran_miskin"] == "").all()
    assert prog["usia_min"].isna().all() and prog["usia_maks"].isna().all()


def test_targeting_columns_accept_any_case_and_name_bad_values_with_the_fix(tmp_path):
    def edit(header, rows):
        rows[0][header.index("sasaran_miskin")] = "YA"
        rows[1][header.index("sasaran_miskin")] = "mungkin"
        rows[2][header.index("usia_min")] = "tujuh belas"
        rows[3][header.index("usia_min")], rows[3][header.index("usia_maks")] = "30", "20"
        return header, rows

    message = load_error(override(tmp_path, "program_bantuan.csv", edit))
    assert "kolom 'sasaran_miskin' baris 3 berisi 'mungkin'; tulis 'ya'" in message
    assert "kolom 'usia_min' baris 4 berisi 'tujuh belas'; tulis usia dalam tahun penuh" in message
    assert "kolom 'usia_maks' baris 5 berisi '20'; usia_maks lebih kecil daripada usia_min" in message
    assert not re.search(r"\bbaris 2\b", message)  # 'YA' is read as 'ya'
