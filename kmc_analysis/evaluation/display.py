"""What a planner reads in the stage 3 notebook: styled tables, the summary and the notes.

Nothing here computes an evaluation: the tables come from :mod:`kmc_analysis.evaluation.tables`
and are only styled (:func:`style_table`) or summarised in Bahasa Indonesia
(:func:`summary_markdown`). Program, kategori and OPD figures are city-level figures and are
shown in full (CONTRACT 3); the summary calls behind plan only what the in-year rule judged
final (:mod:`kmc_analysis.evaluation.in_year`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from kmc_analysis.core.formatting import format_id
from kmc_analysis.core.reference import ReferenceData
from kmc_analysis.evaluation.capaian import (
    DATA_KURANG,
    PREDIKAT_LABELS,
    RPJMD_FINAL_YEAR,
    SESUAI_JALUR,
    TIDAK_SESUAI_JALUR,
)
from kmc_analysis.evaluation.charts import STATUS_COLOURS
from kmc_analysis.evaluation.in_year import (
    SEMENTARA,
    behind_plan,
    budgets_behind_plan,
    programs_behind_plan,
    provisional,
)
from kmc_analysis.evaluation.tables import Evaluation, indicator_status, is_percent_column

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

#: Background and text colour of each predikat in styled tables.
PREDIKAT_COLOURS: dict[str, tuple[str, str]] = {
    "Sangat Tinggi": ("#1a7837", "#ffffff"),
    "Tinggi": ("#a6dba0", "#000000"),
    "Sedang": ("#fee08b", "#000000"),
    "Rendah": ("#fdae61", "#000000"),
    "Sangat Rendah": ("#d73027", "#ffffff"),
}


def _predikat_css(value: object) -> str:
    """CSS of a predikat cell: its band's background and text colour."""
    colours = PREDIKAT_COLOURS.get(value if isinstance(value, str) else "")
    return f"background-color: {colours[0]}; color: {colours[1]}" if colours else ""


def _status_css(value: object) -> str:
    """CSS of a status_jalur cell: its colour, bold."""
    colour = STATUS_COLOURS.get(value if isinstance(value, str) else "")
    return f"color: {colour}; font-weight: bold" if colour else ""


def style_table(table: pd.DataFrame) -> Styler:
    """Styler for the notebook: predikat cells coloured by band, numbers the Indonesian way, no index."""
    numeric = [c for c in table.columns if c != "tahun" and (pd.api.types.is_numeric_dtype(table[c])
                                                             or c in ("penerima_unik", "nilai_total"))]
    styler = table.style.hide(axis="index").format(escape="html")
    styler = styler.relabel_index([c.replace("_", " ") for c in table.columns], axis="columns")
    for column in numeric:
        styler = styler.format(lambda v, fixed=is_percent_column(column): html.escape(format_id(v, fixed)),
                               subset=[column])
    marked = [c for c in table.columns if c.startswith("predikat")]
    if marked:
        styler = styler.map(_predikat_css, subset=marked)
    if "status_jalur" in table.columns:
        styler = styler.map(_status_css, subset=["status_jalur"])
    return styler


def _names(values: Iterable[str], limit: int = 6) -> str:
    """Join names with commas, the ones past ``limit`` counted (``a, b, dan 3 lainnya``)."""
    items = list(values)
    shown = ", ".join(items[:limit])
    return f"{shown}, dan {len(items) - limit} lainnya" if len(items) > limit else shown


