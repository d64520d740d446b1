"""Where everything lies: every file name of the processed and report folders, and every table's columns.

``PROCESSED/YYYY-MM/`` (personal data, owner only) and ``REPORTS/YYYY-MM/`` (publishable)
are laid out here and nowhere else. Each table is a :class:`TableFile`: its columns in
order with the dtype they are read back as, and how its floats are written
(:mod:`kmc_analysis.core.store.tables` reads and writes them).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kmc_analysis.core.formatting import SHORTEST, TWO_DECIMALS, UP_TO_SIX, FloatText
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import RPJMD_YEARS


#: What each stage is called in a message asking the user to run it.
STAGE_NAMES = {1: "tahap 1 (pembersihan data OPD)", 2: "tahap 2 (cakupan dan peta)", 3: "tahap 3 (evaluasi RPJMD)"}


@dataclass(frozen=True, eq=False)
class TableFile:
    """One table of a processed period folder: its file, columns and how it is read and written.

    ``columns`` maps each column, in file order, to the dtype it is read back as; a column
    of a file that the table does not declare (karantina.csv's original cells, with
    ``more_columns``) is read as text. ``floats`` gives the float columns' text, the
    others follow ``default_floats``. ``stage`` is the stage that writes the table.
    """

    name: str
    stage: int
    columns: dict[str, str]
    floats: dict[str, FloatText] = field(default_factory=dict)
    default_floats: FloatText = SHORTEST
    bom: bool = False
    more_columns: bool = False

    @property
    def key(self) -> str:
        """The file name without its extension (``rekap_opd``)."""
        return Path(self.name).stem

    @property
    def column_names(self) -> list[str]:
        """The declared columns, in file order."""
        return list(self.columns)


_AREA_MEASURES = {"penduduk": "Int64", "penerima_unik": "int64", "penerima_per_1000": "float64",
                  "jumlah_penyaluran": "int64", "nilai_total": "int64", "program_aktif": "int64"}
_INDIKATOR = {"kode_indikator": "str", "indikator": "str", "satuan": "str", "polaritas": "str", "tahun": "int64",
              "target": "float64", "realisasi": "float64"}

# --- stage 1 -------------------------------------------------------------------------------

PENERIMA = TableFile("penerima.parquet", 1, {
    "id_penerima": "str", "nik_tersamar": "str", "nama": "str", "kode_bantuan": "str", "opd": "str",
    "kode_kecamatan": "str", "kecamatan": "str", "kode_kelurahan": "str", "kelurahan": "str", "nominal": "int64",
    "tanggal_salur": "datetime64[s]", "sumber_file": "str", "sumber_sheet": "str", "sumber_baris": "int64",
})
KARANTINA = TableFile("karantina.csv", 1, {"sumber_file": "str", "sumber_sheet": "str", "sumber_baris": "int64",
                                            "alasan": "str"}, bom=True, more_columns=True)
REKAP_OPD = TableFile("rekap_opd.csv", 1, {
    "opd": "str", "program_katalog": "int64", "program_terisi": "int64", "kelengkapan_persen": "float64",
    "baris_dibaca": "int64", "baris_diterima": "int64", "baris_karantina": "int64", "persen_valid": "float64",
})

# --- stage 2 -------------------------------------------------------------------------------

REKAP_KECAMATAN = TableFile("rekap_kecamatan.csv", 2, {"kode_kecamatan": "str", "kecamatan": "str", **_AREA_MEASURES},
                            default_floats=TWO_DECIMALS)
REKAP_KELURAHAN = TableFile("rekap_kelurahan.csv", 2, {
    "kode_kecamatan": "str", "kecamatan": "str", "kode_kelurahan": "str", "kelurahan": "str", **_AREA_MEASURES,
}, default_floats=TWO_DECIMALS)
REKAP_PROGRAM = TableFile("rekap_program.csv", 2, {
    "kode_bantuan": "str", "nama_bantuan": "str", "opd": "str", "kategori": "str", "penerima_unik": "int64",
    "target_penerima": "Int64", "capaian_penerima_persen": "float64", "nilai_total": "int64", "anggaran": "Int64",
}, default_floats=TWO_DECIMALS)
REKAP_KATEGORI_KELURAHAN = TableFile("rekap_kategori_kelurahan.csv", 2, {
    "kategori": "str", "kode_kecamatan": "str", "kecamatan": "str", "kode_kelurahan": "str", "kelurahan": "str",
    "penduduk": "Int64", "penerima_unik": "int64", "penerima_per_1000": "float64", "nilai_total": "int64",
}, default_floats=TWO_DECIMALS)
REKAP_TUMPANG_TINDIH = TableFile("rekap_tumpang_tindih.csv", 2, {
    "jumlah_bantuan": "int64", "penerima": "int64", "persen_penerima": "float64", "nilai_total": "int64",
    "nilai_rata_rata_per_penerima": "Int64",
}, default_floats=TWO_DECIMALS)
KOMBINASI_PROGRAM = TableFile("kombinasi_program.csv", 2, {"kombinasi": "str", "jumlah_bantuan": "int64",
                                                            "penerima": "int64"}, default_floats=TWO_DECIMALS)
#: Written only when last month's processed folder exists.
PERUBAHAN_KECAMATAN = TableFile("perubahan_kecamatan.csv", 2, {
    "kode_kecamatan": "str", "kecamatan": "str", "penerima_unik_bulan_lalu": "int64", "penerima_unik": "int64",
    "selisih": "int64", "perubahan_persen": "float64", "nilai_total_bulan_lalu": "int64", "nilai_total": "int64",
    "selisih_nilai": "int64",
}, default_floats=TWO_DECIMALS)

# --- stage 3: percentages with two decimals, indicator values with up to six ---------------

#: The contract's columns, then the in-year rule's target_periode (the target compared) and status_penilaian.
EVALUASI_RPJMD = TableFile("evaluasi_rpjmd.csv", 3, {
    **_INDIKATOR, "capaian_persen": "float64", "predikat": "str", "target_periode": "float64",
    "status_penilaian": "str",
}, floats={"capaian_persen": TWO_DECIMALS}, default_floats=UP_TO_SIX)
EVALUASI_PROGRAM = TableFile("evaluasi_program.csv", 3, {
    "kode_bantuan": "str", "nama_bantuan": "str", "opd": "str", "kategori": "str", "satuan": "str",
    "penerima_unik": "Int64", "target_penerima": "Int64", "periode_penilaian": "str", "penerima_periode": "Int64",
    "target_periode": "float64", "capaian_penerima_persen": "float64", "predikat_penerima": "str",
    "status_penilaian": "str", "nilai_total": "Int64", "anggaran": "Int64", "serapan_anggaran_persen": "float64",
    "predikat_serapan": "str", "target_serapan_persen": "float64", "capaian_serapan_persen": "float64",
    "status_serapan": "str",
}, default_floats=TWO_DECIMALS)
EVALUASI_OPD = TableFile("evaluasi_opd.csv", 3, {
    "opd": "str", "program_katalog": "int64", "program_terisi": "int64", "kelengkapan_persen": "float64",
    "persen_valid": "float64", "capaian_penerima_rata2": "float64", "predikat": "str", "status_penilaian": "str",
}, default_floats=TWO_DECIMALS)
TREN_BULANAN = TableFile("tren_bulanan.csv", 3, {
    "bulan": "str", "penerima_unik": "int64", "jumlah_penyaluran": "int64", "nilai_total": "int64",
    "persen_baris_valid": "float64", "penerima_unik_kumulatif": "int64",
}, default_floats=TWO_DECIMALS)
TREN_RPJMD = TableFile("tren_rpjmd.csv", 3, {
    **_INDIKATOR, "sumber_realisasi": "str", "realisasi_sementara": "str", f"proyeksi_{RPJMD_YEARS[-1]}": "float64",
    "status_jalur": "str",
}, default_floats=UP_TO_SIX)

# --- targeting and review (CONTRACT 2.4; optional inputs) ------------------------------------

#: Accepted rows to review (stage 1): flags, never errors; see clean.review.
TINJAUAN = TableFile("tinjauan.csv", 1, {
    "sumber_file": "str", "sumber_sheet": "str", "sumber_baris": "int64", "opd": "str", "kode_bantuan": "str",
    "tanda": "str", "keterangan": "str",
})
#: Targeting against DTKS (stage 3), written only when RAW/dtks/ exists; see evaluation.targeting.
KETEPATAN_SASARAN = TableFile("ketepatan_sasaran.csv", 3, {
    "tingkat": "str", "kode": "str", "nama": "str", "penerima_unik": "Int64", "penerima_dtks": "Int64",
    "persen_penerima_dtks": "float64", "dtks_unik": "Int64", "dtks_menerima": "Int64",
    "persen_dtks_terjangkau": "float64",
}, default_floats=TWO_DECIMALS)
#: What stage 3 read from RAW/dtks/: files (name, sha256) and row counts only, never a row.
RINGKASAN_DTKS = "ringkasan_dtks.json"

# --- other files of a processed period folder ----------------------------------------------

MANIFEST = "manifest.json"
#: Stage 2's city-level headline figures, read by the report.
RINGKASAN_KOTA = "ringkasan_kota.json"
CAKUPAN_GPKG = "cakupan.gpkg"
#: Folder of the per-OPD feedback workbooks.
UMPAN_BALIK = "umpan_balik"
#: Beside an OPD's workbook ``<OPD>_YYYY-MM.xlsx``: ``<OPD>_YYYY-MM`` + this, all its rows to check.
PERLU_DICEK_SUFFIX = "_perlu_dicek.csv"
#: Folder of the executed stage notebooks (they show row-level examples: internal).
NOTEBOOKS = "notebooks"
#: Folder under PROCESSED where a failed stage's executed notebook is kept, per period.
FAILED_RUNS = ".kmc-gagal"
#: The runner's files at the top of PROCESSED (and, for the lock and staging, of REPORTS):
#: the run lock, the publish journal and the prefix of the staging folders.
RUN_LOCK = ".kmc-run.lock"
PUBLISH_JOURNAL = ".kmc-publish.json"
STAGING_PREFIX = ".kmc-staging-"

#: Stage 2's suppression: which units of the published tables are hidden (no values), read by stage 4.
PENYAMARAN = "penyamaran.json"

# --- the raw side -------------------------------------------------------------------------------

#: The marker ``kmc synth`` leaves in ``RAW/opd/YYYY-MM/``: the month's files are synthetic.
SYNTHETIC_MARKER = ".kmc-sintetis"

# --- a report period folder, and the reports root --------------------------------------------

#: The coverage maps (stage 2) by level, and the stage 3 charts.
MAPS = {"kecamatan": "peta_cakupan_kecamatan.png", "kelurahan": "peta_cakupan_kelurahan.png",
        "kategori": "peta_cakupan_kategori.png"}
#: DTKS persons reached by poor-targeted programs, by kecamatan (stage 3, when RAW/dtks/ exists).
MAP_DTKS = "peta_dtks_terjangkau_kecamatan.png"
CHART_RPJMD = "grafik_tren_rpjmd.png"
CHART_BULANAN = "grafik_tren_bulanan.png"
#: The report's city-level headline figures (published).
RINGKASAN = "ringkasan.json"
#: reports/index.html: every published period.
INDEX = "index.html"


def laporan_html(period: Period) -> str:
    """The report page of a period: ``laporan_kmc_YYYY-MM.html``."""
    return f"laporan_kmc_{period}.html"


def laporan_xlsx(period: Period) -> str:
    """The report workbook of a period: ``laporan_kmc_YYYY-MM.xlsx``."""
    return f"laporan_kmc_{period}.xlsx"


def peta_interaktif_html(period: Period) -> str:
    """The interactive coverage map of a period: ``peta_interaktif_YYYY-MM.html`` (stage 2)."""
    return f"peta_interaktif_{period}.html"


#: Longest OPD part of a feedback file name (the whole path must stay short on Windows).
FEEDBACK_NAME_MAX = 100


def feedback_file_names(opds: Iterable[str], period: Period) -> dict[str, str]:
    """The files of the OPDs' feedback workbooks in ``UMPAN_BALIK``: ``<OPD>_YYYY-MM.xlsx`` each.

    Names are safe on every operating system (no path separators, reserved or control
    characters, leading dots, overlong names). Two OPD names that clean to the same file
    name, also ignoring case (Windows and macOS), never share it: each gets a short suffix
    from its own name, except one whose name needed no cleaning, which keeps the plain name.
    """
    opds = sorted(set(opds))
    stems = {opd: _safe_stem(opd) for opd in opds}
    groups: dict[str, list[str]] = {}
    for opd in opds:
        groups.setdefault(stems[opd].casefold(), []).append(opd)
    names = {}
    for members in groups.values():
        plain = [opd for opd in members if stems[opd] == opd]
        for opd in members:
            keep = len(members) == 1 or (len(plain) == 1 and opd == plain[0])
            names[opd] = stems[opd] if keep else f"{stems[opd]}-{_name_digest(opd, 6)}"
    taken = [name.casefold() for name in names.values()]
    for opd, name in names.items():
        if taken.count(name.casefold()) > 1:  # a suffix that meets another name: practically never
            names[opd] = f"{stems[opd]}-{_name_digest(opd, 16)}"
    return {opd: f"{stem}_{period}.xlsx" for opd, stem in names.items()}


def _safe_stem(opd: str) -> str:
    text = unicodedata.normalize("NFC", str(opd))
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "-", text)
    text = re.sub(r"\s+", " ", text).strip(" .-")
    return text[:FEEDBACK_NAME_MAX].rstrip(" .") or "OPD"


def _name_digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
