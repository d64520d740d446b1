"""The processed and report folders: every file name, every table's columns, one reader and one writer.

``PROCESSED/YYYY-MM/`` (personal data, owner only) and ``REPORTS/YYYY-MM/`` (publishable)
are laid out here and nowhere else: a stage asks this module for a table by its
:class:`TableFile` (``PENERIMA``, ``REKAP_KECAMATAN``, ...) or a name (``MANIFEST``,
``laporan_html(period)``, ...), never spells a file name itself.

Each table declares its columns in order with the dtype they are read back as, and how its
floats are written. CSV is written one way: UTF-8, ``\\n`` line ends, no index, empty for a
missing value, text a spreadsheet would run as a formula given a leading apostrophe
(:func:`~kmc_analysis.core.formatting.formula_safe_frame`), each float column by its
declared :class:`FloatText`, and a byte-order mark on ``karantina.csv`` only (it is the one
opened in Excel by hand). Readers take ``columns=`` so a stage reads only what it needs.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmc_analysis.core.errors import InputError, StageError
from kmc_analysis.core.csv_text import write_csv
from kmc_analysis.core.formatting import SHORTEST, TWO_DECIMALS, UP_TO_SIX, FloatText, formula_safe_frame
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


# --- tables ----------------------------------------------------------------------------------


def has(folder: Path, table: TableFile) -> bool:
    """Whether ``folder`` holds ``table``."""
    return (Path(folder) / table.name).is_file()


def remove(folder: Path, table: TableFile) -> None:
    """Delete ``table`` from ``folder`` if it is there (a stale optional table)."""
    (Path(folder) / table.name).unlink(missing_ok=True)


def write_table(folder: Path, table: TableFile, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as ``table`` into ``folder`` (created if needed); return the path.

    The frame's columns must be the declared ones in order (karantina.csv: followed by the
    original cells). Parquet is written as is; CSV the one way described above.
    """
    declared = table.column_names
    if list(frame.columns[:len(declared)]) != declared or (len(frame.columns) > len(declared)
                                                           and not table.more_columns):
        raise StageError(f"{table.name}: kolom {list(frame.columns)} tidak sama dengan kolom yang ditetapkan "
                         f"{declared}. Ini kesalahan program: mohon laporkan.")
    path = Path(folder) / table.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
        return path
    out = formula_safe_frame(frame)
    for column in out.columns:
        rule = table.floats.get(column, table.default_floats)
        if rule.decimals is not None and pd.api.types.is_float_dtype(out[column]):
            out[column] = rule.text(out[column])
    write_csv(out, path, bom=table.bom)
    return path


def read_table(folder: Path, table: TableFile, columns: Sequence[str] | None = None,
               missing_ok: bool = False) -> pd.DataFrame | None:
    """Read ``table`` from ``folder``: only ``columns`` when given, each as its declared dtype.

    A missing file is None with ``missing_ok``, else an InputError saying which stage to
    run first; a missing column or a value that is no number is a StageError naming both.
    """
    path = Path(folder) / table.name
    if not path.is_file():
        if missing_ok:
            return None
        raise InputError(f"{path} tidak ada: jalankan {STAGE_NAMES[table.stage]} untuk periode ini lebih dulu "
                         f"(`kmc run --period` untuk bulan itu).")
    wanted = list(columns) if columns is not None else None
    if path.suffix == ".parquet":
        if wanted:
            import pyarrow.parquet as pq

            _check_columns(path, table, wanted, pq.read_schema(path).names)
        return pd.read_parquet(path, columns=wanted)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                        usecols=(lambda column: column in wanted) if wanted else None)
    if wanted:
        _check_columns(path, table, wanted, frame.columns)
        frame = frame[wanted]
    for column in frame.columns:
        dtype = table.columns.get(column, "str")
        if dtype != "str":
            frame[column] = _numbers(path, column, frame[column], dtype)
    return frame


def read_distinct(folder: Path, table: TableFile, columns: Sequence[str]) -> pd.DataFrame | None:
    """The distinct rows of ``columns`` of a text-column ``table`` (in no set order); None when it is absent.

    A parquet table is read dictionary-encoded and grouped in Arrow: a million rows naming a
    few files and OPDs take milliseconds, where dropping duplicate texts in pandas takes half a second.
    """
    path = Path(folder) / table.name
    if path.suffix != ".parquet":
        rows = read_table(folder, table, columns=columns, missing_ok=True)
        return None if rows is None else rows.drop_duplicates(ignore_index=True)
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    wanted = list(columns)
    _check_columns(path, table, wanted, pq.read_schema(path).names)
    # each row group (a million rows) has a dictionary of its own: one for all before grouping
    distinct = pq.read_table(path, columns=wanted, read_dictionary=wanted).unify_dictionaries()
    distinct = distinct.group_by(wanted).aggregate([])
    return distinct.to_pandas().astype(dict.fromkeys(wanted, "str"))[wanted]


