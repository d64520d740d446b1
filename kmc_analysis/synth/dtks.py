"""The city's DTKS extract as SIKS-NG exports it, and the targeting figures the workbook must find with it.

DTKS (Data Terpadu Kesejahteraan Sosial) lists the poor households: here, the synthetic
city's poor households, whole families sharing a NOMOR KK. ``write_dtks`` writes them the
way SIKS-NG exports them: pipe-separated, 23 upper-case columns, names and places in
capitals (now and then in BPS one-word spellings such as IRINGMULYO), NIK as text. The
extract depends only on the city, never on the seed or the month, so one extract serves
every synthetic month of a raw dir: it is written when ``RAW/dtks/`` holds none yet.

``expected_targeting`` computes ``ketepatan_sasaran.csv`` (CONTRACT 3) from the synthetic
people directly: for the city, each kecamatan and each program for poor households
(``sasaran_miskin``), the month's recipients, those of them in DTKS, the DTKS persons of
the area and those of them reached; and for the city's DTKS households
(``kota_rumah_tangga``), how many there are and how many have a member reached.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.synth.names import draw_names
from kmc_analysis.synth.people import (CHILD, CITY_DATE, CITY_SEED, HEAD, OUTSIDE_REGIONS, PARENT, SPOUSE, STREETS,
                                       People)
from kmc_analysis.synth.rows import Rows
from kmc_analysis.synth.world import World

#: The folder of DTKS extracts in a raw dir (CONTRACT 2.4).
DTKS_FOLDER = "dtks"
#: The columns of a SIKS-NG DTKS export, in order.
DTKS_COLUMNS = (
    "IDDTKS", "PROVINSI", "KABUPATEN/KOTA", "KECAMATAN", "DESA/KELURAHAN", "ALAMAT", "DUSUN", "RT", "RW",
    "NOMOR KK", "NOMOR NIK", "NAMA", "TANGGAL LAHIR", "TEMPAT LAHIR", "JENIS KELAMIN", "PEKERJAAN",
    "NAMA IBU KANDUNG", "HUBUNGAN KELUARGA", "KETERANGAN PADAN", "BANSOS BPNT", "BANSOS PKH", "BANSOS BPNT PPKM",
    "PBI JKN",
)
TARGETING_COLUMNS = ["tingkat", "kode", "nama", "penerima_unik", "penerima_dtks", "persen_penerima_dtks",
                     "dtks_unik", "dtks_menerima", "persen_dtks_terjangkau"]
_PROVINCE, _CITY = "LAMPUNG", "KOTA METRO"
_WORK = ("BURUH HARIAN LEPAS", "PETANI/PEKEBUN", "PEDAGANG", "WIRASWASTA", "BURUH TANI/PERKEBUNAN",
         "KARYAWAN SWASTA", "TUKANG BATU", "SOPIR")
_RELATION = {HEAD: "KEPALA KELUARGA", CHILD: "ANAK", PARENT: "ORANG TUA"}


def dtks_file_name(period) -> str:
    """The extract's file name: ``dtks_YYYY-MM.csv`` (the month it was written for)."""
    return f"dtks_{period}.csv"


def has_dtks(raw_dir: Path) -> bool:
    """True when ``RAW/dtks/`` already holds an extract (.csv or .xlsx)."""
    folder = Path(raw_dir) / DTKS_FOLDER
    return folder.is_dir() and any(p.suffix.lower() in (".csv", ".xlsx") for p in folder.iterdir())


