"""A hand-made processed month (stages 1-3 outputs) for the report's tests.

``make_processed`` writes a consistent processed folder with known NIKs, names and
pseudonyms in penerima.parquet and karantina.csv and returns them for the leak scan;
``tiny_png`` stands in for a map or chart made by an earlier stage.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.store import KARANTINA, write_city_summary, write_table
from kmc_analysis.coverage.rekap import city_summary
from kmc_analysis.evaluation.capaian import predikat
from kmc_analysis.runner import make_private

WILAYAH = [  # kode_kecamatan, kecamatan, kode_kelurahan, kelurahan, penduduk
    ("18.72.01", "Metro Pusat", "18.72.01.1001", "Metro", 9000),
    ("18.72.01", "Metro Pusat", "18.72.01.1002", "Hadimulyo Timur", 8000),
    ("18.72.01", "Metro Pusat", "18.72.01.1003", "Imopuro", 7000),
    ("18.72.02", "Metro Utara", "18.72.02.1001", "Banjarsari", 6000),
    ("18.72.02", "Metro Utara", "18.72.02.1002", "Purwosari", 5000),
    ("18.72.03", "Metro Barat", "18.72.03.1001", "Mulyojati", 4000),
    ("18.72.03", "Metro Barat", "18.72.03.1002", "Ganjar Agung", 3000),
]
PROGRAMS = [  # kode, nama, opd, kategori, target, nominal
    ("B01", "Beasiswa Pelajar SD", "Dinas Pendidikan dan Kebudayaan", "beasiswa", 120, 500_000),
    ("B02", "Beasiswa Mahasiswa", "Dinas Pendidikan dan Kebudayaan", "beasiswa", 40, 1_500_000),
    ("S01", "Insentif Pekerja Sosial Masyarakat", "Dinas Sosial", "insentif", 30, 300_000),
    ("S02", "Santunan Kematian", "Dinas Sosial", "santunan", 20, 1_000_000),
    ("K01", "Insentif Kader Posyandu", "Dinas Kesehatan", "insentif", 60, 250_000),
    ("T01", "Insentif Ketua RT", "Bagian Tata Pemerintahan", "insentif", 80, 475_000),
    ("L01", "Insentif Linmas", "Satpol PP", "insentif", 25, 300_000),
]
FIRST = ["Siti", "Ahmad", "Dewi", "Budi", "Rina", "Agus", "Sri", "Joko", "Wati", "Eko", "Yanti", "Hendra"]
LAST = ["Rahmawati", "Saputra", "Lestari", "Santoso", "Wijaya", "Handayani", "Pratama", "Kusuma"]


def _nik(rng: np.random.Generator) -> str:
    """A 16-digit NIK of Kota Metro with a valid birth date."""
    day = int(rng.integers(1, 29)) + (40 if rng.random() < 0.5 else 0)
    return f"1872{int(rng.integers(1, 6)):02d}{day:02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(60, 100)):02d}" \
           f"{int(rng.integers(1, 9999)):04d}"


def make_processed(folder: Path, period: str = "2024-03", seed: int = 7, wilayah=WILAYAH, programs=PROGRAMS,
                   people: int = 300) -> dict:
    """Write a consistent processed folder (stage 1-3 outputs) and return the personal data used.

    Returns a dict with the NIKs, names and pseudonyms placed in penerima.parquet and
    karantina.csv, for the leak scan.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    wil = pd.DataFrame(wilayah, columns=["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "penduduk"])
    prog = pd.DataFrame(programs, columns=["kode_bantuan", "nama_bantuan", "opd", "kategori", "target_penerima",
                                           "nominal"])
    prog["anggaran"] = prog["target_penerima"] * prog["nominal"] * 12
    # The last kelurahan gets almost nobody (small cells), the last program is not delivered.
    weights = np.linspace(1.0, 0.3, len(wil))
    weights[-1] = 0.0
    weights /= weights.sum()
    niks = list(dict.fromkeys(_nik(rng) for _ in range(people)))
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in niks]
    home = rng.choice(len(wil), size=len(niks), p=weights)
    home[:2] = len(wil) - 1  # two people in the smallest kelurahan
    rows = []
    delivered = prog.iloc[:-1]
    for i, (nik, nama, h) in enumerate(zip(niks, names, home)):
        for j in rng.choice(len(delivered), size=1 + int(rng.random() < 0.25), replace=False):
            p = delivered.iloc[int(j)]
            rows.append({"nik": nik, "nama": nama, "h": h, "kode_bantuan": p.kode_bantuan, "opd": p.opd,
                         "nominal": int(p.nominal)})
    acc = pd.DataFrame(rows)
    acc["id_penerima"] = [hashlib.sha256(("kunci-uji" + n).encode()).hexdigest() for n in acc["nik"]]
    acc["nik_tersamar"] = acc["nik"].str[:4] + "**********" + acc["nik"].str[-2:]
    for col in ("kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"):
        acc[col] = wil[col].to_numpy()[acc["h"].to_numpy()]
    acc["tanggal_salur"] = f"{period}-15"
    files = {opd: f"opd/{period}/{re.sub('[^A-Za-z]+', '_', opd)}.xlsx" for opd in prog["opd"].unique()}
    acc["sumber_file"] = acc["opd"].map(files)
    acc["sumber_sheet"] = "BNBA"
    acc["sumber_baris"] = np.arange(len(acc)) + 2
    penerima = acc[["id_penerima", "nik_tersamar", "nama", "kode_bantuan", "opd", "kode_kecamatan", "kecamatan",
                    "kode_kelurahan", "kelurahan", "nominal", "tanggal_salur", "sumber_file", "sumber_sheet",
                    "sumber_baris"]].copy()
    penerima["nominal"] = penerima["nominal"].astype("int64")
    penerima.to_parquet(folder / "penerima.parquet", index=False)

    # Quarantine: rows with personal cells, from two files (one only ever quarantined).
    q_niks = [_nik(rng) for _ in range(9)]
    q_names = [f"{rng.choice(FIRST)} Karantina{i}" for i in range(9)]
    reasons = ["duplikat", "nik_format", "wilayah_tidak_dikenal", "duplikat", "nominal_tidak_valid",
               "nik_tanggal;duplikat", "program_tidak_dikenal", "nama_kosong", "nik_format"]
    kar = pd.DataFrame({
        "sumber_file": [files["Dinas Sosial"]] * 6 + [f"opd/{period}/kiriman_tanpa_opd.csv"] * 3,
        "sumber_sheet": ["BNBA"] * 6 + [""] * 3,
        "sumber_baris": np.arange(9) + 40,
        "alasan": reasons,
        "NIK": q_niks, "Nama Penerima": [n if r != "nama_kosong" else "" for n, r in zip(q_names, reasons)],
        "Kelurahan": ["Metro"] * 9, "Nominal": ["Rp 300.000"] * 9,
    })
    write_table(folder, KARANTINA, kar)

    # Rekap tables (what stage 2 writes).
    def area(keys):
        g = acc.groupby(keys)
        out = pd.DataFrame({"penerima_unik": g["id_penerima"].nunique(), "jumlah_penyaluran": g.size(),
                            "nilai_total": g["nominal"].sum(), "program_aktif": g["kode_bantuan"].nunique()})
        return out.reset_index()

    kel = wil.merge(area(["kode_kelurahan"]), on="kode_kelurahan", how="left").fillna(
        {"penerima_unik": 0, "jumlah_penyaluran": 0, "nilai_total": 0, "program_aktif": 0})
    kel["penerima_per_1000"] = (kel["penerima_unik"] / kel["penduduk"] * 1000).round(2)
    cols = ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "penduduk", "penerima_unik",
            "penerima_per_1000", "jumlah_penyaluran", "nilai_total", "program_aktif"]
    kel = kel[cols].astype({c: "int64" for c in ("penerima_unik", "jumlah_penyaluran", "nilai_total", "program_aktif")})
    kel.to_csv(folder / "rekap_kelurahan.csv", index=False)
    kec_pop = wil.groupby(["kode_kecamatan", "kecamatan"], as_index=False)["penduduk"].sum()
    kec = kec_pop.merge(area(["kode_kecamatan"]), on="kode_kecamatan", how="left").fillna(0)
    kec["penerima_per_1000"] = (kec["penerima_unik"] / kec["penduduk"] * 1000).round(2)
    kec = kec[["kode_kecamatan", "kecamatan", "penduduk", "penerima_unik", "penerima_per_1000", "jumlah_penyaluran",
               "nilai_total", "program_aktif"]]
    kec.to_csv(folder / "rekap_kecamatan.csv", index=False)
    write_city_summary(folder, city_summary(penerima, kec))  # stage 2's headline figures

    pg = prog.merge(area(["kode_bantuan"]), on="kode_bantuan", how="left").fillna(
        {"penerima_unik": 0, "nilai_total": 0})
    pg["capaian_penerima_persen"] = (pg["penerima_unik"] / pg["target_penerima"] * 100).round(2)
    pg = pg.astype({"penerima_unik": "int64", "nilai_total": "int64"})
    pg[["kode_bantuan", "nama_bantuan", "opd", "kategori", "penerima_unik", "target_penerima",
        "capaian_penerima_persen", "nilai_total", "anggaran"]].to_csv(folder / "rekap_program.csv", index=False)

    opd = prog.groupby("opd", as_index=False).agg(program_katalog=("kode_bantuan", "size"))
    terisi = acc.groupby("opd")["kode_bantuan"].nunique()
    diterima = acc.groupby("opd").size()
    opd["program_terisi"] = opd["opd"].map(terisi).fillna(0).astype(int)
    opd["kelengkapan_persen"] = (opd["program_terisi"] / opd["program_katalog"] * 100).round(2)
    opd["baris_diterima"] = opd["opd"].map(diterima).fillna(0).astype(int)
    opd["baris_karantina"] = [6 if o == "Dinas Sosial" else 0 for o in opd["opd"]]
    opd["baris_dibaca"] = opd["baris_diterima"] + opd["baris_karantina"]
    opd["persen_valid"] = (opd["baris_diterima"] / opd["baris_dibaca"] * 100).round(2)
    opd[["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "baris_dibaca", "baris_diterima",
         "baris_karantina", "persen_valid"]].to_csv(folder / "rekap_opd.csv", index=False)

    rpjmd = pd.DataFrame({
        "kode_indikator": ["IKU-01", "IKU-02", "IKU-03", "IKU-04", "IKU-05"],
        "indikator": ["Jumlah penerima manfaat KMC", "Persentase penduduk miskin", "Kelengkapan data OPD",
                      "Indeks Pembangunan Manusia", "Rasio Gini"],
        "satuan": ["orang", "persen", "persen", "indeks", "indeks"],
        "polaritas": ["positif", "negatif", "positif", "positif", "negatif"],
        "tahun": [2024] * 5,
        "target": [20000, 6.5, 100, 79.5, np.nan],
        "realisasi": [float(acc["id_penerima"].nunique()), 6.78, 83.33, 78.93, 0.277],
    })
    cap = np.where(rpjmd["polaritas"] == "positif", rpjmd["realisasi"] / rpjmd["target"] * 100,
                   (2 * rpjmd["target"] - rpjmd["realisasi"]) / rpjmd["target"] * 100)
    rpjmd["capaian_persen"] = np.round(cap, 2)
    rpjmd["predikat"] = predikat(rpjmd["capaian_persen"])
    rpjmd.to_csv(folder / "evaluasi_rpjmd.csv", index=False)

    counts = {"rows_read": len(acc) + len(kar), "rows_accepted": len(acc), "rows_quarantined": len(kar),
              "quarantine_by_reason": {}}
    for r in reasons:
        for code in r.split(";"):
            counts["quarantine_by_reason"][code] = counts["quarantine_by_reason"].get(code, 0) + 1
    manifest = {
        "period": period, "parameters": {"min_cell": 5},
        "inputs": [{"path": f, "sha256": hashlib.sha256(f.encode()).hexdigest(), "rows_read": 1} for f in files.values()],
        "rejected_files": [{"path": f"opd/{period}/rusak.xlsx", "sheet": None, "reason": "Berkas tidak dapat dibuka"}],
        "skipped_sheets": [{"path": files["Dinas Sosial"], "sheet": "Petunjuk"}],
        "skipped_rows": [], "ignored_files": [],
        "counts": counts, "key_id": "ab12cd34ef56" + "0" * 52,
        "versions": {"python": "3.11.7", "kmc_analysis": "0.1.0", "pandas": pd.__version__},
        "stages": [{"name": "01_clean_opd_data", "seconds": 1.0}],
        "started": f"{period}-28T09:00:00", "finished": f"{period}-28T09:01:00",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    make_private(folder)
    return {"niks": niks + q_niks, "names": names + q_names, "pseudonyms": acc["id_penerima"].unique().tolist(),
            "masked": acc["nik_tersamar"].unique().tolist()}


def tiny_png(path: Path) -> None:
    """Write a small real PNG (a stand-in for a map made by an earlier stage)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
    ax.bar(["a", "b"], [1, 2])
    fig.savefig(path)
    plt.close(fig)
