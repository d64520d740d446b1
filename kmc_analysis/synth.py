"""Write a synthetic but realistic month of OPD submissions (BNBA files) for Kota Metro.

``synthesize`` draws a synthetic population of Kota Metro (structurally valid NIKs,
Javanese, Lampung and other Indonesian names, homes spread over the kelurahan in
proportion to ``penduduk``; the same city for every seed and month, so recipients
recur), pays them the bantuan of the catalogue and writes the lists
the way OPDs send them: workbooks with title rows, several sheets, an instructions sheet
and a JUMLAH row; CSV files comma or semicolon separated, UTF-8 with BOM or cp1252; every
header synonym and value form of CONTRACT 2.1 and 2.2. By default about 3% of the rows
carry the defects real submissions have, covering all eight quarantine reasons.

Alongside the files it returns ``truth``: for every data row written, where it is and the
reason codes the contract's row rules must give it. Truth is worked out here from what
was written, independently of ``quality.py`` (it is the oracle that module is tested
against), and is never written into the raw dir.

Row work is vectorised with numpy and pandas (Python loops run over sheets, distinct
values and the few defective rows only): a million rows take well under a minute. Above
``XLSX_MAX_ROWS`` rows only CSV files are written (openpyxl writes cells one by one).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import shutil
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

from kmc_analysis.errors import InputError
from kmc_analysis.periods import NAMA_BULAN, check_period

if TYPE_CHECKING:
    from kmc_analysis.reference import ReferenceData

#: Above this many rows only CSV files are written.
XLSX_MAX_ROWS = 50_000
#: Share of rows given a defect (duplicates included; JUMLAH rows come on top).
DEFECT_SHARE = 0.03
#: Share of people first registered (NIK prefix) outside the city.
OUTSIDE_SHARE = 0.08
#: The synthetic city is the same for every seed: its random stream, reference day and block size.
_CITY_SEED = 1872
_CITY_DATE = np.datetime64("2024-01-01")
_BLOCK = 20_000

#: Quarantine reason codes in contract order (CONTRACT 2.2). Kept here rather than
#: imported from quality.py on purpose: truth must not inherit that module's mistakes.
REASONS = (
    "nik_kosong", "nik_format", "nik_tanggal", "nama_kosong", "wilayah_tidak_dikenal",
    "program_tidak_dikenal", "nominal_tidak_valid", "duplikat",
)
_BIT = {reason: 1 << i for i, reason in enumerate(REASONS)}
#: The reasons a JUMLAH (totals) row gets: it has a label and a total, nothing else.
JUMLAH_REASONS = "nik_kosong;nama_kosong;wilayah_tidak_dikenal;program_tidak_dikenal"

#: Headers written for each column. Required columns use exactly the contract's
#: synonyms (CONTRACT 2.1), each of which appears in some sheet of a month.
HEADERS: dict[str, tuple[str, ...]] = {
    "no": ("No", "No."),
    "nik": ("NIK", "No NIK", "Nomor NIK", "No KTP", "NIK KTP", "Nomor Induk Kependudukan"),
    "no_kk": ("No KK", "No. KK"),
    "nama": ("Nama", "Nama Lengkap", "Nama Penerima"),
    "jenis_kelamin": ("Jenis Kelamin",),
    "tanggal_lahir": ("Tanggal Lahir",),
    "alamat": ("Alamat",),
    "rt": ("RT",),
    "rw": ("RW",),
    "kelurahan": ("Kelurahan", "Kel", "Desa/Kelurahan"),
    "kecamatan": ("Kecamatan", "Kec"),
    "kode_bantuan": ("Kode Bantuan", "Kode Program"),
    "nama_bantuan": ("Jenis Bantuan", "Nama Bantuan", "Program"),
    "nominal": ("Nominal", "Jumlah", "Nilai Bantuan", "Besaran", "Jumlah (Rp)"),
    "tanggal_salur": ("Tanggal Penyaluran", "Tgl Salur", "Tanggal"),
    "keterangan": ("Keterangan",),
}

# Value forms. Typed forms (a number or date cell) exist in xlsx only; in CSV they are
# written as their plain text equivalent.
NIK_FORMS = ("teks", "angka", "titik", "spasi", "strip", "apostrof")
NOMINAL_FORMS = ("angka", "digit", "rp_desimal", "rp_spasi", "rp_titik_strip", "koma_ribuan")
DATE_FORMS = ("tanggal_excel", "dd/mm/yyyy", "yyyy-mm-dd", "kata")
_NIK_WEIGHTS = (0.5, 0.25, 0.05, 0.05, 0.05, 0.1)
_NOMINAL_WEIGHTS = (0.35, 0.2, 0.15, 0.1, 0.1, 0.1)
_DATE_WEIGHTS = (0.45, 0.3, 0.1, 0.15)

_STR = "str"
_EPOCH = dt.date(1970, 1, 1)

# --- Names, places and numbers of a synthetic Kota Metro --------------------------------

# (first names, second names, share with a second name) per group, sex and era
# (era 0: born before 1985, 1: after). Metro was a Javanese colonisation settlement
# (1936), so Javanese names dominate; Lampung, Malay-Muslim, Sundanese, Balinese follow.
_NAMES: dict[str, dict[tuple[str, int], tuple[tuple[str, ...], tuple[str, ...], float]]] = {
    "jawa": {
        ("L", 0): (("Slamet", "Sugeng", "Suparman", "Sutrisno", "Suwarno", "Sukardi", "Sumarno", "Mujiono",
                    "Paijo", "Sarjono", "Tukiman", "Wagiman", "Ngadiman", "Parmin", "Suyono", "Karyono",
                    "Sudarmo", "Sukirno", "Tugiyo", "Marjuki", "Kasiman", "Sumadi", "Legiman", "Supardi",
                    "Darmaji", "Juwari", "Bambang", "Joko", "Heru", "Agus"),
                   ("Santoso", "Widodo", "Hartono", "Prayitno", "Purnomo", "Wiyono", "Raharjo", "Susilo",
                    "Utomo", "Sugiarto", "Suryadi", "Wibowo", "Setiawan", "Subagyo", "Riyadi"), 0.4),
        ("P", 0): (("Suparmi", "Sumarni", "Wartini", "Tumini", "Sulastri", "Suyati", "Partini", "Sukinem",
                    "Ngatini", "Tukiyem", "Painem", "Sarinah", "Sumiati", "Suwarni", "Rubiyem", "Legini",
                    "Katinem", "Mujiati", "Siti", "Sri", "Endang", "Sumini", "Marsini", "Darsih", "Warsini"),
                   ("Aminah", "Fatimah", "Rahayu", "Wahyuni", "Lestari", "Mulyani", "Handayani", "Astuti",
                    "Ningsih", "Suryani", "Rejeki"), 0.35),
        ("L", 1): (("Agus", "Budi", "Eko", "Dwi", "Wahyu", "Teguh", "Rizky", "Dimas", "Aditya", "Fajar",
                    "Bayu", "Arif", "Yoga", "Ilham", "Galih", "Bagus", "Rendi", "Angga", "Hendra", "Andika",
                    "Tri", "Danang", "Yusuf", "Rafi"),
                   ("Saputra", "Pratama", "Setiawan", "Kurniawan", "Nugroho", "Prasetyo", "Wijaya", "Hidayat",
                    "Ramadhan", "Febrianto", "Hermawan", "Susanto", "Gunawan", "Haryanto", "Santoso",
                    "Prabowo", "Wicaksono"), 0.85),
        ("P", 1): (("Dewi", "Rina", "Rini", "Putri", "Ayu", "Indah", "Fitri", "Wulan", "Dinda", "Intan", "Lia",
                    "Yuni", "Eka", "Tri", "Ratna", "Desi", "Novi", "Sri", "Dwi", "Nabila", "Anisa"),
                   ("Lestari", "Rahayu", "Wahyuni", "Handayani", "Kurniasih", "Anggraini", "Safitri",
                    "Puspitasari", "Wulandari", "Oktaviani", "Permatasari", "Maharani", "Susanti",
                    "Rahmawati", "Fitriani", "Utami", "Pertiwi"), 0.85),
    },
    "lampung": {
        ("L", 0): (("Rusli", "Syahrial", "Zainal", "Hasan", "Azhari", "Herman", "Syamsul", "Zulkarnain",
                    "Ansori", "Hasanuddin", "Ismail", "Darwis", "Ridwan", "Husin", "Rozali", "Amiruddin",
                    "Effendi", "Rifa'i", "Ma'ruf", "Syahbudin"),
                   ("Abidin", "Basri", "Bahri", "Hamid", "Yusuf", "Saleh", "Arsyad", "Hakim", "Ibrahim",
                    "Syarif", "Gelar Pangeran", "Gelar Minak"), 0.5),
        ("P", 0): (("Nurhayati", "Rosmiati", "Herawati", "Yusnani", "Maryati", "Rosidah", "Nurlela",
                    "Zubaidah", "Halimah", "Rohana", "Ernawati", "Yusmaniar", "Hayati", "Kholidah", "Ratu"),
                   ("Zahra", "Aini", "Nur'aini", "Hasanah", "Ratna Sari"), 0.2),
        ("L", 1): (("M.", "Muhammad", "Ahmad", "Rahmat", "Fikri", "Farhan", "Reza", "Rizal", "Fauzan",
                    "Hafiz", "Alif", "Zaki", "Rasyid"),
                   ("Firmansyah", "Syahputra", "Maulana", "Hakim", "Fauzi", "Rizki", "Akbar", "Ramadhan",
                    "Alamsyah", "Saputra", "Hidayatullah"), 0.9),
        ("P", 1): (("Nur", "Siti", "Aulia", "Salsabila", "Zahra", "Nadia", "Annisa", "Fadhila", "Khairunnisa",
                    "Syifa", "Mutiara"),
                   ("Azzahra", "Ramadhani", "Rahmadani", "Khoirunnisa", "Aprilia", "Hasanah", "Fitriani",
                    "Maharani"), 0.85),
    },
    "sunda": {
        ("L", 0): (("Asep", "Ujang", "Dede", "Cecep", "Dadang", "Engkos"), ("Sunarya", "Hidayat", "Permana",
                                                                             "Suryana", "Kurnia"), 0.7),
        ("P", 0): (("Euis", "Neneng", "Iis", "Entin", "Imas", "Cucu"), ("Komalasari", "Rohaeti", "Kurniasih"), 0.5),
        ("L", 1): (("Asep", "Dede", "Rizal", "Yudi", "Gilang"), ("Permana", "Ramdani", "Nugraha", "Gumilar"), 0.9),
        ("P", 1): (("Neng", "Rika", "Sinta", "Desi"), ("Nurjanah", "Rosdiana", "Sundari", "Komalasari"), 0.9),
    },
    "bali": {
        ("L", 0): (("I Wayan", "I Made", "I Ketut", "I Nyoman"), ("Sudarma", "Suparta", "Sukadana", "Artawan"), 1.0),
        ("P", 0): (("Ni Wayan", "Ni Made", "Ni Ketut", "Ni Nyoman"), ("Sumerti", "Suartini", "Ariani"), 1.0),
        ("L", 1): (("I Putu", "I Kadek", "I Komang", "I Gede"), ("Wirawan", "Adi Putra", "Suarjana"), 1.0),
        ("P", 1): (("Ni Putu", "Ni Kadek", "Ni Komang", "Ni Luh"), ("Ayu Lestari", "Dewi", "Sri Wahyuni"), 1.0),
    },
}
_NAME_GROUP_SHARE = {"jawa": 0.68, "lampung": 0.22, "sunda": 0.06, "bali": 0.04}

#: Streets of Kota Metro and common alleys.
_STREETS = (
    "Jl. Jend. Sudirman", "Jl. A.H. Nasution", "Jl. Ki Hajar Dewantara", "Jl. Brigjen Sutiyoso",
    "Jl. Imam Bonjol", "Jl. Ahmad Yani", "Jl. Soekarno-Hatta", "Jl. Pattimura", "Jl. Hasanudin",
    "Jl. Diponegoro", "Jl. Kartini", "Jl. Raya Stadion", "Jl. Veteran", "Jl. Sumbawa", "Jl. Bali",
    "Jl. Pramuka", "Jl. Budi Utomo", "Jl. Ki Arsyad", "Jl. Dr. Sutomo", "Jl. Wolter Monginsidi",
    "Jl. Kenanga", "Jl. Mawar", "Jl. Melati", "Jl. Cempaka", "Jl. Anggrek", "Jl. Flamboyan",
    "Jl. Sriwijaya", "Jl. Jambu", "Jl. Manggis", "Jl. Durian", "Gg. Masjid", "Gg. Mushola",
    "Gg. Kenari", "Gg. Sawo", "Gg. Pepaya", "Jl. Kemiri", "Jl. Merbabu", "Jl. Semeru",
)

#: Kab/kota codes (NIK digits 1-4) where people now in Metro were first registered,
#: with weights: neighbouring Lampung kabupaten first, then the Javanese home regions
#: of the colonisation settlers (Bantul, Gunungkidul, Kebumen ...).
_OUTSIDE_REGIONS = (
    (1802, 12), (1807, 12), (1871, 8), (1801, 4), (1803, 3), (1804, 2), (1805, 2), (1806, 2),
    (1808, 2), (1809, 2), (1810, 2), (1811, 1), (1812, 1), (1813, 1),
    (3402, 6), (3403, 4), (3305, 3), (3306, 3), (3309, 2), (3311, 2), (3312, 3), (3313, 2),
    (3504, 2), (3507, 2), (3201, 2), (3204, 1), (3171, 1), (3174, 1),
)

#: Places near Metro that are not Metro kelurahan / kecamatan (for wilayah_tidak_dikenal).
_FOREIGN_KELURAHAN = ("Bandar Jaya", "Kotagajah", "Pekalongan", "Rajabasa", "Way Halim", "Trimurjo",
                      "Punggur", "Gunung Sugih", "Tanjung Karang", "Sukarame", "Labuhan Ratu")
_FOREIGN_KECAMATAN = ("Metro Kibang", "Batanghari", "Pekalongan", "Trimurjo", "Punggur", "Sekampung")
_FOREIGN_CODES = ("KMC-999", "KMC-0000", "BANSOS-01", "PKH-2024", "KMC-X12")
_FOREIGN_PROGRAMS = ("Bantuan Langsung Tunai Dana Desa", "Paket Sembako Ramadhan", "Bantuan Pangan Non Tunai",
                     "Santunan Hari Raya", "Bantuan Kuota Internet Pelajar")
_BAD_NOMINAL_TEXT = ("belum cair", "menunggu SK", "nihil", "-", "susulan")

#: Keys near each letter on a keyboard, plus vowel swaps: the typing errors people make.
_NEAR_KEYS = {
    "a": "seqi", "b": "vn", "c": "xv", "d": "sf", "e": "wria", "f": "dg", "g": "fh", "h": "gj", "i": "uoe",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ipu", "p": "o", "q": "w", "r": "et", "s": "ad",
    "t": "ry", "u": "yio", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}

#: Short names OPDs use for themselves in file names.
_OPD_SHORT = {
    "dinas pendidikan dan kebudayaan": "Disdikbud",
    "dinas sosial": "Dinsos",
    "dinas kesehatan": "Dinkes",
    "dinas pemberdayaan perempuan, perlindungan anak, pengendalian penduduk dan keluarga berencana": "DP3AP2KB",
    "satuan polisi pamong praja": "Satpol PP",
    "bagian kesejahteraan rakyat": "Bag Kesra",
    "dinas koperasi, umkm dan perindustrian": "Diskopukmperin",
    "dinas perumahan dan kawasan permukiman": "Disperkim",
    "dinas ketahanan pangan, pertanian dan perikanan": "DKP3",
    "dinas tenaga kerja": "Disnaker",
    "dinas kepemudaan dan olahraga": "Dispora",
    "dinas komunikasi dan informatika": "Diskominfo",
}

_PETUNJUK = (
    "PETUNJUK PENGISIAN DATA PENERIMA KARTU METRO CERIA (KMC)",
    "",
    "1. Isi satu baris untuk setiap penerima (by name by address).",
    "2. NIK diisi 16 digit sesuai KTP/KK. Format sel sebagai Teks agar angka tidak berubah menjadi 1,87201E+15.",
    "3. Nominal diisi dalam Rupiah tanpa titik desimal, misalnya 1500000.",
    "4. Tanggal penyaluran diisi dengan format DD/MM/YYYY.",
    "5. Kelurahan dan kecamatan ditulis sesuai nama resmi di Kota Metro.",
    "6. Kirim file ke Dinas Kominfo paling lambat tanggal 5 bulan berikutnya.",
)


@dataclass(frozen=True)
class SynthResult:
    """What ``synthesize`` wrote: the files, the number of data rows and the expected verdicts.

    ``truth`` has one row per data row written (JUMLAH rows included, blank rows not):
    ``sumber_file`` (file name), ``sumber_sheet`` (sheet name; for a CSV the file name
    without extension), ``sumber_baris`` (the row number a person sees in Excel, or the
    1-based line number in the CSV, title and header lines counted) and ``alasan`` (the
    ``;``-separated reason codes in contract order, ``""`` for a row to be accepted),
    in contract order: file name, sheet order, row.
    """

    files: list[Path]
    rows_written: int
    truth: pd.DataFrame


# --- The world: reference tables turned into arrays -------------------------------------

def _key(text: str) -> str:
    """Letters and digits of a place name in lower case (spacing and punctuation ignored)."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _far(candidate: str, others: list[str], minimum: int) -> bool:
    """True if ``candidate`` is at least ``minimum`` edits (Levenshtein and OSA) from all ``others``."""
    return all(Levenshtein.distance(candidate, o) >= minimum and OSA.distance(candidate, o) >= minimum
               for o in others)


