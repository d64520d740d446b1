"""Shared fixtures: a small wilayah and catalogue, and a throw-away pseudonym key."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.core.store import REKAP_KECAMATAN, REKAP_KELURAHAN
from kmc_analysis.coverage.boundaries import load_boundaries, schematic_boundaries
from kmc_analysis.coverage.rekap import per_1000

# ../shared beside the repo root; a worktree kept elsewhere names it in KMC_SHARED_DIR.
SHARED = Path(os.environ.get("KMC_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
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
def reference():
    """The bundled Kota Metro reference tables (load_reference without overrides)."""
    from kmc_analysis.core.reference import load_reference

    return load_reference()


@pytest.fixture(scope="session")
def metro_wilayah():
    """The 22 kelurahan of Kota Metro from ../shared, with Kemendagri and BPS codes and spelling variants."""
    path = SHARED_REFERENCE / "wilayah_kota_metro.csv"
    if not path.exists():
        pytest.skip("../shared/reference/wilayah_kota_metro.csv is absent")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --- stage 2: a small month of accepted rows ---------------------------------------------------

K1, K2 = "18.72.01", "18.72.02"
L1, L2, L3, L4 = "18.72.01.1001", "18.72.01.1002", "18.72.02.1001", "18.72.02.1002"
P1, P2, P3 = "KMC-001", "KMC-002", "KMC-003"
A, B, C, D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


@pytest.fixture
def small_wilayah():
    """Two kecamatan, four kelurahan; L4 (Purwosari) gets no row at all."""
    return pd.DataFrame({
        "kode_kecamatan": [K1, K1, K2, K2],
        "kecamatan": ["Metro Pusat", "Metro Pusat", "Metro Utara", "Metro Utara"],
        "kode_kelurahan": [L1, L2, L3, L4],
        "kelurahan": ["Metro", "Hadimulyo Timur", "Banjarsari", "Purwosari"],
        "ejaan_lain": ["", "", "", ""],
    }, dtype="string")


@pytest.fixture
def catalogue():
    return pd.DataFrame({
        "kode_bantuan": [P1, P2, P3],
        "nama_bantuan": ["Beasiswa SD", "Insentif Ketua RT", "Santunan Kematian"],
        "opd": ["Dinas Pendidikan dan Kebudayaan", "Bagian Pemerintahan", "Dinas Sosial"],
        "kategori": ["beasiswa", "insentif", "santunan"],
        "target_penerima": pd.array([6, 0, pd.NA], dtype="Int64"),
        "anggaran": pd.array([1000, 2000, 3000], dtype="Int64"),
    })


@pytest.fixture
def population():
    """population_by_kelurahan's shape: kode_kelurahan, penduduk, tahun."""
    return pd.DataFrame({"kode_kelurahan": [L1, L2, L3, L4], "penduduk": [1000, 2000, 1500, 500], "tahun": 2024})


@pytest.fixture
def penerima():
    """A has three programs in two kelurahan of K1; C gave only a kecamatan; D two programs in L3."""
    rows = [
        (A, P1, K1, L1, 100),
        (A, P2, K1, L1, 200),
        (A, P3, K1, L2, 300),
        (B, P1, K1, L1, 100),
        (C, P2, K2, "", 200),
        (D, P1, K2, L3, 100),
        (D, P3, K2, L3, 300),
    ]
    frame = pd.DataFrame(rows, columns=["id_penerima", "kode_bantuan", "kode_kecamatan", "kode_kelurahan", "nominal"])
    frame["nominal"] = frame["nominal"].astype("int64")
    frame["nama"] = "TIDAK BOLEH TAMPIL"
    frame["nik_tersamar"] = "1872**********01"
    return frame


# --- stage 2: Kota Metro's rekap and boundaries for the maps -----------------------------------

@pytest.fixture(scope="module")
def metro_rekap(metro_wilayah):
    """Kecamatan and kelurahan rekap of Kota Metro: Imopuro has 3 persons (suppressed), Yosomulyo no population."""
    rng = np.random.default_rng(7)
    kel = metro_wilayah[["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"]].copy()
    kel["penduduk"] = pd.array(rng.integers(4000, 12000, 22), dtype="Int64")
    kel["penerima_unik"] = rng.integers(20, 400, 22)
    kel.loc[kel["kelurahan"] == "Imopuro", "penerima_unik"] = 3
    kel.loc[kel["kelurahan"] == "Yosomulyo", "penduduk"] = pd.NA
    kel["penerima_per_1000"] = per_1000(kel["penerima_unik"], kel["penduduk"])
    kel["jumlah_penyaluran"] = kel["penerima_unik"] * 2
    kel["nilai_total"] = kel["jumlah_penyaluran"] * 500000
    kel["program_aktif"] = 4
    grouped = kel.groupby(["kode_kecamatan", "kecamatan"], as_index=False)
    kec = grouped[["penduduk", "penerima_unik", "jumlah_penyaluran", "nilai_total", "program_aktif"]].sum()
    kec["penduduk"] = kec["penduduk"].where(kec["kecamatan"] != "Metro Selatan").astype("Int64")
    kec["penerima_per_1000"] = per_1000(kec["penerima_unik"], kec["penduduk"])
    return kec[REKAP_KECAMATAN.column_names], kel[REKAP_KELURAHAN.column_names]


@pytest.fixture(scope="module")
def metro_boundaries(metro_wilayah):
    if not KELURAHAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    return load_boundaries(KELURAHAN_FILE, metro_wilayah)


@pytest.fixture(scope="module")
def metro_tiles(metro_wilayah):
    return schematic_boundaries(metro_wilayah)
