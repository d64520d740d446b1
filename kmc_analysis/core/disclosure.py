"""The disclosure rule table: what every published table and column is, and how hidden cells show.

CONTRACT section 3: below city level (kecamatan, kelurahan, and any area crossed with a
program, kategori or OPD) a count of persons from 1 to ``min_cell - 1`` is shown as
``<min_cell`` (primary suppression), and other cells are hidden as ``*`` (secondary
suppression) so that it cannot be worked out from totals, neighbours or derived figures.
City-level figures per program, kategori and OPD are published in full.

:data:`RULES` names every published table with its level and, per column, its kind
(:data:`KINDS`): a count of persons, an additive value, a rate with a published
denominator, a share of a published total, a derived score, a reference figure or a label.
The report, the maps, the notebooks and the audit read these rules; a new column needs one
entry here (a column of a below-city table without an entry is hidden with its row).

Below city level cells are hidden by *unit*: one area (or overlap row) of one month, all of
its measures together (a person count shown next to its rows or value would be narrowed by
them). A :class:`Penyamaran` records the hidden units and why; :meth:`Penyamaran.mask` turns
it into per-cell codes for one table and :func:`apply_mask` into display text. Which units
to hide is decided in :mod:`kmc_analysis.core.suppression` and checked by
:mod:`kmc_analysis.core.disclosure_audit`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmc_analysis.core.formatting import MISSING_MARK, format_number
from kmc_analysis.core.store import CHART_BULANAN, CHART_RPJMD, INDEX, MAPS, RINGKASAN

#: Codes in a suppression mask: why a cell is hidden ("" = shown).
SHOWN, PRIMARY, SECONDARY, DERIVED = "", "primary", "secondary", "derived"
#: What a secondary or derived cell shows instead of its value.
HIDDEN_MARK = "*"

#: This month and last month (the two months a table may show).
THIS_MONTH, LAST_MONTH = "ini", "lalu"

# --- kinds of column ----------------------------------------------------------------------------

PERSONS = "orang"
ADDITIVE = "aditif"
RATE = "rasio"
SHARE = "pangsa"
MEAN = "rata_rata"
DIFFERENCE = "selisih"
CHANGE = "perubahan"
SCORE = "turunan"
REFERENCE = "rujukan"
LABEL = "label"

#: Every kind of column, described in Bahasa Indonesia (docs/privasi.md lists them).
KINDS: dict[str, str] = {
    PERSONS: "hitungan orang (penerima unik)",
    ADDITIVE: "nilai yang dapat dijumlahkan (baris penyaluran, Rupiah)",
    RATE: "rasio dengan penyebut yang diterbitkan (penerima per 1.000 penduduk)",
    SHARE: "pangsa dari total yang diterbitkan (persen penerima)",
    MEAN: "rata-rata (nilai per penerima)",
    DIFFERENCE: "selisih dua angka yang diterbitkan",
    CHANGE: "perubahan persen terhadap bulan lalu",
    SCORE: "angka turunan (capaian, predikat, jumlah program)",
    REFERENCE: "angka rujukan yang memang publik (penduduk, target, anggaran)",
    LABEL: "label baris (kode, nama)",
}

# --- levels ------------------------------------------------------------------------------------

#: Every level a published table sits at: its Indonesian name and whether it lies below city level.
LEVELS: dict[str, tuple[str, bool]] = {
    "kota": ("kota", False),
    "program": ("kota x program", False),
    "opd": ("kota x OPD", False),
    "kategori": ("kota x kategori", False),
    "bulan": ("kota x bulan", False),
    "indikator": ("kota x indikator RPJMD", False),
    "berkas": ("kota x berkas/alasan (catatan yang ditolak, bukan orang)", False),
    "kecamatan": ("kecamatan", True),
    "kelurahan": ("kelurahan", True),
    "kategori_kelurahan": ("kategori x kelurahan", True),
    "jumlah_bantuan": ("kota x jumlah jenis bantuan per orang", True),
    "kombinasi": ("kota x kombinasi bantuan per orang", True),
    "kecamatan_dtks": ("kecamatan (sasaran miskin dan DTKS)", True),
}


@dataclass(frozen=True)
class ColumnRule:
    """What one published column is: its kind, the measure it shows and how it was computed.

    ``measure`` names the quantity (two tables showing the same measure of the same unit
    show one number); ``month`` is this month or last month. Relations: a ``RATE`` is
    ``of[0] x scale / per`` and a ``SHARE`` ``of[0] x scale / total of the level above``,
    rounded to ``decimals``; a ``MEAN`` is ``of[0] / of[1]`` rounded to ``decimals``; a
    ``DIFFERENCE`` is ``of[0] - of[1]``; a ``CHANGE`` is ``of[0] x 100 / of[1]``.
    """

    kind: str
    measure: str = ""
    month: str = THIS_MONTH
    of: tuple[str, ...] = ()
    per: str = ""
    scale: float = 1.0
    decimals: int | None = None

    @property
    def hides(self) -> bool:
        """Whether the column is hidden with its unit (labels and reference figures never are)."""
        return self.kind not in (LABEL, REFERENCE)


@dataclass(frozen=True)
class TableRule:
    """One published table: where it appears, its level, the columns naming a unit and every column's rule."""

    key: str
    title: str
    level: str
    unit: tuple[str, ...] = ()
    columns: Mapping[str, ColumnRule] = field(default_factory=dict)
    published_in: tuple[str, ...] = ()
    #: The measure columns actually published (None: all); the others only feed relations.
    shown_columns: tuple[str, ...] | None = None

    @property
    def below_city(self) -> bool:
        """Whether small counts of persons in this table are suppressed."""
        return LEVELS[self.level][1]

    def column(self, name: str) -> ColumnRule:
        """The rule of a column; a column without an entry is published in full at city level,
        and hidden with its unit below city level."""
        rule = self.columns.get(name)
        if rule is not None:
            return rule
        if name in self.unit:
            return ColumnRule(LABEL)
        return ColumnRule(SCORE if self.below_city else REFERENCE, measure=name)

    def measure_columns(self, names: Iterable[str]) -> list[str]:
        """The columns of ``names`` that are hidden with their unit."""
        return [n for n in names if self.column(n).hides]