@dataclass
class _World:
    """The reference tables as arrays, with the spellings synthesis draws from."""

    year: int
    month: int
    kel_name: np.ndarray          # canonical kelurahan names
    kel_kec: np.ndarray           # kecamatan index of each kelurahan
    kel_weight: np.ndarray        # population share
    population: int               # residents of the city (penduduk, latest year)
    kel_spellings: list[list[str]]  # ejaan_lain per kelurahan
    kel_typos: list[list[str]]      # one-letter typos safe to accept
    kec_name: np.ndarray
    kec_prefix: np.ndarray        # NIK digits 1-6 of each kecamatan
    foreign_kel: list[str]
    foreign_kec: list[str]
    programs: pd.DataFrame        # catalogue plus age range, home kecamatan, nominal
    opds: list[str]
    foreign_codes: list[str]
    foreign_programs: list[str]

    @classmethod
    def build(cls, reference: ReferenceData, period: str) -> _World:
        """Turn the reference tables into the arrays synthesis needs."""
        year, month = (int(p) for p in period.split("-"))
        wilayah = reference.wilayah.reset_index(drop=True)
        kec_codes = list(dict.fromkeys(wilayah["kode_kecamatan"]))
        kec_name = np.array([wilayah.loc[wilayah["kode_kecamatan"] == c, "kecamatan"].iloc[0] for c in kec_codes],
                            dtype=object)
        kec_prefix = np.array([int(re.sub(r"\D", "", c)[:6].ljust(6, "0")) for c in kec_codes], dtype=np.int64)
        kel_kec = wilayah["kode_kecamatan"].map({c: i for i, c in enumerate(kec_codes)}).to_numpy(np.int64)

        penduduk = reference.penduduk
        years = penduduk["tahun"][penduduk["tahun"] <= year]
        latest = penduduk[penduduk["tahun"] == (years.max() if len(years) else penduduk["tahun"].min())]
        weight = wilayah["kode_kelurahan"].map(latest.groupby("kode_kelurahan")["penduduk"].sum()).astype("float64")
        weight = weight.fillna(weight.mean() if weight.notna().any() else 1.0).clip(lower=1).to_numpy()

        ejaan = wilayah["ejaan_lain"] if "ejaan_lain" in wilayah else pd.Series("", index=wilayah.index)
        spellings = [[s.strip() for s in str(e).split(";") if s.strip()] for e in ejaan.fillna("")]
        names = wilayah["kelurahan"].tolist()
        keys = [[_key(n)] + [_key(s) for s in sp] for n, sp in zip(names, spellings)]
        typos = [_safe_typos(name, i, keys) for i, name in enumerate(names)]
        all_kel = [k for ks in keys for k in ks]
        kec_keys = [_key(k) for k in kec_name]
        foreign_kel = [n for n in _FOREIGN_KELURAHAN if _far(_key(n), all_kel, 3)]
        foreign_kec = [n for n in _FOREIGN_KECAMATAN if _far(_key(n), kec_keys + all_kel, 3)]

        programs = reference.program_bantuan.reset_index(drop=True).copy()
        opds = list(dict.fromkeys(programs["opd"]))
        target = programs["target_penerima"].astype("Float64")
        programs["weight"] = target.fillna(target.median() if target.notna().any() else 100).clip(lower=1) \
            .fillna(100).astype("float64")
        programs["nominal"] = _standard_nominal(programs)
        ages = [_age_range(str(n), str(k)) for n, k in zip(programs["nama_bantuan"], programs["kategori"])]
        programs["age_lo"] = [a[0] for a in ages]
        programs["age_hi"] = [a[1] for a in ages]
        programs["home_kec"] = [_home_kecamatan(opd, kec_name) for opd in programs["opd"]]
        programs["female_only"] = programs["nama_bantuan"].str.lower().str.contains(
            r"ibu hamil|perempuan kepala keluarga|korban kekerasan perempuan", regex=True).fillna(False)
        programs["once"] = programs.get("satuan", pd.Series("", index=programs.index)).fillna("").eq("sekali")
        code_keys = {str(c).strip().upper() for c in programs["kode_bantuan"]}
        name_keys = {re.sub(r"\s+", "", str(n).lower()) for n in programs["nama_bantuan"]}
        return cls(
            year=year, month=month, kel_name=np.array(names, dtype=object), kel_kec=kel_kec,
            kel_weight=weight / weight.sum(), population=int(weight.sum()), kel_spellings=spellings, kel_typos=typos,
            kec_name=kec_name, kec_prefix=kec_prefix, foreign_kel=foreign_kel, foreign_kec=foreign_kec,
            programs=programs, opds=opds,
            foreign_codes=[c for c in _FOREIGN_CODES if c.upper() not in code_keys],
            foreign_programs=[n for n in _FOREIGN_PROGRAMS if re.sub(r"\s+", "", n.lower()) not in name_keys],
        )


