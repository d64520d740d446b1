"""Shared fixtures: a small wilayah and catalogue, and a throw-away pseudonym key."""

from pathlib import Path

import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_REFERENCE = SHARED / "reference"
KELURAHAN_FILE = SHARED_REFERENCE / "batas" / "kota_metro_kelurahan.geojson"
KECAMATAN_FILE = SHARED_REFERENCE / "batas" / "kota_metro_kecamatan.geojson"


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch, tmp_path_factory):
    """Every test gets its own key, never the developer's real key file."""
    monkeypatch.setenv("KMC_PSEUDONYM_KEY", "kunci-uji-yang-cukup-panjang-0123456789")
    monkeypatch.setenv("KMC_PSEUDONYM_KEY_FILE", str(tmp_path_factory.mktemp("key") / "pseudonym.key"))


@pytest.fixture
def wilayah():
    """Two kecamatan, five kelurahan, with the spelling variants seen in the wild."""
    return pd.DataFrame({
        "kode_kecamatan": ["18.72.01", "18.72.01", "18.72.02", "18.72.02", "18.72.03"],
        "kecamatan": ["Metro Pusat", "Metro Pusat", "Metro Utara", "Metro Utara", "Metro Barat"],
        "kode_kelurahan": ["18.72.01.1001", "18.72.01.1004", "18.72.02.1002", "18.72.02.1004", "18.72.03.1004"],
        "kelurahan": ["Metro", "Hadimulyo Barat", "Purwosari", "Purwoasri", "Ganjar Asri"],
        "ejaan_lain": ["", "", "", "", "Ganjarasri;Ganjarsari;Ganjar Sari"],
    }, dtype="str")


@pytest.fixture
def programs():
    """Three catalogue programs of two OPDs."""
    return pd.DataFrame({
        "kode_bantuan": ["KMC-001", "KMC-002", "KMC-003"],
        "nama_bantuan": ["Beasiswa SD", "Insentif Ketua RT", "Santunan Kematian"],
        "opd": ["Dinas Pendidikan dan Kebudayaan", "Bagian Pemerintahan", "Dinas Sosial"],
        "kategori": ["beasiswa", "insentif", "santunan"],
    }, dtype="str")


@pytest.fixture(scope="session")
def metro_wilayah():
    """The 22 kelurahan of Kota Metro from ../shared, with Kemendagri and BPS codes and spelling variants."""
    path = SHARED_REFERENCE / "wilayah_kota_metro.csv"
    if not path.exists():
        pytest.skip("../shared/reference/wilayah_kota_metro.csv is absent")
    return pd.read_csv(path, dtype=str, keep_default_na=False)