def _c(kind: str, measure: str = "", **kw) -> ColumnRule:
    return ColumnRule(kind, measure, **kw)


_LABEL = _c(LABEL)
_POP = _c(REFERENCE, "penduduk")
_AREA_COLUMNS = {
    "kode_kecamatan": _LABEL, "kecamatan": _LABEL, "kode_kelurahan": _LABEL, "kelurahan": _LABEL,
    "penduduk": _POP,
    "penerima_unik": _c(PERSONS, "penerima_unik"),
    "penerima_per_1000": _c(RATE, "penerima_per_1000", of=("penerima_unik",), per="penduduk", scale=1000,
                            decimals=2),
    "jumlah_penyaluran": _c(ADDITIVE, "jumlah_penyaluran"),
    "nilai_total": _c(ADDITIVE, "nilai_total"),
    "program_aktif": _c(SCORE, "program_aktif"),
}
_PROGRAM_COLUMNS = {
    "kode_bantuan": _LABEL, "nama_bantuan": _LABEL, "opd": _LABEL, "kategori": _LABEL,
    "penerima_unik": _c(PERSONS, "penerima_unik"), "target_penerima": _c(REFERENCE, "target_penerima"),
    "capaian_penerima_persen": _c(SCORE, "capaian_penerima_persen"), "predikat_penerima": _c(SCORE),
    "nilai_total": _c(ADDITIVE, "nilai_total"), "anggaran": _c(REFERENCE, "anggaran"),
    "serapan_anggaran_persen": _c(SCORE), "target_serapan_persen": _c(REFERENCE),
    "capaian_serapan_persen": _c(SCORE), "predikat_serapan": _c(SCORE),
}
_EVALUASI_PROGRAM_COLUMNS = {
    **_PROGRAM_COLUMNS, "satuan": _LABEL, "periode_penilaian": _LABEL,
    "penerima_periode": _c(PERSONS, "penerima_periode"), "target_periode": _c(REFERENCE, "target_periode"),
    "status_penilaian": _c(SCORE), "status_serapan": _c(SCORE),
}
_OPD_COLUMNS = {
    "opd": _LABEL, "program_katalog": _c(REFERENCE), "program_terisi": _c(SCORE),
    "kelengkapan_persen": _c(SHARE), "baris_dibaca": _c(ADDITIVE), "baris_diterima": _c(ADDITIVE),
    "baris_karantina": _c(ADDITIVE), "persen_valid": _c(SHARE), "capaian_penerima_rata2": _c(SCORE),
    "predikat": _c(SCORE), "status_penilaian": _c(SCORE),
}
_HTML_XLSX = ("laporan HTML", "laporan XLSX")