def _safe_typos(name: str, own: int, keys: list[list[str]]) -> list[str]:
    """One-letter substitutions of ``name`` that a matcher must accept unambiguously.

    Only names of 6+ letters get typos (CONTRACT 2.2). A typo is kept when it is one
    edit from the name and at least two edits (Levenshtein and OSA, with and without
    spaces) from every spelling of every other kelurahan, and does not start like a
    ``Kel.`` / ``Kec.`` / ``Desa`` prefix.
    """
    if len(_key(name)) < 6:
        return []
    others = [k for i, ks in enumerate(keys) if i != own for k in ks]
    own_keys = set(keys[own])
    found = []
    for pos in range(1, len(name)):
        letter = name[pos]
        if not letter.isalpha():
            continue
        for near in _NEAR_KEYS.get(letter.lower(), ""):
            typo = name[:pos] + (near.upper() if letter.isupper() else near) + name[pos + 1:]
            key = _key(typo)
            if key in own_keys or key.startswith(("kel", "kec", "desa")):
                continue
            if Levenshtein.distance(key, _key(name)) == 1 and _far(key, others, 2):
                found.append(typo)
    return sorted(set(found))


def _standard_nominal(programs: pd.DataFrame) -> np.ndarray:
    """The catalogue's nominal_standar, else a twelfth of the budget per target recipient, to Rp50.000."""
    standard = programs.get("nominal_standar", pd.Series(pd.NA, index=programs.index)).astype("Float64")
    per_head = (programs["anggaran"].astype("Float64") / programs["target_penerima"].astype("Float64")
                .where(lambda t: t > 0)) / 12
    per_head = (per_head / 50_000).round().clip(lower=1) * 50_000
    return standard.where(standard > 0).fillna(per_head).fillna(300_000).astype("int64").to_numpy()


def _age_range(name: str, kategori: str) -> tuple[int, int]:
    """Plausible ages of the recipients of a program, from its kategori and words in its name."""
    text = f" {name} ".lower()
    if kategori.lower() in ("insentif", "honor") or re.search(
            r"\b(usaha|umkm|petani|pembudidaya|kepala keluarga|pelaku)\b", text):
        return 21, 65
    if "mahasiswa" in text:
        return 18, 24
    if re.search(r"\bsmp\b", text):
        return 12, 15
    if re.search(r"\bsd\b", text):
        return 6, 12
    if re.search(r"beasiswa|siswa|sekolah|seragam|tahfiz|yatim|\banak\b", text):
        return 6, 18
    if "lansia" in text:
        return 60, 90
    if "balita" in text:
        return 0, 4
    if "ibu hamil" in text:
        return 18, 40
    return 18, 80


def _home_kecamatan(opd: str, kec_name: np.ndarray) -> int:
    """Index of the kecamatan an OPD serves when it is a kecamatan office, else -1."""
    text = _key(str(opd))
    for i, name in enumerate(kec_name):
        if _key(name) in text:
            return i
    return -1


def _opd_short(opd: str) -> str:
    """The short name an OPD uses for itself in file names."""
    text = str(opd).strip()
    if text.lower() in _OPD_SHORT:
        return _OPD_SHORT[text.lower()]
    if text.lower().startswith("kecamatan "):
        return "Kec " + text[len("kecamatan "):]
    if len(text) <= 14:
        return text
    words = [w for w in re.split(r"[\s,]+", text) if w and w.lower() not in ("dan", "kota", "metro")]
    return "".join(w[0].upper() for w in words)


# --- Plan: who submits, which files and sheets ------------------------------------------

@dataclass
class _Sheet:
    """One sheet of a workbook (or the single table of a CSV file)."""

    file: int
    name: str
    kind: str = "data"                 # data | petunjuk | kosong
    columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    order: int = 0                     # position in the workbook
    jumlah: bool = False
    sorted_by_place: bool = False
    style: dict = field(default_factory=dict)


@dataclass
class _File:
    """One submission file."""

    name: str
    kind: str                          # xlsx | csv
    opd: str
    file_id: int = 0
    sep: str = ","
    encoding: str = "utf-8-sig"
    sheets: list[int] = field(default_factory=list)


