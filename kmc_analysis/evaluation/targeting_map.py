"""The DTKS coverage map: share of DTKS persons reached by poor-targeted programs, by kecamatan (A4 PNG).

Drawn with stage 2's map parts (:mod:`kmc_analysis.coverage.maps` classes, colours, hatch
styles and PNG writer; :mod:`kmc_analysis.coverage.furniture` labels, scale bar, north arrow,
schematic banner), so it looks like the coverage maps. A kecamatan whose share is hidden by
the publication rule (:func:`kmc_analysis.evaluation.targeting.kecamatan_mask`) is hatched
as suppressed; one without DTKS persons as no data: never left blank.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from kmc_analysis.core.disclosure import SHOWN
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import MAP_DTKS
from kmc_analysis.coverage.boundaries import Boundaries, attach_rekap
from kmc_analysis.coverage.furniture import add_north_arrow, add_scale_bar, label_areas, pad_limits, schematic_banner
from kmc_analysis.coverage.maps import (
    A4_PORTRAIT,
    DPI,
    NO_DATA_STYLE,
    SUPPRESSED_STYLE,
    class_colours,
    classify,
    save_png,
)
from kmc_analysis.evaluation.targeting import KECAMATAN, kecamatan_mask

VALUE = "persen_dtks_terjangkau"


def dtks_coverage_figure(boundaries: Boundaries, ketepatan: pd.DataFrame, period: Period,
                         min_cell: int = 5) -> Figure:
    """Choropleth of persen_dtks_terjangkau by kecamatan from ketepatan_sasaran's kecamatan rows."""
    rows = ketepatan.loc[ketepatan["tingkat"] == KECAMATAN].reset_index(drop=True)
    hidden = kecamatan_mask(rows, min_cell)[VALUE] != SHOWN
    rekap = rows.rename(columns={"kode": "kode_kecamatan"})[["kode_kecamatan", VALUE]]
    areas = attach_rekap(boundaries.kecamatan, rekap, "kode_kecamatan")
    hidden_codes = set(rows.loc[hidden.to_numpy(), "kode"])
    suppressed = pd.Series(areas["kode_kecamatan"].isin(hidden_codes).to_numpy(), index=areas.index)
    no_data = areas[VALUE].isna() & ~suppressed

    figure = Figure(figsize=A4_PORTRAIT, dpi=DPI)
    FigureCanvasAgg(figure)  # a renderer to measure labels with
    ax = figure.add_axes((0.04, 0.235, 0.92, 0.665))
    ax.set_axis_off()
    classes = classify(areas[VALUE], ~suppressed & ~no_data, decimals=1)
    handles = []
    for number, (label, colour) in enumerate(zip(classes.labels, class_colours(len(classes.labels)))):
        areas[classes.klass == number].plot(ax=ax, facecolor=colour, edgecolor="none", linewidth=0)
        handles.append(Patch(facecolor=colour, edgecolor="#4d4d4d", linewidth=0.5, label=f"{label}%"))
    for where, style, label in ((suppressed, SUPPRESSED_STYLE, "Disamarkan"), (no_data, NO_DATA_STYLE, "Tidak ada data")):
        if where.any():
            areas[where].plot(ax=ax, linewidth=0.6, **style)
            handles.append(Patch(linewidth=0.6, label=label, **style))
    boundaries.kecamatan.boundary.plot(ax=ax, color="#1a1a1a", linewidth=1.0)
    ax.set_aspect("equal")
    pad_limits(ax, 0.04)
    label_areas(ax, areas, "kecamatan", VALUE, ~suppressed & ~no_data, fontsize=12 if boundaries.schematic else 10,
                decimals=1, wrap=False)
    if boundaries.schematic:
        schematic_banner(ax)
    else:
        add_scale_bar(ax)
        add_north_arrow(ax)
    figure.text(0.5, 0.962, f"Orang DTKS yang Terjangkau Bantuan KMC — {period.in_words()}",
                ha="center", va="center", fontsize=15, fontweight="bold")
    figure.text(0.5, 0.935, "Persen orang DTKS yang menerima program bagi warga miskin, menurut kecamatan, Kota Metro",
                ha="center", va="center", fontsize=10.5, color="#333333")
    if handles:
        figure.legend(handles=handles, title="% orang DTKS terjangkau", bbox_to_anchor=(0.07, 0.225), loc="upper left",
                      fontsize=9, title_fontsize=9.5, frameon=False, alignment="left", handlelength=2.2,
                      handleheight=1.4)
    note = (f"Sumber: data penerima KMC dari OPD, {period.in_words()}, dan ekstrak DTKS (SIKS-NG), diolah; orang "
            f"dicocokkan lewat pseudonim NIK, tanpa menyimpan NIK. Metode: orang DTKS di kecamatan itu yang menerima "
            f"setidaknya satu program bersasaran rumah tangga miskin (sasaran_miskin = ya) pada bulan laporan, dibagi "
            f"orang DTKS kecamatan itu; kelas warna: {classes.method}. Disamarkan: jumlah orang 1–{min_cell - 1} dan "
            f"angka yang dapat membukanya. Tidak ada data: tidak ada orang DTKS di kecamatan itu. "
            f"Batas: {boundaries.source}.")
    figure.text(0.07, 0.085, textwrap.fill(note, 118), ha="left", va="top", fontsize=7.2, color="#333333",
                linespacing=1.4)
    return figure


def write_dtks_coverage_map(boundaries: Boundaries, ketepatan: pd.DataFrame, folder: Path, period: Period,
                            min_cell: int = 5) -> Path:
    """Write the DTKS coverage map into a report folder (store.MAP_DTKS); return its path."""
    return save_png(dtks_coverage_figure(boundaries, ketepatan, period, min_cell), Path(folder) / MAP_DTKS)
