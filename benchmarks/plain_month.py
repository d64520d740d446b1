"""Write a plain month of OPD files: 7 columns, mostly distinct NIKs, as issue 13 measured.

Usage:
    .venv/bin/python benchmarks/plain_month.py OUT_RAW_DIR [--rows N] [--seed S] [--files K]

``kmc synth`` writes months as the plan pays them: recipients recur across programs, files
carry titles, totals rows and defects. This writes the other shape a provincial-scale or
exported month takes: ``--files`` CSV files of one header row and ``N`` data rows in all,
with the columns NIK, Nama, Kelurahan, Kecamatan, Nama Bantuan, Nominal, Tanggal
Penyaluran. NIKs are valid and almost all distinct (about 1 % of rows repeat a recipient of
another program), birth dates are spread over all ages (so age-bound programs flag many
rows for review), amounts are the catalogue's standard amount. Synthetic data only: names
are two common Indonesian given names, a family name and a number (almost all distinct).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.reference import load_reference

GIVEN = np.array(["Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gunawan", "Hendra", "Indah", "Joko",
                  "Kartini", "Lestari", "Made", "Nur", "Putri", "Rahmat", "Sari", "Taufik", "Utami", "Wahyu",
                  "Ahmad", "Bambang", "Dian", "Endang", "Fajar", "Hadi", "Ika", "Kurnia", "Lina", "Maya",
                  "Nanang", "Rina", "Siti", "Tri", "Wati", "Yanto", "Yuli", "Zainal", "Ratna", "Slamet"])
FAMILY = np.array(["Santoso", "Wijaya", "Saputra", "Lestari", "Pratama", "Hidayat", "Kurniawan", "Rahayu",
                   "Setiawan", "Susanti", "Nugroho", "Wulandari", "Siregar", "Harahap", "Purnomo"])


def plain_month(rows: int, seed: int, files: int) -> list[pd.DataFrame]:
    """``files`` tables of ``rows`` beneficiary rows in all, in the 7 columns of the issue's workload."""
    reference = load_reference()
    rng = np.random.default_rng(seed)
    wilayah = reference.wilayah
    programs = reference.program_bantuan
    place = rng.integers(0, len(wilayah), rows)
    program = rng.integers(0, len(programs), rows)
    # NIK: 18 72 kk (the kecamatan of residence) + ddmmyy (women's day + 40) + a serial number.
    kec_digits = wilayah["kode_kecamatan"].str[-2:].to_numpy()[place]
    born = np.datetime64("1935-01-01") + rng.integers(0, 365 * 88, rows).astype("timedelta64[D]")
    day = pd.DatetimeIndex(born)
    woman = rng.random(rows) < 0.5
    dd = day.day.to_numpy() + np.where(woman, 40, 0)
    serial = rng.permutation(rows) % 9999 + 1
    two_digits = np.char.mod("%02d", np.column_stack([dd, day.month.to_numpy(), day.year.to_numpy() % 100]))
    nik = pd.Series(np.char.add(np.char.add("1872", kec_digits.astype("U2")), np.char.add(
        np.char.add(np.char.add(two_digits[:, 0], two_digits[:, 1]), two_digits[:, 2]), np.char.mod("%04d", serial))))
    repeat = np.flatnonzero(rng.random(rows) < 0.01)
    nik.iloc[repeat] = nik.iloc[rng.integers(0, rows, len(repeat))].to_numpy()
    table = pd.DataFrame({
        "NIK": nik.to_numpy(),
        "Nama": (GIVEN[rng.integers(0, len(GIVEN), rows)] + " " + GIVEN[rng.integers(0, len(GIVEN), rows)] + " "
                 + FAMILY[rng.integers(0, len(FAMILY), rows)] + " " + np.char.mod("%d", rng.integers(1, 99, rows))),
        "Kelurahan": wilayah["kelurahan"].to_numpy()[place],
        "Kecamatan": wilayah["kecamatan"].to_numpy()[place],
        "Nama Bantuan": programs["nama_bantuan"].to_numpy()[program],
        "Nominal": programs["nominal_standar"].to_numpy()[program],
        "Tanggal Penyaluran": "2024-03-15",
    })
    bounds = np.linspace(0, rows, files + 1).astype(int)
    return [table.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def main(argv: list[str] | None = None) -> int:
    """Write the month under ``OUT_RAW_DIR/opd/2024-03/`` and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=1)
    args = parser.parse_args(argv)
    folder = args.raw / "opd" / "2024-03"
    folder.mkdir(parents=True, exist_ok=True)
    for number, part in enumerate(plain_month(args.rows, args.seed, args.files), start=1):
        part.to_csv(folder / f"kmc_{number:02d}_2024-03.csv", index=False)
    size = sum(p.stat().st_size for p in folder.glob("*.csv"))
    print(f"{args.rows:,} rows in {args.files} file(s), {size / 1e6:.1f} MB under {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