#: The rule table: every published table, by the key the report and the maps use.
RULES: dict[str, TableRule] = {rule.key: rule for rule in (
    TableRule("ringkasan", "Angka utama tingkat kota", "kota", columns={
        "penerima_unik": _c(PERSONS, "penerima_unik"), "jumlah_penyaluran": _c(ADDITIVE, "jumlah_penyaluran"),
        "nilai_total": _c(ADDITIVE, "nilai_total"), "penduduk": _POP,
        "penerima_per_1000": _AREA_COLUMNS["penerima_per_1000"]},
        published_in=(RINGKASAN, INDEX, "laporan HTML", "laporan XLSX", CHART_BULANAN)),
    TableRule("rekap_kecamatan", "Cakupan per kecamatan", "kecamatan", ("kode_kecamatan",), _AREA_COLUMNS,
              (*_HTML_XLSX, MAPS["kecamatan"], "peta interaktif")),
    TableRule("rekap_kelurahan", "Cakupan per kelurahan", "kelurahan", ("kode_kelurahan",), _AREA_COLUMNS,
              (*_HTML_XLSX, MAPS["kelurahan"], "peta interaktif")),
    TableRule("rekap_kategori_kelurahan", "Cakupan per kategori bantuan dan kelurahan", "kategori_kelurahan",
              ("kategori", "kode_kelurahan"), {**_AREA_COLUMNS, "kategori": _LABEL},
              (MAPS["kategori"],),
              shown_columns=("penduduk", "penerima_per_1000")),
    TableRule("perubahan_kecamatan", "Perubahan penerima per kecamatan dibanding bulan lalu", "kecamatan",
              ("kode_kecamatan",), {
                  "kode_kecamatan": _LABEL, "kecamatan": _LABEL,
                  "penerima_unik_bulan_lalu": _c(PERSONS, "penerima_unik", month=LAST_MONTH),
                  "penerima_unik": _c(PERSONS, "penerima_unik"),
                  "selisih": _c(DIFFERENCE, "selisih", of=("penerima_unik", "penerima_unik_bulan_lalu")),
                  "perubahan_persen": _c(CHANGE, "perubahan_persen", of=("selisih", "penerima_unik_bulan_lalu"),
                                         scale=100, decimals=2),
                  "nilai_total_bulan_lalu": _c(ADDITIVE, "nilai_total", month=LAST_MONTH),
                  "nilai_total": _c(ADDITIVE, "nilai_total"),
                  "selisih_nilai": _c(DIFFERENCE, "selisih_nilai", of=("nilai_total", "nilai_total_bulan_lalu")),
              }, _HTML_XLSX),
    TableRule("rekap_tumpang_tindih", "Penerima menurut jumlah jenis bantuan yang diterima", "jumlah_bantuan",
              ("jumlah_bantuan",), {
                  "jumlah_bantuan": _LABEL, "penerima": _c(PERSONS, "penerima_unik"),
                  "persen_penerima": _c(SHARE, "persen_penerima", of=("penerima",), scale=100, decimals=2),
                  "nilai_total": _c(ADDITIVE, "nilai_total"),
                  "nilai_rata_rata_per_penerima": _c(MEAN, "nilai_rata_rata", of=("nilai_total", "penerima"),
                                                     decimals=0),
              }, _HTML_XLSX),
    TableRule("kombinasi_program", "Kombinasi jenis bantuan yang paling sering diterima bersamaan", "kombinasi",
              ("kombinasi",), {"kombinasi": _LABEL, "jumlah_bantuan": _LABEL,
                               "penerima": _c(PERSONS, "penerima_unik")}, _HTML_XLSX),
    TableRule("rekap_program", "Penerima dan nilai per jenis bantuan (bulan ini)", "program", ("kode_bantuan",),
              _PROGRAM_COLUMNS, _HTML_XLSX),
    TableRule("evaluasi_program", "Evaluasi program bantuan (tahun berjalan)", "program", ("kode_bantuan",),
              _EVALUASI_PROGRAM_COLUMNS, _HTML_XLSX),
    TableRule("rekap_opd", "Kelengkapan dan kualitas data per OPD", "opd", ("opd",), _OPD_COLUMNS, _HTML_XLSX),
    TableRule("evaluasi_opd", "Kinerja OPD (tahun berjalan)", "opd", ("opd",), _OPD_COLUMNS, _HTML_XLSX),
    TableRule("evaluasi_rpjmd", "Evaluasi indikator RPJMD", "indikator", ("kode_indikator", "tahun"),
              published_in=_HTML_XLSX),
    TableRule("tren_rpjmd", "Seri tahunan indikator RPJMD dan proyeksinya", "indikator", ("kode_indikator", "tahun"),
              published_in=(*_HTML_XLSX, CHART_RPJMD)),
    TableRule("tren_bulanan", "Tren bulanan tingkat kota", "bulan", ("bulan",),
              published_in=(*_HTML_XLSX, CHART_BULANAN)),
    TableRule("karantina_alasan", "Baris dikarantina menurut alasan", "berkas", ("kode_alasan",),
              published_in=_HTML_XLSX),
    TableRule("karantina_berkas", "Baris dikarantina menurut OPD dan berkas", "berkas",
              ("sumber_file", "sumber_sheet"), published_in=_HTML_XLSX),
    TableRule("kualitas_berkas", "Berkas ditolak, diabaikan, diganti, dikoreksi; sheet dan baris dilewati",
              "berkas", ("sumber_file",), published_in=_HTML_XLSX),
    # Its kota and program rows are city level (in full); its kecamatan rows go through suppression.
    TableRule("ketepatan_sasaran", "Ketepatan sasaran terhadap DTKS (baris kecamatan)", "kecamatan_dtks", ("kode",), {
        "tingkat": _LABEL, "kode": _LABEL, "nama": _LABEL,
        "penerima_unik": _c(PERSONS, "penerima_sasaran_miskin"), "penerima_dtks": _c(PERSONS, "penerima_dtks"),
        "persen_penerima_dtks": _c(SHARE, "persen_penerima_dtks", of=("penerima_dtks",), per="penerima_unik",
                                   scale=100, decimals=2),
        "dtks_unik": _c(PERSONS, "dtks_unik"), "dtks_menerima": _c(PERSONS, "dtks_menerima"),
        "persen_dtks_terjangkau": _c(SHARE, "persen_dtks_terjangkau", of=("dtks_menerima",), per="dtks_unik",
                                     scale=100, decimals=2),
    }, _HTML_XLSX),
)}


