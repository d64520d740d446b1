"""The quarantine reason codes (CONTRACT 2.2) and their three wordings in Bahasa Indonesia.

:data:`REASONS` gives the codes in the order a row lists them; :data:`REASON_TEXT` tells an
OPD what to fix (feedback workbooks), :data:`REASON_LABEL` names a reason in the report's
tables and :data:`REASON_SHORT` in per-file breakdowns. A quarantined row lists its codes
joined by ``;``; :func:`count_reasons` and :func:`rows_listing` read them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Quarantine reason codes, in the order a row lists them.
REASONS = (
    "nik_kosong", "nik_format", "nik_tanggal", "nama_kosong", "wilayah_tidak_dikenal",
    "program_tidak_dikenal", "nominal_tidak_valid", "duplikat",
)

#: Each reason in plain Indonesian, with what the OPD should do (feedback files, reports).
REASON_TEXT = {
    "nik_kosong": "NIK kosong. Isi 16 digit NIK sesuai KTP/KK.",
    "nik_format": "NIK bukan 16 digit, atau tertulis sebagai angka ilmiah (mis. 1,87201E+15) sehingga "
                  "digit terakhirnya hilang. Ketik ulang NIK sebagai teks 16 digit (format sel: Teks).",
    "nik_tanggal": "Digit ke-7 sampai ke-12 NIK (tanggal lahir) tidak mungkin benar. Periksa kembali NIK "
                   "pada KTP/KK.",
    "nama_kosong": "Nama penerima kosong. Isi nama lengkap sesuai KTP.",
    "wilayah_tidak_dikenal": "Kelurahan/kecamatan tidak dikenal, atau kelurahan tidak berada di kecamatan "
                             "yang ditulis. Gunakan nama kelurahan dan kecamatan Kota Metro yang benar.",
    "program_tidak_dikenal": "Kode/nama bantuan tidak ada dalam katalog program KMC. Gunakan kode bantuan "
                             "dari katalog.",
    "nominal_tidak_valid": "Nominal kosong, bukan angka, nol, negatif, atau Rp 1 miliar ke atas (biasanya NIK "
                           "atau nomor rekening yang terketik di kolom nominal). Isi nilai bantuan dalam Rupiah, "
                           "mis. 1500000.",
    "duplikat": "Duplikat: NIK yang sama sudah tercatat menerima bantuan yang sama pada periode ini "
                "(baris pertama yang dipakai).",
}

#: Each reason as a short label for tables in reports.
REASON_LABEL = {
    "nik_kosong": "NIK kosong",
    "nik_format": "NIK tidak 16 digit atau rusak (tampil sebagai notasi ilmiah)",
    "nik_tanggal": "Tanggal lahir di dalam NIK tidak valid",
    "nama_kosong": "Nama kosong",
    "wilayah_tidak_dikenal": "Kelurahan/kecamatan tidak dikenal atau tidak cocok",
    "program_tidak_dikenal": "Kode/nama bantuan tidak ada di katalog program",
    "nominal_tidak_valid": "Nominal kosong, bukan angka, nol, negatif atau Rp 1 miliar ke atas",
    "duplikat": "Duplikat (NIK dan bantuan yang sama sudah diterima)",
}

#: Each reason in a few words, for per-file breakdowns.
REASON_SHORT = {
    "nik_kosong": "NIK kosong", "nik_format": "NIK tidak 16 digit", "nik_tanggal": "tanggal di NIK tidak valid",
    "nama_kosong": "nama kosong", "wilayah_tidak_dikenal": "wilayah tidak dikenal",
    "program_tidak_dikenal": "program tidak dikenal", "nominal_tidak_valid": "nominal tidak valid",
    "duplikat": "duplikat",
}


def count_reasons(codes: pd.Series) -> pd.Series:
    """How many rows list each reason code, from each row's codes joined by ``;`` (a row may list several).

    Rows share a few combinations of codes: each distinct combination is split once
    (splitting every row cost a second for a month of a million quarantined rows).
    """
    tally: dict[str, int] = {}
    for combination, rows in codes.value_counts().items():
        for code in str(combination).split(";"):
            if code:
                tally[code] = tally.get(code, 0) + int(rows)
    return pd.Series(tally, dtype="int64")


def rows_listing(codes: pd.Series, wanted: Iterable[str]) -> dict[str, np.ndarray]:
    """For each code of ``wanted`` that some row lists, a boolean mask of the rows that list it."""
    combination_of_row, combinations = pd.factorize(codes.astype("str").fillna(""))
    listed = [set(str(combination).split(";")) for combination in combinations]
    masks = {}
    for code in wanted:
        lists_code = np.fromiter((code in combination for combination in listed), dtype=bool, count=len(listed))
        if lists_code.any():
            masks[code] = lists_code[combination_of_row]
    return masks