def _check_columns(path: Path, table: TableFile, wanted: list[str] | None, present) -> None:
    missing = [column for column in wanted or [] if column not in set(present)]
    if missing:
        raise StageError(f"{path} tidak memuat kolom {', '.join(missing)}: jalankan ulang tahap {table.stage} "
                         f"untuk bulan itu (the file lacks columns it must have).")


def _numbers(path: Path, column: str, text: pd.Series, dtype: str) -> pd.Series:
    """A CSV column of number text as ``dtype``; empty text is missing."""
    text = text.str.strip()
    numbers = pd.to_numeric(text.mask(text == ""), errors="coerce")
    bad = numbers.isna() & text.ne("")
    if bad.any() or (dtype == "int64" and numbers.isna().any()):
        shown = text[bad].iloc[0] if bad.any() else ""
        raise StageError(f"{path}, kolom {column}: '{shown}' bukan angka; jalankan ulang tahap yang menulisnya "
                         f"(a value that is no number).")
    return numbers.astype(dtype)


# --- JSON files ----------------------------------------------------------------------------------


def _write_json(path: Path, data: dict, sort_keys: bool) -> Path:
    """Write ``data`` as indented UTF-8 JSON with a final line end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n", encoding="utf-8")
    return path


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def has_manifest(folder: Path) -> bool:
    """Whether a processed period folder holds its manifest (stage 1 finished there)."""
    return (Path(folder) / MANIFEST).is_file()


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write a period's manifest.json, keys in the order given."""
    return _write_json(Path(folder) / MANIFEST, manifest, sort_keys=False)


def read_manifest(folder: Path) -> dict:
    """Read a period's manifest.json."""
    return _read_json(Path(folder) / MANIFEST)


def update_manifest(folder: Path, **keys) -> dict:
    """Set ``keys`` in a period's existing manifest.json (a later stage adds what it used); return it."""
    if not has_manifest(folder):
        raise InputError(f"{Path(folder) / MANIFEST} tidak ada: jalankan {STAGE_NAMES[1]} untuk periode ini lebih "
                         f"dulu (`kmc run --period` untuk bulan itu).")
    manifest = read_manifest(folder)
    manifest.update(keys)
    write_manifest(folder, manifest)
    return manifest


def record_stages(folder: Path, stages: list[dict], finished: str) -> None:
    """Add the runner's stage timings and finishing time to an existing manifest."""
    manifest = read_manifest(folder)
    manifest["stages"] = stages
    manifest["finished"] = finished
    write_manifest(folder, manifest)


def write_city_summary(folder: Path, summary: dict) -> Path:
    """Write stage 2's city-level headline figures of a processed period folder (keys sorted)."""
    return _write_json(Path(folder) / RINGKASAN_KOTA, summary, sort_keys=True)


def has_city_summary(folder: Path) -> bool:
    """Whether a processed period folder holds stage 2's city-level headline figures."""
    return (Path(folder) / RINGKASAN_KOTA).is_file()


def read_city_summary(folder: Path) -> dict:
    """Read stage 2's city-level headline figures of a processed period folder."""
    return _read_json(Path(folder) / RINGKASAN_KOTA)


def write_suppression(folder: Path, record: dict) -> Path:
    """Write stage 2's suppression record (hidden units and the assumptions behind them)."""
    return _write_json(Path(folder) / PENYAMARAN, record, sort_keys=True)


def read_suppression(folder: Path) -> dict | None:
    """Read a processed period's suppression record; None when stage 2 did not write one."""
    path = Path(folder) / PENYAMARAN
    return _read_json(path) if path.is_file() else None


def is_synthetic(opd_folder: Path) -> bool:
    """Whether a month's OPD folder holds the synthesiser's marker."""
    return (Path(opd_folder) / SYNTHETIC_MARKER).is_file()


def write_dtks_summary(folder: Path, summary: dict) -> Path:
    """Write what stage 3 read from RAW/dtks/ (file names, hashes, row counts; keys sorted)."""
    return _write_json(Path(folder) / RINGKASAN_DTKS, summary, sort_keys=True)


def read_dtks_summary(folder: Path) -> dict | None:
    """Read what stage 3 read from RAW/dtks/; None when targeting was not assessed."""
    path = Path(folder) / RINGKASAN_DTKS
    return _read_json(path) if path.is_file() else None


def remove_dtks_summary(folder: Path) -> None:
    """Delete a stale DTKS summary (a rerun without RAW/dtks/)."""
    (Path(folder) / RINGKASAN_DTKS).unlink(missing_ok=True)


def write_report_summary(folder: Path, summary: dict) -> Path:
    """Write a report period's ringkasan.json (keys sorted)."""
    return _write_json(Path(folder) / RINGKASAN, summary, sort_keys=True)


def read_report_summary(folder: Path) -> dict | None:
    """Read a report period's ringkasan.json; None when the period has none (ValueError if unreadable)."""
    path = Path(folder) / RINGKASAN
    return _read_json(path) if path.is_file() else None
