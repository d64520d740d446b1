"""The quarantine reason codes (CONTRACT 2.2) and their three wordings in Bahasa Indonesia.

:data:`REASONS` gives the codes in the order a row lists them; :data:`REASON_TEXT` tells an
OPD what to fix (feedback workbooks), :data:`REASON_LABEL` names a reason in the report's
tables and :data:`REASON_SHORT` in per-file breakdowns.
"""

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