# --- marks ---------------------------------------------------------------------------------------


def small_count_mask(counts: pd.Series, min_cell: int) -> pd.Series:
    """Flag person counts from 1 to ``min_cell - 1``: they must be shown as ``<min_cell``."""
    numeric = pd.to_numeric(counts, errors="coerce")
    return (numeric >= 1) & (numeric < min_cell)


def primary_mark(min_cell: int) -> str:
    """Return the text a primary-suppressed count shows, e.g. ``<5``."""
    return f"<{int(min_cell)}"


def as_name_list(value: str | Sequence[str] | None) -> list[str]:
    """Normalise a column name or a list of names to a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


#: A unit of suppression: (level, code, month); ``code`` joins a multi-column unit with "|".
Unit = tuple[str, str, str]


def unit_codes(frame: pd.DataFrame, rule: TableRule) -> pd.Series:
    """The code of each row's unit: its unit columns as text, joined with ``|``."""
    missing = [c for c in rule.unit if c not in frame.columns]
    if missing:
        raise KeyError(f"{rule.key}: unit column(s) not in table: {', '.join(missing)}")
    parts = [frame[c].astype("string").fillna("").astype(str) for c in rule.unit]
    codes = parts[0]
    for part in parts[1:]:
        codes = codes + "|" + part
    return codes.reset_index(drop=True).set_axis(frame.index)


