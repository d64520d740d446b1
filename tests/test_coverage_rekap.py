"""Coverage rekap against hand-computed figures, month-on-month change, stage 2 notebook."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import K1, K2, L1, L2, L3, L4, P1, P2, P3

from kmc_analysis.core.errors import InputError, StageError
from kmc_analysis.core.store import (
    KOMBINASI_PROGRAM,
    PERUBAHAN_KECAMATAN,
    REKAP_KATEGORI_KELURAHAN,
    REKAP_KECAMATAN,
    REKAP_KELURAHAN,
    REKAP_PROGRAM,
    REKAP_TUMPANG_TINDIH,
    RINGKASAN_KOTA,
    read_city_summary,
    read_manifest,
    write_manifest,
    write_table,
)
from kmc_analysis.coverage.rekap import (
    build_coverage,
    kombinasi_program,
    load_previous_rekap,
    perubahan_kecamatan,
    read_penerima,
    rekap_kategori_kelurahan,
    rekap_kecamatan,
    rekap_kelurahan,
    rekap_program,
    rekap_tumpang_tindih,
)


def test_rekap_kelurahan_matches_hand_count(penerima, small_wilayah, population):
    rekap = rekap_kelurahan(penerima, small_wilayah, population)
    assert list(rekap.columns) == REKAP_KELURAHAN.column_names
    assert list(rekap["kode_kelurahan"]) == [L1, L2, L3, L4]
    assert list(rekap["penerima_unik"]) == [2, 1, 1, 0]
    assert list(rekap["jumlah_penyaluran"]) == [3, 1, 2, 0]
    assert list(rekap["nilai_total"]) == [400, 300, 400, 0]
    assert list(rekap["program_aktif"]) == [2, 1, 2, 0]
    assert list(rekap["penduduk"]) == [1000, 2000, 1500, 500]
    assert list(rekap["penerima_per_1000"]) == [2.0, 0.5, 0.67, 0.0]
    # The kecamatan-only row of C is not in any kelurahan.
    assert rekap["jumlah_penyaluran"].sum() == (penerima["kode_kelurahan"] != "").sum()


def test_rekap_kecamatan_counts_people_once_and_kecamatan_only_rows(penerima, small_wilayah, population):
    rekap = rekap_kecamatan(penerima, small_wilayah, population)
    assert list(rekap.columns) == REKAP_KECAMATAN.column_names
    assert list(rekap["kode_kecamatan"]) == [K1, K2]
    assert list(rekap["penerima_unik"]) == [2, 2]  # A is in L1 and L2 but counts once in K1
    assert list(rekap["jumlah_penyaluran"]) == [4, 3]
    assert list(rekap["nilai_total"]) == [700, 600]
    assert list(rekap["program_aktif"]) == [3, 3]
    assert list(rekap["penduduk"]) == [3000, 2000]
    assert list(rekap["penerima_per_1000"]) == [0.67, 1.0]
    assert rekap["jumlah_penyaluran"].sum() == len(penerima)


def test_unknown_population_gives_empty_rate(penerima, small_wilayah, population):
    partial = population[population["kode_kelurahan"] != L4]
    kec = rekap_kecamatan(penerima, small_wilayah, partial)
    kel = rekap_kelurahan(penerima, small_wilayah, partial)
    assert kec["penduduk"].isna().tolist() == [False, True]  # K2 lacks one kelurahan's figure
    assert np.isnan(kec["penerima_per_1000"].iloc[1]) and np.isnan(kel["penerima_per_1000"].iloc[3])
    none = rekap_kecamatan(penerima, small_wilayah, None)
    assert none["penerima_per_1000"].isna().all() and list(none["penerima_unik"]) == [2, 2]


def test_rekap_program_lists_every_catalogue_program(penerima, catalogue):
    rekap = rekap_program(penerima, catalogue)
    assert list(rekap.columns) == REKAP_PROGRAM.column_names
    assert list(rekap["penerima_unik"]) == [3, 2, 2]
    assert list(rekap["nilai_total"]) == [300, 400, 600]
    assert rekap["capaian_penerima_persen"].iloc[0] == 50.0
    assert rekap["capaian_penerima_persen"].iloc[1:].isna().all()  # target 0 and missing: empty, not 0
    empty = rekap_program(penerima.iloc[0:0], catalogue)
    assert list(empty["penerima_unik"]) == [0, 0, 0]


def test_overlap_and_combinations(penerima):
    overlap = rekap_tumpang_tindih(penerima)
    assert list(overlap.columns) == REKAP_TUMPANG_TINDIH.column_names
    assert list(overlap["jumlah_bantuan"]) == [1, 2, 3]
    assert list(overlap["penerima"]) == [2, 1, 1]  # B, C / D / A
    assert list(overlap["nilai_total"]) == [300, 400, 600]
    assert list(overlap["nilai_rata_rata_per_penerima"]) == [150, 400, 600]
    assert overlap["persen_penerima"].tolist() == [50.0, 25.0, 25.0]
    combos = kombinasi_program(penerima)
    assert list(combos.columns) == KOMBINASI_PROGRAM.column_names
    assert combos["kombinasi"].tolist() == [f"{P1} + {P2} + {P3}", f"{P1} + {P3}"]
    assert combos["penerima"].tolist() == [1, 1] and combos["jumlah_bantuan"].tolist() == [3, 2]


def test_overlap_lists_empty_levels_and_top_limit():
    rows = pd.DataFrame({
        "id_penerima": ["x"] * 3 + ["y"] + ["z", "z"],
        "kode_bantuan": [P1, P2, P3, P1, P1, P2],
        "kode_kecamatan": K1, "kode_kelurahan": L1, "nominal": np.int64(10),
    })
    overlap = rekap_tumpang_tindih(rows)
    assert overlap["penerima"].tolist() == [1, 1, 1]
    assert len(kombinasi_program(rows, top=1)) == 1
    empty = rows.iloc[0:0]
    assert rekap_tumpang_tindih(empty).empty and kombinasi_program(empty).empty


def test_combinations_and_overlap_match_a_count_by_python_sets_beyond_64_programs_and_at_ties():
    # 130 programs need three 64-bit words per person; few persons and programs make ties at the cut.
    generator = np.random.default_rng(11)
    codes = [f"B{number:03d}" for number in range(130)]
    persons = generator.integers(0, 400, size=3_000)
    programs = np.where(generator.random(3_000) < 0.8, generator.integers(0, 4, size=3_000) * 43,
                        generator.integers(0, 130, size=3_000))
    rows = pd.DataFrame({
        "id_penerima": [f"orang{person}" for person in persons], "kode_bantuan": [codes[p] for p in programs],
        "kode_kecamatan": K1, "kode_kelurahan": L1, "nominal": generator.integers(1, 10**9, size=3_000),
    })
    held: dict[str, set[str]] = {}
    value: dict[str, int] = {}
    for person, code, nominal in zip(rows["id_penerima"], rows["kode_bantuan"], rows["nominal"]):
        held.setdefault(person, set()).add(code)
        value[person] = value.get(person, 0) + int(nominal)
    combos: dict[str, int] = {}
    for programs_held in held.values():
        if len(programs_held) >= 2:
            text = " + ".join(sorted(programs_held))
            combos[text] = combos.get(text, 0) + 1
    expected = sorted(combos.items(), key=lambda item: (-item[1], item[0]))[:15]
    got = kombinasi_program(rows)
    assert list(zip(got["kombinasi"], got["penerima"])) == expected
    assert got["jumlah_bantuan"].tolist() == [text.count(" + ") + 1 for text, _ in expected]
    assert sum(1 for _, count in combos.items() if count >= expected[-1][1]) > 15, "the cut falls inside a tie"
    overlap = rekap_tumpang_tindih(rows)
    for size, persons_with, total in zip(overlap["jumlah_bantuan"], overlap["penerima"], overlap["nilai_total"]):
        people = [person for person, programs_held in held.items() if len(programs_held) == size]
        assert persons_with == len(people) and total == sum(value[person] for person in people)


def test_rekap_kategori_kelurahan(penerima, catalogue, small_wilayah, population):
    rekap = rekap_kategori_kelurahan(penerima, catalogue, small_wilayah, population)
    assert list(rekap.columns) == REKAP_KATEGORI_KELURAHAN.column_names
    assert len(rekap) == 3 * 4  # every kategori x kelurahan, zeros included
    beasiswa = rekap[rekap["kategori"] == "beasiswa"].set_index("kode_kelurahan")
    assert beasiswa["penerima_unik"].to_dict() == {L1: 2, L2: 0, L3: 1, L4: 0}
    assert beasiswa.loc[L1, "penerima_per_1000"] == 2.0


def test_codes_unknown_to_wilayah_stop_the_stage(penerima, small_wilayah, catalogue):
    bad = penerima.copy()
    bad.loc[0, "kode_kelurahan"] = "18.72.09.9999"
    with pytest.raises(StageError, match="18.72.09.9999"):
        rekap_kelurahan(bad, small_wilayah)
    bad = penerima.copy()
    bad.loc[0, "kode_bantuan"] = "KMC-999"
    with pytest.raises(StageError, match="KMC-999"):
        rekap_program(bad, catalogue)


def test_csv_output_is_byte_identical_and_fixed_format(penerima, small_wilayah, population, tmp_path):
    rekap = rekap_kecamatan(penerima, small_wilayah, population)
    first = write_table(tmp_path / "a", REKAP_KECAMATAN, rekap).read_bytes()
    again = rekap_kecamatan(penerima.sample(frac=1, random_state=3), small_wilayah, population)
    assert write_table(tmp_path / "b", REKAP_KECAMATAN, again).read_bytes() == first
    assert first.decode() == (
        "kode_kecamatan,kecamatan,penduduk,penerima_unik,penerima_per_1000,jumlah_penyaluran,nilai_total,"
        "program_aktif\n"
        "18.72.01,Metro Pusat,3000,2,0.67,4,700,3\n"
        "18.72.02,Metro Utara,2000,2,1.00,3,600,3\n"
    )


def test_month_on_month_change(penerima, small_wilayah, population, tmp_path):
    now = rekap_kecamatan(penerima, small_wilayah, population)
    last = now.assign(penerima_unik=[4, 0], nilai_total=[1000, 0])
    change = perubahan_kecamatan(now, last)
    assert list(change.columns) == PERUBAHAN_KECAMATAN.column_names
    assert change["selisih"].tolist() == [-2, 2]
    assert change["perubahan_persen"].iloc[0] == -50.0 and np.isnan(change["perubahan_persen"].iloc[1])
    assert change["selisih_nilai"].tolist() == [-300, 600]

    folder = tmp_path / "2024-02"
    assert load_previous_rekap(folder, small_wilayah) is None
    folder.mkdir()
    penerima.to_parquet(folder / "penerima.parquet")
    from_parquet = load_previous_rekap(folder, small_wilayah)
    assert from_parquet["penerima_unik"].tolist() == [2, 2]
    write_table(folder, REKAP_KECAMATAN, last)
    from_csv = load_previous_rekap(folder, small_wilayah)
    assert from_csv["penerima_unik"].tolist() == [4, 0] and from_csv["kode_kecamatan"].tolist() == [K1, K2]


def test_build_and_write_all_tables(penerima, small_wilayah, catalogue, population, tmp_path):
    result = build_coverage(penerima, small_wilayah, catalogue, population)
    assert result.perubahan is None and result.ringkasan["penerima_unik"] == 4
    assert result.ringkasan["nilai_total"] == 1300 and result.ringkasan["penerima_per_1000"] == 0.8
    (tmp_path / PERUBAHAN_KECAMATAN.name).write_text("stale")
    written = result.write(tmp_path)
    assert {p.name for p in written} == {*(t.name for t in result.tables()), RINGKASAN_KOTA}
    assert PERUBAHAN_KECAMATAN not in result.tables()
    assert not (tmp_path / PERUBAHAN_KECAMATAN.name).exists()  # a stale change table is removed
    for path in written:  # no personal data in any table
        header = path.read_text().splitlines()[0].split(",")
        assert not {"nama", "nik_tersamar", "id_penerima"} & set(header)
        assert "TIDAK BOLEH TAMPIL" not in path.read_text()
    assert read_city_summary(tmp_path) == result.ringkasan  # the city figures the report publishes
    with_change = build_coverage(penerima, small_wilayah, catalogue, population, bulan_lalu=result.kecamatan)
    assert with_change.perubahan["selisih"].tolist() == [0, 0]


def test_read_penerima_reads_no_personal_columns(penerima, tmp_path):
    with pytest.raises(InputError, match="tahap 1"):
        read_penerima(tmp_path)
    penerima.to_parquet(tmp_path / "penerima.parquet")
    read = read_penerima(tmp_path)
    assert "nama" not in read.columns and "nik_tersamar" not in read.columns


def _processed_fixture(root: Path, wilayah: pd.DataFrame, programs: pd.DataFrame) -> None:
    """Two months of a tiny penerima.parquet (every contract column) for the notebook run."""
    for period, seed in (("2024-02", 1), ("2024-03", 2)):
        rng = np.random.default_rng(seed)
        n = 240
        people = rng.integers(0, 120, n)
        home = rng.choice(wilayah["kode_kelurahan"].to_numpy(), size=120)
        frame = pd.DataFrame({
            "id_penerima": [f"{p:064x}" for p in people],
            "kode_bantuan": programs["kode_bantuan"].to_numpy()[rng.integers(0, 12, n)],
            "kode_kelurahan": home[people],
        }).drop_duplicates(["id_penerima", "kode_bantuan"], ignore_index=True)
        places = wilayah.set_index("kode_kelurahan")
        frame["kode_kecamatan"] = frame["kode_kelurahan"].map(places["kode_kecamatan"])
        frame["kecamatan"] = frame["kode_kelurahan"].map(places["kecamatan"])
        frame["kelurahan"] = frame["kode_kelurahan"].map(places["kelurahan"])
        frame.loc[:2, ["kode_kelurahan", "kelurahan"]] = ""
        frame["opd"] = frame["kode_bantuan"].map(programs.set_index("kode_bantuan")["opd"])
        frame["nominal"] = rng.choice([475000, 500000], len(frame)).astype("int64")
        frame["nama"], frame["nik_tersamar"] = "NAMA RAHASIA", "1872**********01"
        frame["tanggal_salur"] = pd.Timestamp(f"{period}-10")
        frame["sumber_file"], frame["sumber_sheet"], frame["sumber_baris"] = "uji.csv", "", np.arange(len(frame)) + 2
        folder = root / "processed" / period
        folder.mkdir(parents=True)
        frame.to_parquet(folder / "penerima.parquet")
        write_manifest(folder, {"period": period, "boundaries": None})  # stage 1 always writes one
    (root / "raw" / "reference").mkdir(parents=True)


@pytest.mark.slow
def test_notebook_runs_on_a_tiny_processed_month(tmp_path):
    papermill = pytest.importorskip("papermill")
    reference = pytest.importorskip("kmc_analysis.core.reference")
    ref = reference.load_reference()
    _processed_fixture(tmp_path, ref.wilayah, ref.program_bantuan)
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02_coverage_map.ipynb"
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(notebook), str(out), cwd=str(notebook.parent), progress_bar=False,
        parameters={"period": "2024-03", "raw_dir": str(tmp_path / "raw"),
                    "processed_dir": str(tmp_path / "processed"), "reports_dir": str(tmp_path / "reports")},
    )
    processed, reports = tmp_path / "processed" / "2024-03", tmp_path / "reports" / "2024-03"
    for name in ("rekap_kecamatan.csv", "rekap_kelurahan.csv", "rekap_program.csv", "rekap_tumpang_tindih.csv",
                 "kombinasi_program.csv", "perubahan_kecamatan.csv", "cakupan.gpkg"):
        assert (processed / name).is_file(), name
    for name in ("peta_cakupan_kecamatan.png", "peta_cakupan_kelurahan.png", "peta_cakupan_kategori.png",
                 "peta_interaktif_2024-03.html"):
        assert (reports / name).is_file(), name
    assert read_manifest(processed)["boundaries"]["skematis"] is True  # no boundary file: the tiles
    text = out.read_text()
    assert "Semua pemeriksaan tahap 2 lolos" in text
    assert "NAMA RAHASIA" not in text and "1872**********01" not in text and "0" * 60 not in text
    assert "&lt;5" in text or "<5" not in text  # small counts escaped, never raw HTML