def summary_markdown(evaluation: Evaluation) -> str:
    """A short Bahasa Indonesia narrative of the evaluation, computed from its tables.

    Only rows whose judgement is final are called behind plan; rows below plan whose payment
    period (or year) is not over are listed apart as provisional, never as failing.
    """
    year = evaluation.period.year
    lines = []
    months = ", ".join(month.label() for month in evaluation.months)
    lines.append(f"- Data olahan tahun berjalan: **{months}**; penduduk kota {year}: "
                 f"{format_id(evaluation.penduduk_kota)} jiwa (dasar penerima per 1.000 penduduk).")
    if evaluation.missing_months:
        lines.append(f"- Bulan tanpa data olahan (tidak ikut dihitung): "
                     f"{', '.join(month.label() for month in evaluation.missing_months)}.")
    now = evaluation.rpjmd.loc[evaluation.rpjmd["tahun"] == year]
    rated = now.loc[now["predikat"] != ""]
    counts = rated["predikat"].value_counts()
    bands = ", ".join(f"{counts[label]} {label}" for label in PREDIKAT_LABELS if label in counts)
    lines.append(f"- Indikator RPJMD tahun {year}: {len(rated)} dari {len(now)} dapat dinilai"
                 + (f" ({bands})" if bands else "") + ".")
    if (rated["status_penilaian"] == SEMENTARA).any():
        lines.append(f"- Indikator dari data KMC bersifat **sementara** sampai Desember: jumlah dibandingkan dengan "
                     f"target x {evaluation.period.month}/12, persentase dengan target setahun.")
    empty = now.loc[now["predikat"] == "", "indikator"]
    if len(empty):
        lines.append(f"- Belum dapat dinilai (target atau realisasi {year} belum ada): {_names(empty)}.")
    behind = behind_plan(now)
    if len(behind):
        lines.append(f"- **Tertinggal dari rencana** tahun {year}: {_names(behind['indikator'])}.")
    waiting = provisional(now)
    if len(waiting):
        lines.append(f"- Di bawah rencana sementara (tahun belum selesai, belum dinilai gagal): "
                     f"{_names(waiting['indikator'])}.")
    status = indicator_status(evaluation.tren_rpjmd)
    for label, verb in ((SESUAI_JALUR, "**Sesuai jalur** menuju target"),
                        (TIDAK_SESUAI_JALUR, "**Tidak sesuai jalur** menuju target"),
                        (DATA_KURANG, "Data belum cukup untuk menilai jalur menuju target")):
        names = status.loc[status["status_jalur"] == label, "indikator"]
        if len(names):
            lines.append(f"- {verb} {RPJMD_FINAL_YEAR}: {_names(names)}.")
    lines += _program_lines(evaluation.program)
    lines += [f"- {note}" for note in evaluation.notes]
    return "\n".join(lines)


def _program_lines(program) -> list[str]:
    """The summary's sentences on programs: no data, behind plan (final), provisional, spending."""
    lines = []
    no_data = program.loc[program["penerima_unik"].isna()]
    if len(no_data):
        lines.append(f"- OPD yang belum mengirim data tahun ini: {_names(sorted(no_data['opd'].unique()))} "
                     f"({len(no_data)} program belum dapat dinilai).")
    behind = programs_behind_plan(program)
    if len(behind):
        lines.append(f"- Program dengan penerima **tertinggal dari rencana** (Rendah atau Sangat Rendah pada periode "
                     f"pembayaran yang sudah selesai): {_names(behind['nama_bantuan'])}.")
    waiting = provisional(program, "predikat_penerima", "status_penilaian")
    if len(waiting):
        lines.append(f"- Program yang belum mencapai rencana tetapi periode pembayarannya belum selesai "
                     f"(sementara, tidak dinilai gagal): {_names(waiting['nama_bantuan'])}.")
    spending = budgets_behind_plan(program)
    if len(spending):
        lines.append(f"- Serapan anggaran tertinggal dari porsi "
                     f"{format_id(program['target_serapan_persen'].iloc[0], True)}% tahun berjalan (penilaian final): "
                     f"{_names(spending['nama_bantuan'])}.")
    return lines


def reference_note(ref: ReferenceData) -> str:
    """A footnote saying which reference tables are the bundled (illustrative or estimated) defaults."""
    sources = getattr(ref, "sources", {}) or {}
    bundled = [name for name in ("rpjmd_indikator", "rpjmd_realisasi", "program_bantuan", "penduduk")
               if sources.get(name) == "bawaan"]
    if not bundled:
        return ""
    return (f"Catatan: tabel {', '.join(bundled)} memakai data bawaan workbook. Target RPJMD dan katalog bantuan "
            f"bawaan bersifat ilustratif dan jumlah penduduk per kelurahan adalah perkiraan; ganti dengan data "
            f"resmi di folder reference/ agar evaluasi ini dapat dipakai.")