@dataclass
class Penyamaran:
    """The hidden units of one run's publication and why (``primary`` or ``secondary``).

    ``knowledge`` holds the public facts the suppression and its audit assumed an attacker
    knows besides the published tables (nominal range, catalogue size, ...).
    """

    min_cell: int
    hidden: dict[Unit, str] = field(default_factory=dict)
    knowledge: dict = field(default_factory=dict)

    def reason(self, level: str, code: str, month: str = THIS_MONTH) -> str:
        """Why a unit is hidden (``primary``/``secondary``), or ``""`` when it is shown."""
        return self.hidden.get((level, str(code), month), SHOWN)

    def hidden_rows(self, frame: pd.DataFrame, key: str, month: str = THIS_MONTH) -> pd.Series:
        """True for each row of ``frame`` (a table of rule ``key``) whose unit is hidden."""
        rule = RULES[key]
        codes = unit_codes(frame, rule)
        return codes.map(lambda c: (rule.level, c, month) in self.hidden).astype(bool)

    def mask(self, frame: pd.DataFrame, key: str) -> pd.DataFrame:
        """Per cell of ``frame`` (a table of rule ``key``): ``""`` shown, ``primary`` (``<N``) or ``secondary``.

        A hidden unit hides every measure column of its row; its count of persons shows
        ``<N`` when the unit is primary, every other cell ``*``. A column computed from two
        months is hidden when either month's unit is.
        """
        rule = RULES[key]
        columns = rule.measure_columns(frame.columns)
        out = pd.DataFrame(SHOWN, index=frame.index, columns=columns, dtype=object)
        if not rule.below_city or not columns or self.min_cell <= 1:
            return out
        codes = unit_codes(frame, rule).tolist()
        months = {THIS_MONTH, LAST_MONTH}
        reasons = {m: np.array([self.hidden.get((rule.level, c, m), SHOWN) for c in codes], dtype=object)
                   for m in months}
        for name in columns:
            col = rule.column(name)
            used = {col.month} | {rule.column(s).month for s in col.of if s in rule.columns}
            code = np.full(len(codes), SHOWN, dtype=object)
            for month in sorted(used):
                code = np.where((code == SHOWN) & (reasons[month] != SHOWN), SECONDARY, code)
            if col.kind == PERSONS:
                code = np.where(reasons[col.month] == PRIMARY, PRIMARY, code)
            out[name] = code
        return out

    def to_json(self) -> dict:
        """A JSON-ready record (for the processed folder: which units, not their values)."""
        units = [{"tingkat": level, "kode": code, "bulan": month, "alasan": why}
                 for (level, code, month), why in sorted(self.hidden.items())]
        return {"min_cell": int(self.min_cell), "disamarkan": units, "pengetahuan": self.knowledge}

    @classmethod
    def from_json(cls, data: Mapping) -> Penyamaran:
        """Read a record written by :meth:`to_json`."""
        hidden = {(u["tingkat"], str(u["kode"]), u["bulan"]): u["alasan"] for u in data.get("disamarkan", [])}
        return cls(int(data["min_cell"]), hidden, dict(data.get("pengetahuan", {})))


# --- display ------------------------------------------------------------------------------------


def _default_formatter(series: pd.Series) -> Callable[[object], str]:
    """Choose a display formatter for a column: integers, two decimals, or text."""
    numeric = pd.to_numeric(series, errors="coerce")
    if series.notna().sum() and numeric.notna().sum() == series.notna().sum():
        finite = numeric.dropna()
        if (finite == finite.round()).all():
            return lambda v: format_number(v, 0)
        return lambda v: format_number(v, 2)
    return lambda v: MISSING_MARK if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)


def apply_mask(
    df: pd.DataFrame,
    mask: pd.DataFrame | None,
    min_cell: int,
    formatters: Mapping[str, Callable[[object], str]] | None = None,
) -> pd.DataFrame:
    """Turn every cell into display text, replacing hidden cells by ``<min_cell`` or ``*``."""
    formatters = dict(formatters or {})
    out = {}
    for col in df.columns:
        fmt = formatters.get(col) or _default_formatter(df[col])
        text = [fmt(v) for v in df[col].tolist()]
        if mask is not None and col in mask.columns:
            codes = mask[col].tolist()
            text = [t if code == SHOWN else primary_mark(min_cell) if code == PRIMARY else HIDDEN_MARK
                    for t, code in zip(text, codes)]
        out[col] = pd.Series(text, index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index)