class _RoundRobin:
    """Hands out the items of each list in turn, from a random start, so all of them get used."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.next: dict[str, int] = {}

    def take(self, name: str, items, start: int | None = None) -> object:
        """The next item of ``items`` for ``name`` (the first one at ``start``, else at random)."""
        if name not in self.next:
            self.next[name] = int(self.rng.integers(len(items))) if start is None else start
        value = items[self.next[name] % len(items)]
        self.next[name] += 1
        return value


@dataclass
class _Plan:
    """Files, sheets and how many rows each program gets."""

    files: list[_File]
    sheets: list[_Sheet]
    counts: np.ndarray                 # rows per program (base rows)
    main_sheet: np.ndarray             # sheet of each program (-1 when not submitted)
    revisi_sheet: np.ndarray           # sheet of each program in the revisi file (-1: none)
    revisi_opd: str | None


def _plan(world: _World, rng: np.random.Generator, n_base: int, clean: bool, csv_only: bool,
          want_revisi: bool) -> _Plan:
    """Decide who submits this month, how many rows each program gets, and the files and sheets."""
    programs = world.programs
    n_prog = len(programs)
    opd_of = programs["opd"].to_numpy(dtype=object)

    submits = {opd: rng.random() < 0.85 for opd in world.opds}
    if len(world.opds) >= 3:
        submits[world.opds[int(rng.integers(len(world.opds)))]] = False
    if not any(submits.values()):
        submits[world.opds[0]] = True
    active = np.array([submits[o] for o in opd_of]) & (rng.random(n_prog) < 0.92)
    for opd in world.opds:   # a submitting OPD sends at least one program
        mine = np.flatnonzero(opd_of == opd)
        if submits[opd] and not active[mine].any():
            active[mine[int(rng.integers(len(mine)))]] = True
    weight = np.where(active, programs["weight"].to_numpy(), 0.0)
    counts = rng.multinomial(n_base, weight / weight.sum())

    files: list[_File] = []
    sheets: list[_Sheet] = []
    main_sheet = np.full(n_prog, -1)
    revisi_sheet = np.full(n_prog, -1)
    rr = _RoundRobin(rng)
    period_bits = {"bulan": NAMA_BULAN[world.month - 1], "y": str(world.year), "mm": f"{world.month:02d}"}

    opd_rows = {opd: int(counts[opd_of == opd].sum()) for opd in world.opds}
    senders = [opd for opd in world.opds if opd_rows[opd] > 0]
    order = [senders[i] for i in rng.permutation(len(senders))]
    revisi_opd = None
    if want_revisi:
        big = [opd for opd in order if opd_rows[opd] >= 20]
        revisi_opd = big[0] if big else None

    for n, opd in enumerate(order):
        first_file = len(files)
        progs = [p for p in np.flatnonzero(opd_of == opd) if counts[p] > 0]
        kind = "csv" if csv_only else ("xlsx" if n % 5 in (0, 2, 3) else "csv")
        short = _opd_short(opd)
        if kind == "xlsx":
            f = _new_file(files, _xlsx_name(rng, short, programs, progs, period_bits), "xlsx", opd)
            per_program = len(progs) > 1 and len(progs) <= 12 and rng.random() < 0.75
            petunjuk = rng.random()      # an instructions sheet first (30%), last (25%) or none
            if petunjuk < 0.3:
                _add_sheet(sheets, f, _Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
            groups = [[p] for p in progs] if per_program else [progs]
            for group in groups:
                name = _program_sheet_name(rng, programs, group[0]) if per_program else \
                    str(rng.choice(["BNBA", "Data Penerima", "Sheet1", "REKAP PENERIMA", "DATA"]))
                s = _data_sheet(rng, rr, world, f, name, opd, group, clean, period_bits)
                _add_sheet(sheets, f, s)
                main_sheet[group] = len(sheets) - 1
            if 0.3 <= petunjuk < 0.55:
                _add_sheet(sheets, f, _Sheet(f.file_id, "Petunjuk", kind="petunjuk"))
            if not clean and rng.random() < 0.3:
                _add_sheet(sheets, f, _Sheet(f.file_id, str(rng.choice(["Sheet2", "Sheet3"])), kind="kosong"))
        else:
            per_program_files = len(progs) > 1 and rng.random() < 0.35
            groups = [[p] for p in progs] if per_program_files else [progs]
            for group in groups:
                f = _new_file(files, _csv_name(rng, short, programs, group if per_program_files else progs,
                                               period_bits, per_program_files), "csv", opd)
                f.sep = rr.take("sep", (";", ","))
                f.encoding = rr.take("encoding", ("utf-8-sig", "cp1252", "utf-8", "utf-8-sig"), start=0)
                s = _data_sheet(rng, rr, world, f, Path(f.name).stem, opd, group, clean, period_bits)
                if f.encoding == "cp1252" and not s.titles:
                    s.titles = _titles(rng, world, opd, group, programs, period_bits, force=True)
                _add_sheet(sheets, f, s)
                main_sheet[group] = len(sheets) - 1
        if opd == revisi_opd:
            # named after the OPD's last file in sort order, so that it sorts after all of them
            last = max(files[first_file:], key=lambda x: x.name)
            stem, ext = last.name.rsplit(".", 1)
            rf = _new_file(files, f"{stem}_revisi.{ext}", last.kind, opd)
            rf.sep, rf.encoding = last.sep, last.encoding
            sheet_name = "Susulan" if rf.kind == "xlsx" else Path(rf.name).stem
            s = _data_sheet(rng, rr, world, rf, sheet_name, opd, progs, clean, period_bits)
            _add_sheet(sheets, rf, s)
            revisi_sheet[progs] = len(sheets) - 1
    return _Plan(files, sheets, counts, main_sheet, revisi_sheet, revisi_opd)


def _new_file(files: list[_File], name: str, kind: str, opd: str) -> _File:
    taken = {f.name.lower() for f in files}
    stem, ext = name.rsplit(".", 1)
    n = 2
    while name.lower() in taken:
        name, n = f"{stem} ({n}).{ext}", n + 1
    f = _File(name, kind, opd, file_id=len(files))
    files.append(f)
    return f


def _add_sheet(sheets: list[_Sheet], f: _File, sheet: _Sheet) -> None:
    taken = {sheets[i].name.lower() for i in f.sheets}
    base, n = sheet.name, 2
    while sheet.name.lower() in taken:
        suffix = f" ({n})"
        sheet.name, n = base[:31 - len(suffix)] + suffix, n + 1
    sheet.order = len(f.sheets)
    f.sheets.append(len(sheets))
    sheets.append(sheet)


def _slug(programs: pd.DataFrame, progs: list[int]) -> str:
    """Program words for a file name: ``Beasiswa`` for a group, ``Insentif_Anggota_Linmas`` for one."""
    words = [re.sub(r"[^0-9A-Za-z]", "", w) for w in str(programs["nama_bantuan"].iloc[progs[0]]).split()]
    words = [w for w in words if w]
    firsts = {str(programs["nama_bantuan"].iloc[p]).split()[0] for p in progs}
    if len(progs) > 1:
        return firsts.pop() if len(firsts) == 1 else "BNBA_KMC"
    return "_".join(words[:3])


def _xlsx_name(rng, short: str, programs, progs, bits) -> str:
    u = short.replace(" ", "_")
    patterns = (
        f"{u}_{_slug(programs, progs)}_{bits['bulan']}_{bits['y']}.xlsx",
        f"BNBA {short} {bits['bulan']} {bits['y']}.xlsx",
        f"Data Penerima KMC {short} {bits['bulan']} {bits['y']}.xlsx",
        f"{bits['y']}{bits['mm']} {short} - Penerima KMC.xlsx",
        f"{u}_KMC_{bits['y']}-{bits['mm']}.xlsx",
    )
    return str(patterns[int(rng.integers(len(patterns)))])


def _csv_name(rng, short: str, programs, progs, bits, per_program: bool) -> str:
    u = short.replace(" ", "_")
    if per_program:
        return f"{u}_{_slug(programs, progs)}_{bits['y']}-{bits['mm']}.csv"
    patterns = (
        f"BNBA {short} {bits['y']}-{bits['mm']}.csv",
        f"export_kmc_{u.lower()}_{bits['y']}{bits['mm']}.csv",
        f"{short} KMC {bits['bulan']} {bits['y']}.csv",
        f"{u}_{_slug(programs, progs)}_{bits['y']}-{bits['mm']}.csv",
    )
    return str(patterns[int(rng.integers(len(patterns)))])


def _program_sheet_name(rng, programs: pd.DataFrame, p: int) -> str:
    """A sheet name for one program: its code, or its name cut to Excel's 31 characters."""
    if rng.random() < 0.3:
        name = str(programs["kode_bantuan"].iloc[p])
    else:
        name = str(programs["nama_bantuan"].iloc[p])
        name = re.sub(r"^(Insentif|Bantuan Sosial|Bantuan|Honor)\s+", "", name)
    name = re.sub(r"[\[\]:*?/\\]", "-", name).strip()
    return name[:31].strip() or "Data"


def _titles(rng, world: _World, opd: str, progs, programs, bits, force: bool = False) -> list[str]:
    """Title lines above the header: none, or 2 to 5 (the header lands on row 1, 3, 4, 5 or 6)."""
    choice = int(rng.integers(3, 5)) if force else int(rng.integers(0, 5))
    if choice == 0:
        return []
    t1 = "DAFTAR PENERIMA BANTUAN KARTU METRO CERIA (KMC)"
    t2 = f"{str(opd).upper()} KOTA METRO" if not str(opd).lower().startswith("kecamatan") else str(opd).upper()
    t3 = f"Periode: 1 – {_last_day(world.year, world.month)} {bits['bulan']} {bits['y']}"
    t4 = (f"Program: {programs['nama_bantuan'].iloc[progs[0]]}" if len(progs) == 1
          else f"Tahun Anggaran {bits['y']}")
    return {1: [t1, t2], 2: [t1, t2, ""], 3: [t1, t2, t3, ""], 4: [t1, t2, t3, t4, ""]}[choice]


def _last_day(year: int, month: int) -> int:
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day


def _data_sheet(rng, rr: _RoundRobin, world: _World, f: _File, name: str, opd: str, progs, clean: bool,
                bits) -> _Sheet:
    """A data sheet: its columns, headers, title rows and dominant value forms."""
    programs = world.programs
    cols = ["no"] if rng.random() < 0.8 else []
    ident = ["nik", "nama"] if rng.random() < 0.7 else ["nama", "nik"]
    if rng.random() < 0.3:
        ident.insert(ident.index("nik") + 1, "no_kk")
    cols += ident
    for key, p in (("jenis_kelamin", 0.5), ("tanggal_lahir", 0.4), ("alamat", 0.6)):
        if rng.random() < p:
            cols.append(key)
    if "alamat" in cols and rng.random() < 0.6:
        cols += ["rt", "rw"]
    home = {int(programs["home_kec"].iloc[p]) for p in progs}
    r = rng.random()
    place = ["kelurahan", "kecamatan"] if r < 0.72 else (["kelurahan"] if r < 0.9 or home == {-1}
                                                          else ["kecamatan"])
    if home != {-1} and place == ["kelurahan"] and rng.random() < 0.5:
        place = ["kecamatan"]
    cols += place
    r = rng.random()
    cols += ["kode_bantuan", "nama_bantuan"] if r < 0.4 else (["kode_bantuan"] if r < 0.7 else ["nama_bantuan"])
    cols.append("nominal")
    if rng.random() < 0.7:
        cols.append("tanggal_salur")
    if rng.random() < 0.3:
        cols.append("keterangan")

    style = int(rng.choice(4, p=[0.6, 0.25, 0.1, 0.05]))
    headers = [_header_style(str(rr.take(c, HEADERS[c])), style) for c in cols]
    xlsx = f.kind == "xlsx"
    sheet = _Sheet(f.file_id, name, columns=cols, headers=headers,
                   titles=_titles(rng, world, opd, progs, programs, bits) if (xlsx or rng.random() < 0.5) else [])
    sheet.jumlah = xlsx and not clean and cols[0] == "no" and rng.random() < 0.6
    sheet.sorted_by_place = rng.random() < 0.4
    sheet.style = {
        "nik": int(rng.choice(len(NIK_FORMS), p=_NIK_WEIGHTS)),
        "nominal": int(rng.choice(len(NOMINAL_FORMS), p=_NOMINAL_WEIGHTS)),
        "tanggal_salur": int(rng.choice(len(DATE_FORMS), p=_DATE_WEIGHTS)),
        "tanggal_lahir": int(rng.choice(len(DATE_FORMS), p=_DATE_WEIGHTS)),
        "case": int(rng.choice(3, p=[0.6, 0.3, 0.1])),      # place names: as written, UPPER, lower
        "upper_names": bool(rng.random() < 0.4),
        "jk": int(rng.integers(3)),
        "rt": int(rng.integers(3)),
    }
    return sheet


def _header_style(text: str, style: int) -> str:
    """Write a header as OPDs do: as is, in capitals, with abbreviation dots, or database style."""
    if style == 1:
        return text.upper()
    if style == 2:
        return re.sub(r"\b(No|Tgl|Kel|Kec)\b(?!\.)", r"\1.", text)
    if style == 3:
        return re.sub(r"\s+", "_", text.upper())
    return text


# --- Drawing people and payments ---------------------------------------------------------

@dataclass
class _People:
    """The synthetic population: one entry per person."""

    nik: np.ndarray
    female: np.ndarray
    birth: np.ndarray       # datetime64[D]
    kel: np.ndarray
    name: np.ndarray        # object array of str
    no_kk: np.ndarray       # object array of str
    street: np.ndarray
    house: np.ndarray
    rt: np.ndarray
    rw: np.ndarray
    key: np.ndarray         # a random uint64 per person: their place on every program's roster

    def age_at(self, day: np.datetime64) -> np.ndarray:
        """Age in whole years on ``day`` (negative for people not yet born)."""
        return np.floor((day - self.birth).astype(np.int64) / 365.25).astype(np.int64)