def write_dtks(raw_dir: Path, world: World, people: People) -> Path:
    """Write the poor households of the city as a SIKS-NG DTKS export under ``RAW/dtks/``."""
    folder = Path(raw_dir) / DTKS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([CITY_SEED, 99])
    members = np.flatnonzero(people.poor)
    members = members[np.lexsort((members, people.household[members], people.kel[members]))]
    n = len(members)
    kel = people.kel[members]
    household = people.household[members]
    new_house = np.r_[True, household[1:] != household[:-1]]
    house_no = np.cumsum(new_house) - 1
    first_in_kel = np.r_[True, kel[1:] != kel[:-1]]
    house_start = np.maximum.accumulate(np.where(first_in_kel, house_no, 0))
    serial = house_no - house_start + 1
    member_no = np.arange(n) - np.maximum.accumulate(np.where(new_house, np.arange(n), 0)) + 1
    plain = np.array([c.replace(".", "") for c in world.kel_code], dtype=object)
    n_house = int(house_no[-1]) + 1 if n else 0

    bps_spelling = (rng.random(n_house) < 0.35)[house_no]
    place = np.where(bps_spelling & (np.array(world.kel_one_word, dtype=object)[kel] != ""),
                     np.array(world.kel_one_word, dtype=object)[kel], world.kel_name[kel])
    role = people.role[members]
    female = people.female[members]
    age = people.age_on(CITY_DATE)[members]         # the extract is the same whatever the month
    mothers = _mothers(rng, people, members, household, role, female)
    relation = np.array([_RELATION.get(int(r), "") for r in role], dtype=object)
    relation[role == SPOUSE] = np.where(female[role == SPOUSE], "ISTRI", "SUAMI")
    region_names = {code: name.upper() for code, _, name in OUTSIDE_REGIONS}
    local_kab = {int(p) // 100 for p in world.kec_prefix}
    born_in = [("METRO" if int(r) in local_kab else region_names.get(int(r), "METRO"))
               for r in people.region[members]]
    work = np.array(_WORK, dtype=object)[rng.integers(len(_WORK), size=n)]
    work = np.where((role == SPOUSE) & female & (rng.random(n) < 0.7), "MENGURUS RUMAH TANGGA", work)
    work = np.where(age < 5, "BELUM/TIDAK BEKERJA", np.where(age <= 22, "PELAJAR/MAHASISWA", work))
    work = np.where(age >= 65, "BELUM/TIDAK BEKERJA", work)
    padan = np.where(rng.random(n) < 0.95, "PADAN DENGAN DUKCAPIL", "TIDAK PADAN")
    bansos = [np.where((rng.random(n_house) < share)[house_no], "YA", "TIDAK") for share in (0.45, 0.3, 0.15, 0.85)]
    birth = pd.Series(people.birth[members]).dt.strftime("%d-%m-%Y").to_numpy(dtype=object)

    table = {
        "IDDTKS": [f"{plain[k]}{s:05d}{m:02d}" for k, s, m in zip(kel.tolist(), serial.tolist(), member_no.tolist())],
        "PROVINSI": [_PROVINCE] * n, "KABUPATEN/KOTA": [_CITY] * n,
        "KECAMATAN": [str(k).upper() for k in world.kec_name[world.kel_kec[kel]]],
        "DESA/KELURAHAN": [str(p).upper() for p in place],
        "ALAMAT": [f"{STREETS[s]} NO. {h}".upper() for s, h in zip(people.street[members].tolist(),
                                                                    people.house[members].tolist())],
        "DUSUN": [""] * n,
        "RT": [f"{v:03d}" for v in people.rt[members].tolist()],
        "RW": [f"{v:03d}" for v in people.rw[members].tolist()],
        "NOMOR KK": people.no_kk[members].tolist(), "NOMOR NIK": people.nik[members].astype(str).tolist(),
        "NAMA": [str(v).upper() for v in people.name[members]], "TANGGAL LAHIR": birth.tolist(),
        "TEMPAT LAHIR": born_in, "JENIS KELAMIN": np.where(female, "PEREMPUAN", "LAKI-LAKI").tolist(),
        "PEKERJAAN": work.tolist(), "NAMA IBU KANDUNG": mothers, "HUBUNGAN KELUARGA": relation.tolist(),
        "KETERANGAN PADAN": padan.tolist(), "BANSOS BPNT": bansos[0].tolist(), "BANSOS PKH": bansos[1].tolist(),
        "BANSOS BPNT PPKM": bansos[2].tolist(), "PBI JKN": bansos[3].tolist(),
    }
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter="|", lineterminator="\r\n")
    writer.writerow(DTKS_COLUMNS)
    writer.writerows(zip(*(table[c] for c in DTKS_COLUMNS)))
    path = folder / dtks_file_name(world.period)
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def _mothers(rng, people: People, members, household, role, female) -> list[str]:
    """NAMA IBU KANDUNG: a child's mother in the household when there is one, else another woman's name."""
    others = draw_names(rng, np.ones(len(members), dtype=bool), np.full(len(members), 1950), np.full(len(members), 70))
    mothers = np.array([str(v).upper() for v in others], dtype=object)
    mother_of = {}
    for i, (h, r, f) in enumerate(zip(household.tolist(), role.tolist(), female.tolist())):
        if f and r in (HEAD, SPOUSE):
            mother_of.setdefault(h, str(people.name[members[i]]).upper())
    for i, (h, r) in enumerate(zip(household.tolist(), role.tolist())):
        if r == CHILD and h in mother_of:
            mothers[i] = mother_of[h]
    return mothers.tolist()


