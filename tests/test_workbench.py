"""The analyst's API: load_month / load_year give typed tables, never a NIK, from any working directory."""

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import kmc_analysis
from kmc_analysis import load_month, load_year, processed_periods
from kmc_analysis.core import store
from kmc_analysis.core.errors import InputError
from kmc_analysis.workbench import PERSONAL_COLUMNS, MissingMonthsWarning, Month

NIK = "1872014107990003"
NAMA = "SITI AMINAH BINTI SUPARJO"


@pytest.fixture(autouse=True)
def no_folder_variables(monkeypatch):
    for variable in ("KMC_RAW_DIR", "KMC_PROCESSED_DIR", "KMC_REPORTS_DIR"):
        monkeypatch.delenv(variable, raising=False)


def _penerima(period: str, people: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Accepted rows as stage 1 writes them: (id_penerima, kode_bantuan, kode_kelurahan) per row."""
    rows = pd.DataFrame(people, columns=["id_penerima", "kode_bantuan", "kode_kelurahan"])
    n = len(rows)
    return pd.DataFrame({
        "id_penerima": rows["id_penerima"], "nik_tersamar": ["1872**********03"] * n, "nama": [NAMA] * n,
        "kode_bantuan": rows["kode_bantuan"], "opd": ["Dinas Sosial"] * n, "kode_kecamatan": ["18.72.01"] * n,
        "kecamatan": ["Metro Pusat"] * n, "kode_kelurahan": rows["kode_kelurahan"],
        "kelurahan": ["Metro"] * n, "nominal": pd.Series([300000] * n, dtype="int64"),
        "tanggal_salur": pd.Series(pd.to_datetime([f"{period}-05"] * n)).astype("datetime64[s]"),
        "sumber_file": ["BNBA Dinsos.xlsx"] * n, "sumber_sheet": ["Data"] * n,
        "sumber_baris": pd.Series(range(5, 5 + n), dtype="int64"),
    })


def _karantina() -> pd.DataFrame:
    """One quarantined row whose original cells hold a NIK and a name, as karantina.csv does."""
    return pd.DataFrame({"sumber_file": ["BNBA Dinsos.xlsx"], "sumber_sheet": ["Data"],
                         "sumber_baris": pd.Series([9], dtype="int64"), "alasan": ["nominal_tidak_valid"],
                         "NIK": [NIK], "Nama Penerima": [NAMA], "Nominal": ["-"]})


def _rekap_kecamatan(penerima_unik: int) -> pd.DataFrame:
    return pd.DataFrame({
        "kode_kecamatan": ["18.72.01"], "kecamatan": ["Metro Pusat"], "penduduk": pd.array([48000], dtype="Int64"),
        "penerima_unik": [penerima_unik], "penerima_per_1000": [penerima_unik * 1000 / 48000],
        "jumlah_penyaluran": [penerima_unik], "nilai_total": [penerima_unik * 300000], "program_aktif": [1],
    })


def write_month(processed: Path, period: str, people, with_stage_2: bool = True) -> Path:
    """A processed month folder: stage 1's tables and manifest, and stage 2's rekap_kecamatan."""
    folder = processed / period
    penerima = _penerima(period, people)
    store.write_table(folder, store.PENERIMA, penerima)
    store.write_table(folder, store.KARANTINA, _karantina())
    store.write_manifest(folder, {"period": period, "counts": {
        "rows_read": len(penerima) + 1, "rows_accepted": len(penerima), "rows_quarantined": 1}})
    if with_stage_2:
        store.write_table(folder, store.REKAP_KECAMATAN, _rekap_kecamatan(penerima["id_penerima"].nunique()))
    return folder


@pytest.fixture
def processed(tmp_path):
    """A project with January (stage 1 only, as a year-to-date catch-up leaves it) and March processed."""
    root = tmp_path / "kmc"
    (root / "notebooks" / "eksplorasi").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'kmc-analysis'\n")
    folder = root / "data" / "processed"
    write_month(folder, "2024-01", [("a" * 64, "KMC-001", "18.72.01.1001")], with_stage_2=False)
    write_month(folder, "2024-03", [("a" * 64, "KMC-001", "18.72.01.1001"), ("a" * 64, "KMC-002", "18.72.01.1001"),
                                    ("b" * 64, "KMC-001", "")])
    return folder


def _every_cell(frame: pd.DataFrame) -> set[str]:
    return {str(value) for value in frame.astype(str).to_numpy().ravel()} | set(map(str, frame.columns))


def test_month_never_loads_nik_name_or_masked_nik(processed):
    bulan = load_month("2024-03", processed)
    assert not PERSONAL_COLUMNS & set(bulan.penerima.columns)
    assert list(bulan.karantina_ringkas.columns) == ["sumber_file", "sumber_sheet", "sumber_baris", "alasan"]
    seen = set().union(*(_every_cell(bulan.table(name)) for name in bulan.tabel_tersedia))
    assert NIK not in seen and NAMA not in seen and "1872**********03" not in seen


def test_pseudonym_stays_so_persons_can_be_counted_across_programs(processed):
    penerima = load_month("2024-03", processed).penerima
    assert penerima.groupby("id_penerima")["kode_bantuan"].nunique().to_dict() == {"a" * 64: 2, "b" * 64: 1}


def test_personal_columns_only_when_asked_and_never_the_nik(processed):
    bulan = load_month("2024-03", processed, include_personal=True)
    assert {"nama", "nik_tersamar"} <= set(bulan.penerima.columns)
    assert "nik" not in bulan.penerima.columns
    assert NIK not in set().union(*(_every_cell(bulan.table(n)) for n in bulan.tabel_tersedia))


def test_tables_come_back_typed_as_the_store_declares_them(processed):
    bulan = load_month("2024-03", processed)
    rekap = bulan.rekap_kecamatan
    assert rekap["kode_kecamatan"].iloc[0] == "18.72.01" and pd.api.types.is_string_dtype(rekap["kode_kecamatan"])
    assert rekap["penerima_unik"].dtype == "int64" and rekap["penduduk"].dtype == "Int64"
    assert bulan.penerima["nominal"].dtype == "int64"
    assert bulan.karantina_ringkas["sumber_baris"].dtype == "int64"
    assert bulan.manifest["counts"]["rows_accepted"] == 3


def test_table_a_month_lacks_names_the_stage_and_the_command(processed):
    with pytest.raises(InputError) as caught:
        load_month("2024-01", processed).rekap_kecamatan
    message = str(caught.value)
    assert "tahap 2" in message and "kmc run --period 2024-01" in message and "penerima" in message


def test_unprocessed_month_lists_the_processed_ones(processed):
    with pytest.raises(InputError) as caught:
        load_month("2024-02", processed)
    assert "2024-01, 2024-03" in str(caught.value) and "kmc run --period 2024-02" in str(caught.value)


def test_bad_period_text_is_an_input_error(processed):
    with pytest.raises(InputError):
        load_month("Maret 2024", processed)


def test_unknown_attribute_is_an_attribute_error_not_a_file_read(processed):
    bulan = load_month("2024-03", processed)
    with pytest.raises(AttributeError):
        bulan.karantina  # the original cells are never offered
    assert "rekap_program" in dir(bulan)


def test_editing_a_loaded_table_leaves_the_next_read_unchanged(processed):
    bulan = load_month("2024-03", processed)
    first = bulan.penerima
    first.loc[0, "nominal"] = 1
    first["tambahan"] = 0
    again = bulan.penerima
    assert again.loc[0, "nominal"] == 300000 and "tambahan" not in again.columns


def test_a_table_the_store_declares_later_is_an_attribute_without_code_change(processed, monkeypatch):
    tinjauan = store.TableFile("tinjauan_uji.csv", 1, {"sumber_file": "str", "tanda": "str"})
    monkeypatch.setattr(store, "TINJAUAN_UJI", tinjauan, raising=False)
    store.write_table(processed / "2024-03", tinjauan, pd.DataFrame({"sumber_file": ["a.xlsx"], "tanda": ["x"]}))
    assert load_month("2024-03", processed).tinjauan_uji["tanda"].tolist() == ["x"]


def test_year_stacks_months_with_a_periode_column(processed):
    tahun = load_year(2024, processed)
    assert tahun.periods == ["2024-01", "2024-03"]
    penerima = tahun.penerima
    assert penerima.columns[0] == "periode"
    assert penerima.groupby("periode").size().to_dict() == {"2024-01": 1, "2024-03": 3}
    assert not PERSONAL_COLUMNS & set(penerima.columns)
    assert set(tahun.manifest) == {"2024-01", "2024-03"}
    assert tahun.bulan("2024-03").penerima.shape[0] == 3


def test_year_table_missing_in_some_months_warns_naming_them(processed):
    with pytest.warns(MissingMonthsWarning, match="2024-01"):
        rekap = load_year("2024", processed).rekap_kecamatan
    assert rekap["periode"].tolist() == ["2024-03"]


def test_year_table_present_in_every_month_does_not_warn(processed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_year(2024, processed).karantina_ringkas) == 2


def test_year_without_processed_months_lists_what_is_there(processed):
    with pytest.raises(InputError) as caught:
        load_year(2023, processed)
    assert "2024-01, 2024-03" in str(caught.value)
    with pytest.raises(InputError):
        load_year("dua ribu", processed)


def test_staging_and_unfinished_folders_are_not_processed_months(processed):
    (processed / ".kmc-run-abc123" / "processed" / "2024-02").mkdir(parents=True)
    (processed / "2024-04").mkdir()  # stage 1 never finished: no manifest
    (processed / "catatan").mkdir()
    assert processed_periods(processed) == ["2024-01", "2024-03"]


def test_notebook_in_notebooks_eksplorasi_finds_the_processed_folder(processed, monkeypatch):
    monkeypatch.chdir(processed.parents[1] / "notebooks" / "eksplorasi")
    assert load_month("2024-03").folder == processed / "2024-03"
    assert processed_periods() == ["2024-01", "2024-03"]


def test_environment_variable_points_at_another_processed_folder(processed, tmp_path, monkeypatch):
    monkeypatch.setenv("KMC_PROCESSED_DIR", str(processed))
    monkeypatch.chdir(tmp_path)
    assert isinstance(load_month("2024-03"), Month)


def test_repr_summarises_the_month_in_indonesian(processed):
    text = repr(load_month("2024-03", processed))
    assert "Maret 2024" in text and "3 diterima" in text and "rekap_kecamatan" in text


def test_import_kmc_analysis_stays_light_and_the_api_loads_no_maps_or_papermill():
    code = ("import sys, kmc_analysis; light = sorted(m for m in ('pandas', 'geopandas', 'matplotlib', 'papermill') "
            "if m in sys.modules); from kmc_analysis import load_month, load_year; "
            "heavy = sorted(m for m in ('geopandas', 'matplotlib', 'papermill', 'pandera') if m in sys.modules); "
            "print(light, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"


def test_public_api_is_listed_and_unknown_names_still_fail():
    assert {"load_month", "load_year", "processed_periods"} <= set(kmc_analysis.__all__)
    assert kmc_analysis.load_month is load_month
    with pytest.raises(AttributeError):
        kmc_analysis.load_everything