def _people(world: _World, size: int) -> _People:
    """The city's first ``size`` residents, with unique, structurally valid NIKs.

    The population does not depend on the seed or the period: every month of every seed
    is paid out to the same synthetic city, so recipients recur from month to month as
    they do in real data. It is built in blocks with their own random streams, so a
    larger population extends a smaller one instead of replacing it.
    """
    blocks = [_people_block(world, b) for b in range(-(-size // _BLOCK))]
    nik = np.concatenate([b["nik"] for b in blocks])
    for attempt in itertools.count():   # unique NIKs: the first occurrence keeps its serial, later ones redraw
        _, first = np.unique(nik, return_index=True)
        repeat = np.ones(len(nik), dtype=bool)
        repeat[first] = False
        if not repeat.any():
            break
        for b in np.unique(np.flatnonzero(repeat) // _BLOCK).tolist():
            idx = b * _BLOCK + np.flatnonzero(repeat[b * _BLOCK:(b + 1) * _BLOCK])
            rng = np.random.default_rng([_CITY_SEED, b, 1, attempt])
            nik[idx] = nik[idx] - nik[idx] % 10_000 + rng.integers(1, 10_000, len(idx))
    fields = {k: np.concatenate([b[k] for b in blocks])[:size] for k in blocks[0] if k != "nik"}
    return _People(nik=nik[:size], **fields)


def _people_block(world: _World, block: int) -> dict[str, np.ndarray]:
    """One block of ``_BLOCK`` residents drawn from the block's own random stream."""
    rng = np.random.default_rng([_CITY_SEED, block])
    size = _BLOCK
    kel = rng.choice(len(world.kel_name), size=size, p=world.kel_weight)
    kec = world.kel_kec[kel]
    female = rng.random(size) < 0.5
    age_weight = np.where(np.arange(90) < 40, 1.0, 1.0 - (np.arange(90) - 40) / 60)
    age = rng.choice(90, size=size, p=age_weight / age_weight.sum())
    birth = _CITY_DATE - (age * 365.25 + rng.integers(1, 365, size)).astype(np.int64).astype("timedelta64[D]")
    day, month, year = _dmy(birth)

    local = rng.random(size) >= OUTSIDE_SHARE
    moved = rng.random(size) < 0.15
    own_kec = np.where(moved, rng.integers(len(world.kec_name), size=size), kec)
    prefix = world.kec_prefix[own_kec]
    local_kab = {int(p) // 100 for p in world.kec_prefix}
    regions = [(r, w) for r, w in _OUTSIDE_REGIONS if r not in local_kab]
    region_w = np.array([w for _, w in regions], dtype=float)
    region = rng.choice(len(regions), size, p=region_w / region_w.sum())
    outside = np.array([r for r, _ in regions], dtype=np.int64)[region]
    prefix = np.where(local, prefix, outside * 100 + rng.integers(1, 21, size))
    nik = (prefix * 10**10 + (day + 40 * female) * 10**8 + month * 10**6 + (year % 100) * 10**4
           + rng.integers(1, 3000, size))

    issue = np.datetime64("2005-01-01") + rng.integers(0, 365 * 18, size).astype("timedelta64[D]")
    iday, imonth, iyear = _dmy(issue)
    kk = (world.kec_prefix[kec] * 10**10 + iday * 10**8 + imonth * 10**6 + (iyear % 100) * 10**4
          + rng.integers(1, 9999, size))
    return {
        "nik": nik, "female": female, "birth": birth, "kel": kel, "name": _names(rng, female, year, age),
        "no_kk": kk.astype(str).astype(object), "street": rng.integers(len(_STREETS), size=size),
        "house": rng.integers(1, 160, size), "rt": rng.integers(1, 25, size), "rw": rng.integers(1, 9, size),
        "key": rng.integers(0, np.iinfo(np.int64).max, size, dtype=np.int64).astype(np.uint64),
    }


def _mix(x: np.ndarray) -> np.ndarray:
    """Scramble uint64 values (the splitmix64 finaliser): a stable pseudo-random key per input."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _dmy(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, month and year of datetime64[D] values as int64 arrays."""
    y = days.astype("datetime64[Y]")
    m = days.astype("datetime64[M]")
    day = (days - m).astype(np.int64) + 1
    month = (m - y).astype(np.int64) + 1
    year = y.astype(np.int64) + 1970
    return day, month, year


def _names(rng: np.random.Generator, female: np.ndarray, year: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Indonesian names by group, sex and generation, some with a hajj title or a degree."""
    size = len(female)
    groups = list(_NAME_GROUP_SHARE)
    group = rng.choice(len(groups), size, p=list(_NAME_GROUP_SHARE.values()))
    era = (year >= 1985).astype(int)
    out = np.empty(size, dtype=object)
    for g, gname in enumerate(groups):
        for sex in ("L", "P"):
            for e in (0, 1):
                mask = (group == g) & (female == (sex == "P")) & (era == e)
                n = int(mask.sum())
                if not n:
                    continue
                firsts, seconds, p_second = _NAMES[gname][(sex, e)]
                first = np.array(firsts, dtype=object)[rng.integers(len(firsts), size=n)]
                second = np.array(seconds, dtype=object)[rng.integers(len(seconds), size=n)]
                both = rng.random(n) < p_second
                out[mask] = np.where(both, first + " " + second, first)
    hajj = (age >= 45) & (rng.random(size) < 0.05)
    out[hajj] = np.where(female[hajj], "Hj. ", "H. ").astype(object) + out[hajj]
    degree = (age >= 25) & (age <= 60) & (rng.random(size) < 0.02)
    out[degree] = out[degree] + np.array([", S.Pd.", ", S.E.", ", A.Md.", ", S.Kep."], dtype=object)[
        rng.integers(4, size=int(degree.sum()))]
    return out


@dataclass
class _Rows:
    """Every data row to write (except JUMLAH rows), as parallel arrays."""

    person: np.ndarray
    program: np.ndarray
    sheet: np.ndarray
    pos: np.ndarray          # sort key within the sheet
    nik: np.ndarray          # the NIK written (nik_tanggal rows get a broken one)
    nominal: np.ndarray
    salur: np.ndarray        # datetime64[D]
    reasons: np.ndarray      # bit mask of REASONS, known from construction (duplikat added later)
    variant: np.ndarray      # which form of a defect a row gets (random integer)

    def take(self, idx: np.ndarray) -> _Rows:
        """A copy of some rows (used for duplicates)."""
        return _Rows(**{k: getattr(self, k)[idx].copy() for k in self.__dataclass_fields__})

    def extend(self, other: _Rows) -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, np.concatenate([getattr(self, k), getattr(other, k)]))

    def __len__(self) -> int:
        return len(self.person)

    def accepted_total(self, idx: np.ndarray) -> int:
        """Sum of the nominal of rows ``idx`` whose nominal is valid (what a JUMLAH row shows)."""
        return int(self.nominal[idx][(self.reasons[idx] & _BIT["nominal_tidak_valid"]) == 0].sum())


def _draw_rows(world: _World, plan: _Plan, people: _People, rng: np.random.Generator) -> _Rows:
    """Pick the recipients of every program and the payment of each one."""
    programs = world.programs
    kec_of_person = world.kel_kec[people.kel]
    age = people.age_at(np.datetime64(f"{world.year}-{world.month:02d}-01"))
    month_salt = world.year * 12 + world.month
    person_parts, program_parts = [], []
    for p in np.flatnonzero(plan.counts):
        k = int(plan.counts[p])
        fits = (age >= programs["age_lo"].iloc[p]) & (age <= programs["age_hi"].iloc[p])
        home = int(programs["home_kec"].iloc[p])
        if home >= 0:
            fits &= kec_of_person == home
        if programs["female_only"].iloc[p]:
            fits &= people.female
        # Each program ranks the city in a fixed order (a new one each month for one-off
        # payments) and pays the first k, after a few drop out this month.
        salt = zlib.crc32(str(programs["kode_bantuan"].iloc[p]).encode()) * 0x9E3779B97F4A7C15
        salt += month_salt if programs["once"].iloc[p] else 0
        rank = _mix(people.key ^ np.uint64(salt % 2**64))
        pool = np.flatnonzero(fits & (rng.random(len(age)) >= 0.07))
        if len(pool) < k:   # too few people of the right age: take anyone born
            pool = np.flatnonzero(age >= 0)
        chosen = pool[np.argsort(rank[pool], kind="stable")[:k]]
        person_parts.append(chosen)
        program_parts.append(np.full(k, p))
    person = np.concatenate(person_parts)
    program = np.concatenate(program_parts)
    n = len(person)

    sheet = plan.main_sheet[program].copy()
    late = (plan.revisi_sheet[program] >= 0) & (rng.random(n) < 0.1)
    sheet[late] = plan.revisi_sheet[program[late]]

    factor = np.where(programs["once"].to_numpy()[program], 1.0,
                      rng.choice([1.0, 0.5, 2.0, 3.0], size=n, p=[0.9, 0.03, 0.04, 0.03]))
    nominal = (programs["nominal"].to_numpy()[program] * factor).astype(np.int64)

    weekdays = [d for d in (np.datetime64(f"{world.year}-{world.month:02d}-01") + np.arange(31))
                if d.astype("datetime64[M]") == np.datetime64(f"{world.year}-{world.month:02d}")
                and dt.date.fromisoformat(str(d)).weekday() < 5]
    pay_days = np.array(weekdays)
    batch = rng.integers(len(pay_days) - 3, size=len(programs))       # each program pays in one or two batches
    salur = pay_days[batch[program] + np.where(rng.random(n) < 0.7, 0, 2)]
    salur = np.where(late, pay_days[-1], salur)

    sorted_by_place = np.array([s.sorted_by_place for s in plan.sheets])[sheet]
    pos = rng.random(n) + np.where(sorted_by_place, people.kel[person], 0)
    return _Rows(person=person, program=program, sheet=sheet, pos=pos.astype(float), nik=people.nik[person],
                 nominal=nominal, salur=salur, reasons=np.zeros(n, dtype=np.int64),
                 variant=rng.integers(0, 1 << 30, n))


def _spoil(plan: _Plan, rows: _Rows, rng: np.random.Generator, n_dups: int) -> None:
    """Give about 3% of the rows the defects of real submissions, and add duplicate rows.

    Rows chosen for a defect are distinct (person, program) pairs, so a defective row never
    repeats the key of an accepted row; duplicates copy accepted rows; a few defective rows
    of the revisi OPD come again, corrected, in its revisi file (accepted: the first
    occurrence was quarantined, so the second is no duplicate).
    """
    n = len(rows)
    wanted = max(round((DEFECT_SHARE * (n + n_dups)) - n_dups), 0)
    wanted = min(max(wanted, 7 if n >= 40 else 0), n // 5)
    defective = rng.choice(n, size=wanted, replace=False)
    single = list(REASONS[:7])
    weights = np.array([0.1, 0.2, 0.1, 0.1, 0.2, 0.1, 0.2])
    first = np.array([*range(min(7, wanted))] + list(rng.choice(7, size=max(wanted - 7, 0), p=weights)), dtype=int)
    rows.reasons[defective] = 1 << first
    nik_reasons = _BIT["nik_kosong"] | _BIT["nik_format"] | _BIT["nik_tanggal"]
    for i in np.flatnonzero(rng.random(wanted) < 0.15):   # some rows with two defects
        options = [r for r in single if not (_BIT[r] & rows.reasons[defective[i]])
                   and not (_BIT[r] & nik_reasons and rows.reasons[defective[i]] & nik_reasons)]
        rows.reasons[defective[i]] |= _BIT[options[int(rng.integers(len(options)))]]
    # nik_tanggal breaks the NIK itself (digits 7-12): day 00, 32-40 or 72+, or month 00 / 13+.
    broken = np.flatnonzero(rows.reasons & _BIT["nik_tanggal"])
    if len(broken):
        digits = rows.nik[broken].astype(str)
        bad_day = np.array(["00", "35", "38", "75", "80"])[rng.integers(5, size=len(broken))]
        bad_month = np.array(["00", "13", "15"])[rng.integers(3, size=len(broken))]
        use_day = rng.random(len(broken)) < 0.5
        fixed = [d[:6] + (bd if ud else d[6:8]) + (d[8:10] if ud else bm) + d[10:]
                 for d, bd, bm, ud in zip(digits, bad_day, bad_month, use_day)]
        rows.nik[broken] = np.array(fixed, dtype=np.int64)

    copies = []
    ok = np.flatnonzero(rows.reasons == 0)
    if plan.revisi_opd is not None:
        in_main = plan.main_sheet[rows.program] == rows.sheet
        revisi_prog = plan.revisi_sheet[rows.program] >= 0
        # corrected resubmissions: quarantined first in the main file, accepted in the revisi file
        candidates = np.flatnonzero(in_main & revisi_prog & (rows.reasons == 0))
        fixable = rng.choice(candidates, size=min(2, len(candidates)), replace=False)
        rows.reasons[fixable] = np.where(rng.random(len(fixable)) < 0.5, _BIT["nama_kosong"],
                                         _BIT["nominal_tidak_valid"])
        corrected = rows.take(fixable)
        corrected.reasons[:] = 0
        corrected.sheet = plan.revisi_sheet[corrected.program]
        corrected.pos = rng.random(len(fixable)) + 1e6
        copies.append(corrected)
        # the same person and program in the main file and again in the revisi file
        across = np.flatnonzero(in_main & revisi_prog & (rows.reasons == 0))
        n_across = min(max(1, n_dups // 3), len(across))
        picked = rng.choice(across, size=n_across, replace=False)
        repeat = rows.take(picked)
        repeat.sheet = plan.revisi_sheet[repeat.program]
        repeat.pos = rng.random(n_across) + 1e6
        copies.append(repeat)
        n_dups -= n_across + len(fixable)
        ok = np.flatnonzero(rows.reasons == 0)
    if n_dups > 0 and len(ok):
        picked = rng.choice(ok, size=min(n_dups, len(ok)), replace=False)
        repeat = rows.take(picked)
        repeat.pos = repeat.pos + rng.uniform(0.01, 0.5, len(picked))   # a little further down the sheet
        copies.append(repeat)
    for c in copies:
        c.variant = rng.integers(0, 1 << 30, len(c))
        rows.extend(c)


# --- Rendering cells ---------------------------------------------------------------------

@dataclass
class _Cells:
    """The cells of every row: text (what a CSV holds) and, for xlsx, typed values."""

    text: dict[str, pd.Series]
    typed: dict[str, np.ndarray]   # bool mask: write the typed value instead of the text
    values: dict[str, np.ndarray]  # the typed values (int or datetime64[D])


def _take(table, idx: np.ndarray) -> pd.Series:
    """Look ``idx`` up in a small table of strings, as a string Series."""
    return pd.Series(np.asarray(table, dtype=object)[idx], dtype=_STR)


def _by_value(values: np.ndarray, render) -> pd.Series:
    """Render each distinct value once in Python and spread the results (few distinct values)."""
    unique, inverse = np.unique(values, return_inverse=True)
    return _take([render(v) for v in unique.tolist()], inverse)


def _choose(rng: np.random.Generator, dominant: np.ndarray, n_forms: int, mix: float) -> np.ndarray:
    """Each row's form: its sheet's dominant one, or now and then any other."""
    n = len(dominant)
    return np.where(rng.random(n) < mix, rng.integers(n_forms, size=n), dominant)


def _rupiah(value: int, form: str) -> str:
    grouped = f"{abs(value):,}".replace(",", ".")
    sign = "-" if value < 0 else ""
    return {"digit": f"{value}", "rp_desimal": f"{sign}Rp{grouped},00", "rp_spasi": f"{sign}Rp {grouped}",
            "rp_titik_strip": f"{sign}Rp. {grouped},-", "koma_ribuan": f"{value:,}"}[form]


def _date_text(day: dt.date, form: str) -> str:
    if form == "yyyy-mm-dd":
        return day.isoformat()
    if form == "kata":
        return f"{day.day} {NAMA_BULAN[day.month - 1]} {day.year}"
    return day.strftime("%d/%m/%Y")


def _render(world: _World, plan: _Plan, people: _People, rows: _Rows, rng: np.random.Generator) -> _Cells:
    """Write every row's cells in the forms of its sheet, with row-by-row variation."""
    n = len(rows)
    sheets = plan.sheets
    xlsx = np.array([plan.files[s.file].kind == "xlsx" for s in sheets])[rows.sheet]
    style = {k: np.array([s.style.get(k, 0) for s in sheets])[rows.sheet]
             for k in ("nik", "nominal", "tanggal_salur", "tanggal_lahir", "case", "upper_names", "jk", "rt")}
    person = rows.person
    text: dict[str, pd.Series] = {}
    typed: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}

    # NIK
    form = _choose(rng, style["nik"], len(NIK_FORMS), 0.06)
    plain = pd.Series(rows.nik.astype(str), dtype=_STR)
    nik = plain.copy()
    for f, render in ((2, lambda s: s.str.slice(0, 2) + "." + s.str.slice(2, 4) + "." + s.str.slice(4, 6) + "."
                       + s.str.slice(6, 12) + "." + s.str.slice(12, 16)),
                      (3, lambda s: s.str.slice(0, 4) + " " + s.str.slice(4, 8) + " " + s.str.slice(8, 12) + " "
                       + s.str.slice(12, 16)),
                      (4, lambda s: s.str.slice(0, 4) + "-" + s.str.slice(4, 8) + "-" + s.str.slice(8, 12) + "-"
                       + s.str.slice(12, 16)),
                      (5, lambda s: "'" + s)):
        m = form == f
        if m.any():
            nik[m] = render(plain[m])
    text["nik"], typed["nik"], values["nik"] = nik, (form == 1) & xlsx, rows.nik

    # Name, family card, sex, birth date, address
    names = _take(people.name, person)
    upper = style["upper_names"].astype(bool)
    names[upper] = names[upper].str.upper()
    text["nama"] = names
    text["no_kk"] = _take(people.no_kk, person)
    female = people.female[person]
    jk_form = _choose(rng, style["jk"], 3, 0.03)
    jk_table = np.array([["L", "P"], ["LAKI-LAKI", "PEREMPUAN"], ["Laki-laki", "Perempuan"]], dtype=object)
    text["jenis_kelamin"] = pd.Series(jk_table[jk_form, female.astype(int)], dtype=_STR)
    birth_form = _choose(rng, style["tanggal_lahir"], len(DATE_FORMS), 0.05)
    _dates(text, typed, values, "tanggal_lahir", people.birth[person], birth_form, xlsx)
    house = pd.Series(people.house[person].astype(str), dtype=_STR)
    alamat = _take(_STREETS, people.street[person]) + " No. " + house
    alamat[upper] = alamat[upper].str.upper()
    text["alamat"] = alamat
    for key, numbers in (("rt", people.rt[person]), ("rw", people.rw[person])):   # "003", "3" or "03"
        text[key] = _by_value(numbers * 10 + style["rt"],
                              lambda v: (f"{v // 10:03d}", f"{v // 10}", f"{v // 10:02d}")[v % 10])

    # Places
    kel = people.kel[person]
    kel_text = _place_text(rng, world, kel, style["case"])
    kec_text = _kecamatan_text(rng, world.kec_name, world.kel_kec[kel], style["case"])
    both = np.array([{"kelurahan", "kecamatan"} <= set(s.columns) for s in sheets])[rows.sheet]
    r = rng.random(n)
    kec_text[both & (r < 0.06)] = ""                      # kelurahan known, kecamatan left empty
    kel_text[both & (r >= 0.06) & (r < 0.085)] = ""      # only the kecamatan given
    text["kelurahan"], text["kecamatan"] = kel_text, kec_text

    # Program
    programs = world.programs
    code = _take(programs["kode_bantuan"].to_numpy(dtype=object), rows.program)
    lower = rng.random(n) < 0.05
    code[lower] = code[lower].str.lower()
    text["kode_bantuan"] = code
    pname = _take(programs["nama_bantuan"].to_numpy(dtype=object), rows.program)
    r = rng.random(n)
    pname[upper] = pname[upper].str.upper()
    pname[r < 0.03] = pname[r < 0.03].str.lower()
    pname[(r >= 0.03) & (r < 0.05)] = pname[(r >= 0.03) & (r < 0.05)].str.replace(" ", "  ", n=1, regex=False)
    pname[(r >= 0.05) & (r < 0.07)] = pname[(r >= 0.05) & (r < 0.07)] + " "
    text["nama_bantuan"] = pname

    # Money and payment date
    form = _choose(rng, style["nominal"], len(NOMINAL_FORMS), 0.06)
    form = np.where((form == 0) & ~xlsx, 1, form)
    text["nominal"] = _by_value(rows.nominal * 8 + form,
                                lambda v: _rupiah(v // 8, NOMINAL_FORMS[v % 8] if v % 8 else "digit"))
    typed["nominal"], values["nominal"] = (form == 0) & xlsx, rows.nominal.copy()
    salur_form = _choose(rng, style["tanggal_salur"], len(DATE_FORMS), 0.05)
    _dates(text, typed, values, "tanggal_salur", rows.salur, salur_form, xlsx)

    ket = np.where(rows.nominal > programs["nominal"].to_numpy()[rows.program], "Rapel", "")
    ket = np.where((rng.random(n) < 0.03) & (ket == ""), "Tahap I", ket)
    text["keterangan"] = pd.Series(ket.astype(object), dtype=_STR)
    for key in text:
        typed.setdefault(key, np.zeros(n, dtype=bool))
    return _Cells(text, typed, values)


def _dates(text, typed, values, key: str, days: np.ndarray, form: np.ndarray, xlsx: np.ndarray) -> None:
    """Date cells: an Excel date (xlsx), DD/MM/YYYY, YYYY-MM-DD or ``4 Maret 2024``."""
    form = np.where((form == 0) & ~xlsx, 1, form)
    stamp = days.astype(np.int64) * 4 + form
    text[key] = _by_value(stamp, lambda v: _date_text(_EPOCH + dt.timedelta(days=v // 4), DATE_FORMS[v % 4]))
    typed[key], values[key] = (form == 0) & xlsx, days


def _place_text(rng: np.random.Generator, world: _World, kel: np.ndarray, case: np.ndarray) -> pd.Series:
    """Kelurahan as OPDs write it: other spellings, typos, capitals, Kel. prefixes, stray spaces."""
    n = len(kel)
    table: list[str] = []
    start, count_sp, count_ty = [], [], []
    for name, spellings, typos in zip(world.kel_name, world.kel_spellings, world.kel_typos):
        start.append(len(table))
        table += [name, *spellings, *typos]
        count_sp.append(len(spellings))
        count_ty.append(len(typos))
    start, count_sp, count_ty = np.array(start), np.array(count_sp), np.array(count_ty)
    r = rng.random(n)
    pick = rng.random(n)
    use_sp = (r < 0.25) & (count_sp[kel] > 0)
    use_ty = (r >= 0.25) & (r < 0.28) & (count_ty[kel] > 0)
    idx = start[kel].copy()
    idx[use_sp] += 1 + (pick[use_sp] * count_sp[kel][use_sp]).astype(int)
    idx[use_ty] += 1 + count_sp[kel][use_ty] + (pick[use_ty] * count_ty[kel][use_ty]).astype(int)
    out = _take(table, idx)
    return _decorate(rng, out, case, ("Kel. ", "Kelurahan ", "KEL. ", "Kel."))


def _kecamatan_text(rng: np.random.Generator, kec_name: np.ndarray, kec: np.ndarray, case: np.ndarray) -> pd.Series:
    """Kecamatan as OPDs write it: capitals, Kec. prefixes, stray spaces."""
    return _decorate(rng, _take(kec_name, kec), case, ("Kec. ", "Kecamatan ", "KEC. "))


def _decorate(rng: np.random.Generator, out: pd.Series, case: np.ndarray, prefixes) -> pd.Series:
    n = len(out)
    case = _choose(rng, case, 3, 0.05)
    out[case == 1] = out[case == 1].str.upper()
    out[case == 2] = out[case == 2].str.lower()
    r = rng.random(n)
    with_prefix = r < 0.08
    out[with_prefix] = _take(prefixes, rng.integers(len(prefixes), size=int(with_prefix.sum()))).to_numpy() \
        + out[with_prefix]
    spaced = (r >= 0.08) & (r < 0.1)
    out[spaced] = " " + out[spaced].str.replace(" ", "  ", regex=False) + " "
    return out


def _apply_defects(world: _World, plan: _Plan, people: _People, rows: _Rows, cells: _Cells) -> None:
    """Overwrite the cells of defective rows so that each breaks exactly the rules it is meant to.

    The forms of each defect are dealt in turn (the n-th row with a reason gets its n-th
    form), so that every form shows up as soon as a reason has a handful of rows.
    """
    text, typed, values = cells.text, cells.typed, cells.values
    xlsx_sheet = np.array([plan.files[s.file].kind == "xlsx" for s in plan.sheets])
    columns = [set(s.columns) for s in plan.sheets]
    edits: dict[str, dict[int, str]] = {k: {} for k in ("nik", "nama", "kelurahan", "kecamatan", "kode_bantuan",
                                                         "nama_bantuan", "nominal")}
    number_cells: dict[int, int] = {}
    turns: Counter = Counter()

    def turn(reason: str) -> int:
        turns[reason] += 1
        return turns[reason] - 1

    for i in np.flatnonzero(rows.reasons):
        bits, v, cols = int(rows.reasons[i]), int(rows.variant[i]), columns[rows.sheet[i]]
        nik = str(int(rows.nik[i]))
        if bits & _BIT["nik_kosong"]:
            edits["nik"][i] = ""
        if bits & _BIT["nik_format"]:
            sci = f"{int(nik):.5E}"   # 1.87201E+15, as Excel shows a NIK typed as a number
            forms = (sci, sci.replace(".", ","), nik[:15], nik + str(v % 10), nik[:14] + "OIlB"[v % 4] + nik[15])
            edits["nik"][i] = forms[turn("nik_format") % len(forms)]
        if bits & _BIT["nama_kosong"]:
            edits["nama"][i] = ""
        if bits & _BIT["wilayah_tidak_dikenal"]:
            kinds = [k for k, need in (("asing", {"kelurahan"}), ("salah_kec", {"kelurahan", "kecamatan"}),
                                       ("kec_asing", {"kecamatan"})) if need <= cols]
            kind = kinds[turn("wilayah_tidak_dikenal") % len(kinds)]
            kel = int(people.kel[rows.person[i]])
            if kind == "asing":          # a kelurahan that is not in Kota Metro
                edits["kelurahan"][i] = world.foreign_kel[v % len(world.foreign_kel)]
            elif kind == "salah_kec":    # a Metro kelurahan in the wrong kecamatan
                other = [k for k in range(len(world.kec_name)) if k != int(world.kel_kec[kel])]
                edits["kelurahan"][i] = world.kel_name[kel]
                edits["kecamatan"][i] = world.kec_name[other[v % len(other)]]
            else:                        # no kelurahan, and a kecamatan that is not in Kota Metro
                edits["kelurahan"][i] = ""
                edits["kecamatan"][i] = world.foreign_kec[v % len(world.foreign_kec)]
        if bits & _BIT["program_tidak_dikenal"]:
            edits["kode_bantuan"][i] = world.foreign_codes[v % len(world.foreign_codes)]
            edits["nama_bantuan"][i] = world.foreign_programs[v % len(world.foreign_programs)]
        if bits & _BIT["nominal_tidak_valid"]:
            n = turn("nominal_tidak_valid")
            kind, as_number = n % 4, xlsx_sheet[rows.sheet[i]] and n // 4 % 2 == 1
            if kind == 0:
                edits["nominal"][i] = ""
            elif kind == 1:
                edits["nominal"][i] = _BAD_NOMINAL_TEXT[n // 4 % len(_BAD_NOMINAL_TEXT)]
            elif kind == 2:
                edits["nominal"][i] = ("0", "Rp 0", "Rp0,00")[n // 4 % 3]
                if as_number:
                    number_cells[i] = 0
            else:
                edits["nominal"][i] = "-" + str(int(rows.nominal[i]))
                if as_number:
                    number_cells[i] = -int(rows.nominal[i])
    for key, changes in edits.items():
        if changes:
            idx = np.fromiter(changes, dtype=np.int64)
            text[key].iloc[idx] = list(changes.values())
            typed[key][idx] = False
    for i, value in number_cells.items():   # zero or negative as a number cell
        typed["nominal"][i] = True
        values["nominal"][i] = value


# --- Layout, truth and files -------------------------------------------------------------

@dataclass
class _Layout:
    """Where every row lands: its sheet's rows in order and the row number of each."""

    segments: dict[int, np.ndarray]   # sheet -> row ids in written order
    line: np.ndarray                  # row number of each row id
    no: np.ndarray                    # running number ("No" column) of each row id
    end: dict[int, int]               # sheet -> last row number written (blank rows included)
    jumlah: dict[int, int]            # sheet -> row number of its JUMLAH row


def _layout(plan: _Plan, rows: _Rows, rng: np.random.Generator) -> _Layout:
    """Order each sheet's rows, scatter a few blank rows among them and place the JUMLAH row."""
    order = np.lexsort((rows.pos, rows.sheet))
    sheet_sorted = rows.sheet[order]
    line = np.zeros(len(rows), dtype=np.int64)
    no = np.zeros(len(rows), dtype=np.int64)
    layout = _Layout({}, line, no, {}, {})
    for sid, sheet in enumerate(plan.sheets):
        if sheet.kind != "data":
            continue
        lo, hi = np.searchsorted(sheet_sorted, [sid, sid + 1])
        seg = order[lo:hi]
        header = len(sheet.titles) + 1
        blanks = np.sort(rng.integers(0, len(seg) + 1, size=int(rng.integers(0, 3))))
        rank = np.arange(len(seg))
        line[seg] = header + 1 + rank + np.searchsorted(blanks, rank, side="right")
        no[seg] = rank + 1
        layout.segments[sid] = seg
        layout.end[sid] = header + len(seg) + len(blanks)
        if sheet.jumlah and rows.accepted_total(seg) > 0:   # a zero total would be a defect of its own
            layout.jumlah[sid] = layout.end[sid] + 1
            layout.end[sid] += 1
    return layout


def _reason_text(mask: np.ndarray) -> np.ndarray:
    """Bit masks to ``;``-joined reason codes in contract order."""
    unique, inverse = np.unique(mask, return_inverse=True)
    words = [";".join(r for r in REASONS if int(m) & _BIT[r]) for m in unique.tolist()]
    return np.array(words, dtype=object)[inverse]


def _truth(plan: _Plan, rows: _Rows, layout: _Layout) -> pd.DataFrame:
    """The verdict the contract's row rules give every data row, in contract order.

    Only ``duplikat`` is computed here, literally as the contract says: a row whose NIK
    and program are valid is a duplicate when a row with the same pair was accepted
    before it (file name, sheet order, row). Rows breaking no other rule are accepted
    unless they are duplicates, so the first of them wins. By construction a row with
    another defect never follows an accepted row with its pair, but the rule does not
    rely on that.
    """
    rank = {name: i for i, name in enumerate(sorted(f.name for f in plan.files))}
    file_rank = np.array([rank[plan.files[s.file].name] for s in plan.sheets])
    sheet_order = np.array([s.order for s in plan.sheets])
    position = np.empty(len(rows), dtype=np.int64)
    position[np.lexsort((layout.line, sheet_order[rows.sheet], file_rank[rows.sheet]))] = np.arange(len(rows))
    unmatchable = _BIT["nik_kosong"] | _BIT["nik_format"] | _BIT["nik_tanggal"] | _BIT["program_tidak_dikenal"]
    nik_id = pd.factorize(rows.nik)[0].astype(np.int64)
    _, key = np.unique(nik_id * len(plan.main_sheet) + rows.program, return_inverse=True)
    clean = rows.reasons == 0
    first_accepted = np.full(key.max() + 1 if len(key) else 0, np.iinfo(np.int64).max)
    np.minimum.at(first_accepted, key[clean], position[clean])
    repeated = ((rows.reasons & unmatchable) == 0) & (first_accepted[key] < position)
    rows.reasons[repeated] |= _BIT["duplikat"]

    jumlah = list(layout.jumlah.items())
    sheets = np.concatenate([rows.sheet, np.array([s for s, _ in jumlah], dtype=np.int64)])
    lines = np.concatenate([layout.line, np.array([n for _, n in jumlah], dtype=np.int64)])
    alasan = np.concatenate([_reason_text(rows.reasons), np.array([JUMLAH_REASONS] * len(jumlah), dtype=object)])
    names = np.array([plan.files[s.file].name for s in plan.sheets], dtype=object)
    sheet_names = np.array([s.name for s in plan.sheets], dtype=object)
    truth = pd.DataFrame({
        "sumber_file": pd.Series(names[sheets], dtype=_STR),
        "sumber_sheet": pd.Series(sheet_names[sheets], dtype=_STR),
        "sumber_baris": lines,
        "alasan": pd.Series(alasan, dtype=_STR),
    })
    key = np.lexsort((lines, sheet_order[sheets], file_rank[sheets]))
    return truth.iloc[key].reset_index(drop=True)


def _number_formats(rng: np.random.Generator) -> dict[str, str]:
    """Excel number formats one workbook uses for its number and date cells."""
    return {
        "nik": "0",
        "no": "General",
        "nominal": str(rng.choice(["#,##0", '"Rp"#,##0', "#,##0.00", "General", '"Rp"#,##0.00'])),
        "tanggal_salur": str(rng.choice(["DD/MM/YYYY", "d mmmm yyyy", "yyyy-mm-dd", "dd-mmm-yy"])),
        "tanggal_lahir": str(rng.choice(["DD/MM/YYYY", "d mmmm yyyy", "dd-mm-yyyy"])),
    }


_WIDTHS = {"no": 5, "nik": 20, "no_kk": 20, "nama": 28, "jenis_kelamin": 12, "tanggal_lahir": 14, "alamat": 30,
           "rt": 5, "rw": 5, "kelurahan": 18, "kecamatan": 16, "kode_bantuan": 12, "nama_bantuan": 36,
           "nominal": 16, "tanggal_salur": 16, "keterangan": 14}


def _write_xlsx(path: Path, f: _File, plan: _Plan, rows: _Rows, cells: _Cells, layout: _Layout,
                rng: np.random.Generator, stamp: dt.datetime) -> None:
    """Write one workbook (write-only openpyxl), then fix its timestamps so the bytes repeat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    wb.properties.creator = _opd_short(f.opd)
    wb.properties.lastModifiedBy = _opd_short(f.opd)
    wb.properties.created = wb.properties.modified = stamp
    bold = Font(bold=True)
    formats = _number_formats(rng)
    for sid in f.sheets:
        sheet = plan.sheets[sid]
        ws = wb.create_sheet(sheet.name)
        if sheet.kind == "petunjuk":
            ws.column_dimensions["A"].width = 100
            for line in _PETUNJUK:
                ws.append([line] if line else [])
            continue
        if sheet.kind != "data":
            continue
        for c, key in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(c)].width = _WIDTHS[key]

        def styled(value, font=None, number_format=None):
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if number_format is not None:
                cell.number_format = number_format
            return cell

        for title in sheet.titles:
            ws.append([styled(title, bold)] if title else [])
        ws.append([styled(h, bold) for h in sheet.headers])
        seg = layout.segments[sid]
        columns = []
        for key in sheet.columns:
            if key == "no":
                columns.append(layout.no[seg].tolist())
                continue
            values = cells.text[key].iloc[seg].tolist()
            typed = cells.typed[key][seg]
            if typed.any():
                raw = cells.values[key][seg]
                raw = raw.astype("datetime64[D]").astype(object) if raw.dtype.kind == "M" else raw.tolist()
                fmt = formats[key]
                for j in np.flatnonzero(typed).tolist():
                    values[j] = styled(raw[j], number_format=fmt)
            columns.append([None if isinstance(v, str) and v == "" else v for v in values])
        current = len(sheet.titles) + 1
        for j, number in enumerate(layout.line[seg].tolist()):
            while current + 1 < number:
                ws.append([])
                current += 1
            ws.append([col[j] for col in columns])
            current += 1
        if sid in layout.jumlah:
            while current + 1 < layout.jumlah[sid]:
                ws.append([])
                current += 1
            label = [styled("JUMLAH", bold)] + [None] * (len(sheet.columns) - 1)
            label[sheet.columns.index("nominal")] = styled(rows.accepted_total(seg), bold, formats["nominal"])
            ws.append(label)
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_repeatable_zip(buffer.getvalue(), stamp))


def _repeatable_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite an xlsx zip with fixed entry dates and document timestamps (byte-identical reruns)."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            payload = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + when, payload)
            info = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, payload)
    return out.getvalue()


def _write_csv(path: Path, f: _File, sheet_id: int, plan: _Plan, cells: _Cells, layout: _Layout) -> None:
    """Write one CSV: title lines padded with separators, the header, rows with blank lines between."""
    sheet = plan.sheets[sheet_id]
    seg = layout.segments[sheet_id]
    header = len(sheet.titles) + 1
    table = pd.DataFrame({
        i: (pd.Series(layout.no[seg].astype(str), dtype=_STR) if key == "no"
            else cells.text[key].iloc[seg].reset_index(drop=True))
        for i, key in enumerate(sheet.columns)
    })
    table.index = layout.line[seg]
    table = table.reindex(range(header + 1, layout.end[sheet_id] + 1), fill_value="")
    width = len(sheet.columns)
    with path.open("w", encoding=f.encoding, newline="") as out:
        writer = csv.writer(out, delimiter=f.sep, lineterminator="\r\n")
        for title in sheet.titles:
            writer.writerow([title] + [""] * (width - 1))
        writer.writerow(sheet.headers)
        table.to_csv(out, sep=f.sep, header=False, index=False, lineterminator="\r\n")


def _copy_reference(out_dir: Path, reference: ReferenceData | None) -> None:
    """Put the reference tables used beside the OPD files, unless the folder already exists."""
    from kmc_analysis.reference import BUNDLED, REFERENCE_FILES, bundled_reference_dir

    target = out_dir / "reference"
    if target.exists():
        return
    target.mkdir(parents=True)
    sources = reference.sources if reference is not None else {}
    for name in REFERENCE_FILES:
        source = sources.get(name.removesuffix(".csv"), BUNDLED)
        shutil.copyfile(bundled_reference_dir() / name if source == BUNDLED else Path(source), target / name)


def synthesize(
    period: str,
    out_dir: Path,
    rows: int = 3000,
    seed: int = 1,
    clean: bool = False,
    reference: ReferenceData | None = None,
) -> SynthResult:
    """Write a synthetic month of OPD submissions to ``out_dir/opd/PERIOD/`` and return the truth.

    ``rows`` is the number of beneficiary rows (duplicates included; JUMLAH rows come on
    top, blank rows are not rows). ``clean=True`` writes no defects and no JUMLAH rows.
    When ``out_dir/reference/`` does not exist it is created with the reference tables
    used (the bundled ones unless ``reference`` came from override files). The same
    arguments give byte-identical files. Refuses (InputError) to write into a period
    folder that already holds .xlsx or .csv files, so real submissions are never mixed
    with synthetic ones.
    """
    check_period(period)
    if rows < 1:
        raise InputError(f"rows must be 1 or more (got {rows}).")
    if seed < 0:
        raise InputError(f"seed must be 0 or more (got {seed}).")
    out_dir = Path(out_dir)
    opd_dir = out_dir / "opd" / period
    if opd_dir.is_dir() and any(p.suffix.lower() in (".xlsx", ".csv") for p in opd_dir.iterdir()):
        raise InputError(
            f"{opd_dir} already holds .xlsx/.csv files. kmc synth writes only into an empty period folder "
            f"so that synthetic rows never mix with real submissions: delete those files or choose another --out."
        )
    if reference is None:
        from kmc_analysis.reference import load_reference
        reference_used = load_reference()
    else:
        reference_used = reference
    year, month = (int(p) for p in period.split("-"))
    rng = np.random.default_rng([seed, year, month])
    world = _World.build(reference_used, period)

    n_dups = 0 if clean or rows < 40 else max(2, round(0.004 * rows))
    plan = _plan(world, rng, rows - n_dups, clean, csv_only=rows > XLSX_MAX_ROWS,
                 want_revisi=not clean and rows >= 300)
    # About four residents per row, at most the city's population (unless rows exceed it), so
    # that some people get two or three bantuan, few more.
    people = _people(world, max(min(4 * rows, max(rows, world.population)), 2000))
    table = _draw_rows(world, plan, people, rng)
    if not clean:
        _spoil(plan, table, rng, n_dups)
    cells = _render(world, plan, people, table, rng)
    if not clean:
        _apply_defects(world, plan, people, table, cells)
    layout = _layout(plan, table, rng)
    truth = _truth(plan, table, layout)

    opd_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime(year, month, _last_day(year, month), 16, 0, 0)
    written = []
    for f in plan.files:
        path = opd_dir / f.name
        if f.kind == "xlsx":
            _write_xlsx(path, f, plan, table, cells, layout, rng, stamp)
        else:
            _write_csv(path, f, f.sheets[0], plan, cells, layout)
        written.append(path)
    _copy_reference(out_dir, reference)
    return SynthResult(sorted(written, key=lambda p: p.name), len(truth), truth)