def expected_targeting(world: World, people: People, rows: Rows, accepted: np.ndarray) -> pd.DataFrame:
    """``ketepatan_sasaran.csv`` as it must come out: city, kecamatan, then poor-targeted programs."""
    programs = world.programs
    kec_of = world.kel_kec[people.kel]
    in_dtks = people.poor
    program = rows.program[accepted]
    poor_program = programs["poor_targeted"].to_numpy(dtype=bool)[program]
    paid = pd.DataFrame({"person": rows.person[accepted][poor_program], "program": program[poor_program]})
    recipients = np.unique(paid["person"].to_numpy())
    cities = {str(code).rsplit(".", 1)[0] for code in world.kec_code}
    city = cities.pop() if len(cities) == 1 else ""
    out = [_figures("kota", city, "", recipients, np.flatnonzero(in_dtks), in_dtks)]
    households = np.unique(people.household[in_dtks])
    reached = np.unique(people.household[recipients[in_dtks[recipients]]])
    out.append(["kota_rumah_tangga", city, "", pd.NA, pd.NA, np.nan, len(households), len(reached),
                100 * len(reached) / len(households) if len(households) else np.nan])
    for k, (code, name) in enumerate(zip(world.kec_code, world.kec_name)):
        out.append(_figures("kecamatan", str(code), str(name), recipients[kec_of[recipients] == k],
                            np.flatnonzero(in_dtks & (kec_of == k)), in_dtks))
    for p in np.flatnonzero(programs["poor_targeted"].to_numpy(dtype=bool)):
        mine = np.unique(paid.loc[paid["program"] == p, "person"].to_numpy())
        out.append(_figures("program", str(programs["kode_bantuan"].iloc[p]), str(programs["nama_bantuan"].iloc[p]),
                            mine, np.flatnonzero(in_dtks), in_dtks))
    counts = {c: "Int64" for c in ("penerima_unik", "penerima_dtks", "dtks_unik", "dtks_menerima")}
    return pd.DataFrame(out, columns=TARGETING_COLUMNS).astype({"tingkat": "str", "kode": "str", "nama": "str",
                                                                **counts})


def _figures(level: str, code: str, name: str, recipients: np.ndarray, dtks: np.ndarray, in_dtks: np.ndarray) -> list:
    """One row of figures: recipients, of them in DTKS, DTKS persons of the area, of them reached."""
    reached = int(in_dtks[recipients].sum())
    reached_here = int(np.isin(dtks, recipients).sum())
    return [level, code, name, len(recipients), reached, 100 * reached / len(recipients) if len(recipients) else np.nan,
            len(dtks), reached_here, 100 * reached_here / len(dtks) if len(dtks) else np.nan]
