"""Write a plain month of OPD files: 7 columns, mostly distinct NIKs, as issue 13 measured.

Usage:
    .venv/bin/python benchmarks/plain_month.py OUT_RAW_DIR [--rows N] [--seed S] [--files K]
                                               [--faulty SHARE] [--people N]

``kmc synth`` writes months as the plan pays them: recipients recur across programs, files
carry titles, totals rows and defects. This writes the other shape a provincial-scale or
exported month takes: ``--files`` CSV files of one header row and ``N`` data rows in all,
with the columns NIK, Nama, Kelurahan, Kecamatan, Nama Bantuan, Nominal, Tanggal
Penyaluran. NIKs are valid and almost all distinct (about 1 % of rows repeat a recipient of
another program), birth dates are spread over all ages (so age-bound programs flag many
rows for review), amounts are the catalogue's standard amount. Synthetic data only: names
are two common Indonesian given names, a family name and a number (almost all distinct).

Two variants measure what a month's faults and recurring recipients cost (the base month's
rows are drawn first, so they are the same with or without them):

- ``--faulty SHARE``: that share of the rows is faulty as exports go wrong, in equal parts:
  a NIK that Excel turned into a number (``1.87201E+15``), a NIK missing its last digit, a
  kelurahan of another city (Bandar Lampung's Way Halim), an empty name, an amount typed as
  ``nol``. Each such row is quarantined for one reason and written to its OPD's feedback
  workbook with its original cells.
- ``--people N``: the rows are paid to ``N`` persons (each row takes a person at random), so a
  person holds several programs and about 2 % of rows repeat a person's program
  (``duplikat``); a person in 5 or more programs is flagged for review.
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


#: The month's files are FILE_PREFIX01_2024-03.csv, FILE_PREFIX02_2024-03.csv, ...
FILE_PREFIX = "kmc_"
#: How ``--faulty`` rows go wrong, taken in turn (see the module's docstring).
FAULTS = ("nik_as_number", "nik_too_short", "kelurahan_elsewhere", "name_empty", "amount_as_word")


def plain_month(rows: int, seed: int, files: int, faulty: float = 0.0, people: int | None = None) -> list[pd.DataFrame]:
    """``files`` tables of ``rows`` beneficiary rows in all, in the 7 columns of the issue's workload.

    ``faulty`` and ``people``: see the module's docstring.
    """
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
    variants = np.random.default_rng(seed + 1)  # the base month's draws stay as they were
    if people:
        person = variants.integers(0, min(people, rows), rows)
        for column in ("NIK", "Nama", "Kelurahan", "Kecamatan"):
            table[column] = table[column].to_numpy()[person]
    if faulty:
        table = with_faults(table, variants, faulty)
    bounds = np.linspace(0, rows, files + 1).astype(int)
    return [table.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def with_faults(table: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """``table`` with ``share`` of its rows made faulty, the kinds of :data:`FAULTS` in turn."""
    table = table.astype({"Nominal": "str"})
    chosen = rng.permutation(len(table))[:round(share * len(table))]
    for position, fault in enumerate(FAULTS):
        rows = chosen[position::len(FAULTS)]
        if fault == "nik_as_number":
            table.loc[rows, "NIK"] = np.char.mod("%.5E", table["NIK"].to_numpy()[rows].astype("float64"))
        elif fault == "nik_too_short":
            table.loc[rows, "NIK"] = table["NIK"].iloc[rows].str[:15].to_numpy()
        elif fault == "kelurahan_elsewhere":
            table.loc[rows, "Kelurahan"] = "Way Halim"
        elif fault == "name_empty":
            table.loc[rows, "Nama"] = ""
        else:
            table.loc[rows, "Nominal"] = "nol"
    return table


def main(argv: list[str] | None = None) -> int:
    """Write the month under ``OUT_RAW_DIR/opd/2024-03/`` and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--faulty", type=float, default=0.0, help="share of faulty rows, e.g. 0.03 (default none)")
    parser.add_argument("--people", type=int, help="pay the rows to this many persons (default: one a row)")
    args = parser.parse_args(argv)
    if not 0 <= args.faulty <= 1:
        parser.error("--faulty is a share of the rows, from 0 to 1")
    if args.people is not None and args.people < 1:
        parser.error("--people is a number of persons, at least 1")
    if args.rows < 0 or args.files < 1:
        parser.error("--rows is 0 or more and --files 1 or more")
    folder = args.raw / "opd" / "2024-03"
    folder.mkdir(parents=True, exist_ok=True)
    for earlier in folder.glob(f"{FILE_PREFIX}*_2024-03.csv"):  # a month written before with more files
        earlier.unlink()
    for number, part in enumerate(plain_month(args.rows, args.seed, args.files, args.faulty, args.people), start=1):
        part.to_csv(folder / f"{FILE_PREFIX}{number:02d}_2024-03.csv", index=False)
    size = sum(p.stat().st_size for p in folder.glob("*.csv"))
    faulty = f" ({round(args.faulty * args.rows):,} faulty)" if args.faulty else ""
    print(f"{args.rows:,} rows{faulty} in {args.files} file(s), {size / 1e6:.1f} MB under {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
