"""Coverage maps for print (A4 PNG): choropleths and their classes.

Choropleths of penerima_per_1000 by kecamatan and by kelurahan, and small multiples by
kategori of bantuan. Classes come from mapclassify (Fisher-Jenks natural breaks, with
the number of classes adapted to the number of areas). Areas without data, and areas
whose rate is suppressed (1 to min_cell - 1 persons, or a complement that would give
such a count away: the published tables' rule, display.hidden_rates), are drawn hatched
with their own legend entry and no value printed: never left blank (a missing value
makes an area vanish from a plain geopandas choropleth). Everything on a map is in
Bahasa Indonesia. Figures are built with ``matplotlib.figure.Figure`` (no pyplot state)
and saved without a timestamp, so the same input gives the same PNG. Labels, scale bar,
north arrow, titles and notes are drawn by :mod:`kmc_analysis.coverage.furniture`.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image as PILImage

from kmc_analysis.core.disclosure import Penyamaran
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import MAPS
from kmc_analysis.coverage.boundaries import Boundaries, attach_rekap
from kmc_analysis.coverage.display import hidden_rates
from kmc_analysis.coverage.furniture import (
    SCHEMATIC_LABEL,
    add_north_arrow,
    add_scale_bar,
    kategori_label,
    label_areas,
    map_title,
    pad_limits,
    schematic_banner,
    source_note,
    suppression_note,
)

A4_PORTRAIT = (8.27, 11.69)
DPI = 200
#: PNG metadata: no "Software" version string, so output does not change with matplotlib.
PNG_METADATA = {"Software": None}
CMAP = "YlGnBu"

#: Fill and hatch of the two kinds of area without a printed value.
SUPPRESSED_STYLE = {"facecolor": "#e3e3e3", "edgecolor": "#6b6b6b", "hatch": "////"}
NO_DATA_STYLE = {"facecolor": "#ffffff", "edgecolor": "#8c8c8c", "hatch": "xx"}


# --- Classification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Classes:
    """A classification of the drawable values: class per area and a label per class."""

    klass: pd.Series  # class number per area, -1 where hatched (no data or suppressed)
    labels: list[str]
    method: str  # how the classes were made, in Bahasa Indonesia


def class_count(n_areas: int) -> int:
    """Number of classes suited to a map of ``n_areas``: 3 for the 5 kecamatan, 5 for 22 kelurahan."""
    if n_areas <= 6:
        return 3
    if n_areas <= 12:
        return 4
    return 5


def value_decimals(values: pd.Series) -> int:
    """Decimals to print rates with: 1, or 2 when the values lie within a narrow range."""
    values = values.dropna()
    return 1 if len(values) and values.max() - values.min() >= 5 else 2


def classify(values: pd.Series, drawable: pd.Series, k: int | None = None, decimals: int = 2) -> Classes:
    """Classify ``values`` where ``drawable`` with Fisher-Jenks natural breaks.

    ``k`` defaults to ``class_count`` of the drawable areas and never exceeds the number of
    distinct values; all-equal values make a single class. Labels give each class's
    lowest and highest member value.
    """
    klass = pd.Series(-1, index=values.index, dtype="int64")
    valid = values[drawable & values.notna()].astype("float64")
    distinct = int(valid.nunique())
    if distinct == 0:
        return Classes(klass, [], "tidak ada nilai untuk dikelaskan")
    k = min(k or class_count(len(valid)), distinct)
    if k == 1:
        klass[valid.index] = 0
        method = "satu kelas (semua nilai sama)"
    else:
        with warnings.catch_warnings():
            # Without numba mapclassify says it falls back to pure Python: fine for 22 areas.
            warnings.filterwarnings("ignore", message="Numba not installed")
            scheme = mapclassify.FisherJenks(valid.to_numpy(), k=k)
        klass[valid.index] = np.asarray(scheme.yb, dtype="int64")
        method = f"pemutusan alami Jenks (Fisher-Jenks), {k} kelas"
    labels = []
    for number in range(k):
        members = valid[klass[valid.index] == number]
        low, high = format_number(members.min(), decimals), format_number(members.max(), decimals)
        labels.append(low if low == high else f"{low} – {high}")
    return Classes(klass, labels, method)


def class_colours(k: int) -> list:
    """``k`` colours of the sequential colour map, light to dark, avoiding the extremes."""
    cmap = colormaps[CMAP]
    return [cmap(x) for x in (np.linspace(0.18, 0.88, k) if k > 1 else [0.5])]


# --- Areas to hatch ---------------------------------------------------------------------------


def _states(areas: gpd.GeoDataFrame, rekap: pd.DataFrame, kind: str, min_cell: int,
            penyamaran: Penyamaran | None = None) -> tuple[pd.Series, pd.Series]:
    """Which areas are suppressed and which have no value to draw, aligned on ``areas``.

    Suppression is the published tables' (display.hidden_rates): a count of 1 to
    min_cell - 1 persons, and any other area whose rate would let it be recomputed.
    """
    key = "kode_kecamatan" if kind == "kecamatan" else "kode_kelurahan"
    hidden = hidden_rates(rekap, kind, min_cell, penyamaran)
    hidden_codes = set(rekap.loc[hidden.to_numpy(), key])
    suppressed = pd.Series(areas[key].isin(hidden_codes).to_numpy(), index=areas.index)
    no_data = areas["penerima_per_1000"].isna() & ~suppressed
    return suppressed, no_data


# --- Drawing ---------------------------------------------------------------------------------


def _draw_areas(
    ax, areas: gpd.GeoDataFrame, suppressed: pd.Series, no_data: pd.Series, k: int | None, decimals: int,
) -> tuple[Classes, list[Patch], list[Patch]]:
    """Fill each area by class of penerima_per_1000, hatch the rest; return classes and legend handles."""
    classes = classify(areas["penerima_per_1000"], ~suppressed & ~no_data, k=k, decimals=decimals)
    colours = class_colours(len(classes.labels))
    if len(colours) == 1 and not areas.loc[classes.klass == 0, "penerima_per_1000"].any():
        colours = class_colours(2)[:1]  # every drawable area is 0: the lightest colour, not a middle one
    class_handles, hatch_handles = [], []
    for number, (label, colour) in enumerate(zip(classes.labels, colours)):
        members = areas[classes.klass == number]
        members.plot(ax=ax, facecolor=colour, edgecolor="none", linewidth=0)
        class_handles.append(Patch(facecolor=colour, edgecolor="#4d4d4d", linewidth=0.5, label=label))
    for mask, style, label in (
        (suppressed, SUPPRESSED_STYLE, "Disamarkan"),
        (no_data, NO_DATA_STYLE, "Tidak ada data"),
    ):
        if mask.any():
            areas[mask].plot(ax=ax, linewidth=0.6, **style)
            hatch_handles.append(Patch(linewidth=0.6, label=label, **style))
    return classes, class_handles, hatch_handles


def _outline(ax, frame: gpd.GeoDataFrame, colour: str, width: float) -> None:
    frame.boundary.plot(ax=ax, color=colour, linewidth=width)


def plot_coverage_map(
    boundaries: Boundaries,
    rekap: pd.DataFrame,
    *,
    level: str,
    period: Period,
    min_cell: int = 5,
    population_note: str = "perkiraan",
    penyamaran: Penyamaran | None = None,
) -> Figure:
    """Draw the A4 portrait choropleth of penerima_per_1000 by ``level`` (kecamatan or kelurahan).

    ``rekap`` is rekap_kecamatan or rekap_kelurahan. Suppressed and no-data areas are
    hatched with a legend entry and printed without a value; real boundaries get a scale
    bar and a north arrow, schematic tiles a "PETA SKEMATIS" banner instead.
    """
    if level not in ("kecamatan", "kelurahan"):
        raise ValueError(f"level must be 'kecamatan' or 'kelurahan', not {level!r}")
    polygons = boundaries.kecamatan if level == "kecamatan" else boundaries.kelurahan
    areas = attach_rekap(polygons, rekap, f"kode_{level}")
    decimals = value_decimals(areas["penerima_per_1000"])

    fig = Figure(figsize=A4_PORTRAIT, dpi=DPI)
    FigureCanvasAgg(fig)  # a renderer to measure labels with
    ax = fig.add_axes((0.04, 0.235, 0.92, 0.665))
    ax.set_axis_off()
    suppressed, no_data = _states(areas, rekap, level, min_cell, penyamaran)
    classes, class_handles, hatch_handles = _draw_areas(ax, areas, suppressed, no_data, None, decimals)
    if level == "kelurahan":
        _outline(ax, boundaries.kelurahan, "#595959", 0.5)
    _outline(ax, boundaries.kecamatan, "#1a1a1a", 1.4 if level == "kelurahan" else 1.0)
    ax.set_aspect("equal")
    pad_limits(ax, 0.04)
    fontsize = {("kecamatan", False): 10, ("kelurahan", False): 6.8, ("kecamatan", True): 12,
                ("kelurahan", True): 8.5}[(level, boundaries.schematic)]
    label_areas(ax, areas, level, "penerima_per_1000", ~suppressed & ~no_data, fontsize=fontsize,
                 decimals=decimals, wrap=level == "kelurahan")
    if boundaries.schematic:
        schematic_banner(ax)
    else:
        add_scale_bar(ax)
        add_north_arrow(ax)

    fig.text(0.5, 0.962, map_title(period), ha="center", va="center", fontsize=15, fontweight="bold")
    fig.text(0.5, 0.935, f"Menurut {level}, Kota Metro", ha="center", va="center", fontsize=11.5, color="#333333")
    legend_style = {"loc": "upper left", "fontsize": 9, "frameon": False, "handlelength": 2.2, "handleheight": 1.4}
    if class_handles:
        fig.legend(handles=class_handles, title="Penerima per 1.000 penduduk", bbox_to_anchor=(0.07, 0.225),
                   title_fontsize=9.5, alignment="left", **legend_style)
    if hatch_handles:
        fig.legend(handles=hatch_handles, title="Tanpa nilai", bbox_to_anchor=(0.45, 0.225), title_fontsize=9.5,
                   alignment="left", **legend_style)
    note = source_note(level=level, population_note=population_note, boundary_source=boundaries.source,
                       schematic=boundaries.schematic, method=classes.method, min_cell=min_cell, period=period)
    fig.text(0.07, 0.085, textwrap.fill(note, 118), ha="left", va="top", fontsize=7.2, color="#333333",
             linespacing=1.4)
    return fig


def plot_category_maps(
    boundaries: Boundaries,
    rekap_kategori: pd.DataFrame,
    *,
    period: Period,
    min_cell: int = 5,
    population_note: str = "perkiraan",
    penyamaran: Penyamaran | None = None,
) -> Figure:
    """Draw small multiples of penerima_per_1000 by kelurahan, one panel per kategori (A4 portrait).

    Each panel has its own classes (categories differ in size by orders of magnitude), so
    colours compare kelurahan within a panel, not across panels.
    """
    kategori = sorted(rekap_kategori["kategori"].astype("string").fillna("").unique())
    fig = Figure(figsize=A4_PORTRAIT, dpi=DPI)
    method = ""
    for i, box in enumerate(_panel_boxes(len(kategori), boundaries.kelurahan.total_bounds)):
        name = kategori[i]
        ax = fig.add_axes(box)
        ax.set_axis_off()
        rows = rekap_kategori[rekap_kategori["kategori"] == name].reset_index(drop=True)
        kel = attach_rekap(boundaries.kelurahan, rows, "kode_kelurahan")
        decimals = value_decimals(kel["penerima_per_1000"])
        suppressed, no_data = _states(kel, rows, "kategori", min_cell, penyamaran)
        classes, class_handles, hatch_handles = _draw_areas(ax, kel, suppressed, no_data, 4, decimals)
        handles = class_handles + hatch_handles
        method = classes.method.split(",")[0]
        _outline(ax, boundaries.kelurahan, "#808080", 0.3)
        _outline(ax, boundaries.kecamatan, "#1a1a1a", 0.8)
        ax.set_aspect("equal")
        ax.set_title(kategori_label(name), fontsize=10.5, fontweight="bold", pad=3)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=6.5,
                  frameon=False, handlelength=1.6, handleheight=1.0, columnspacing=1.0)
    fig.text(0.5, 0.962, map_title(period), ha="center", va="center", fontsize=15, fontweight="bold")
    fig.text(0.5, 0.937, "Menurut kategori bantuan dan kelurahan; skala warna tiap panel berbeda", ha="center",
             va="center", fontsize=11, color="#333333")
    if boundaries.schematic:
        fig.text(0.5, 0.915, SCHEMATIC_LABEL, ha="center", va="center", fontsize=11, fontweight="bold",
                 color="#a50f15")
    note = (f"Sumber: data penerima KMC dari OPD, periode {period.in_words()}, diolah. Penduduk: "
            f"{population_note}. Metode: penerima unik per kategori per 1.000 penduduk; kelas: "
            f"{method or 'tidak ada nilai'} per panel. {suppression_note(min_cell)} Batas: {boundaries.source}.")
    fig.text(0.07, 0.088, textwrap.fill(note, 118), ha="left", va="top", fontsize=7.2, color="#333333",
             linespacing=1.4)
    return fig


def _panel_boxes(n: int, bounds, top: float = 0.885, bottom: float = 0.11) -> list[tuple[float, ...]]:
    """Axes boxes (figure fractions) of ``n`` map panels on A4 portrait, rows packed from the top.

    Each panel is given the map's own aspect ratio, with room above for its title and below
    for its legend, so that no space is lost to equal-aspect shrinking.
    """
    width_in, height_in = A4_PORTRAIT
    ncols = 2 if n <= 4 else 3 if n <= 9 else 4
    nrows = int(np.ceil(n / ncols)) if n else 0
    aspect = (bounds[3] - bounds[1]) / max(bounds[2] - bounds[0], 1e-9)
    title_in, legend_in = 0.3, 0.75
    cell_in = (0.94 * width_in) / ncols
    map_w = cell_in * 0.92
    map_h = map_w * aspect
    room = (top - bottom) * height_in
    if nrows and nrows * (map_h + title_in + legend_in) > room:
        map_h = room / nrows - title_in - legend_in
        map_w = map_h / aspect
    row_in = map_h + title_in + legend_in
    start = top - (room - nrows * row_in) / 2 / height_in  # centre the rows vertically
    boxes = []
    for i in range(n):
        row, col = divmod(i, ncols)
        x = 0.03 + (col * cell_in + (cell_in - map_w) / 2) / width_in
        y = start - (row * row_in + title_in + map_h) / height_in
        boxes.append((x, y, map_w / width_in, map_h / height_in))
    return boxes


def save_png(fig: Figure, path: str | Path) -> Path:
    """Save a figure as PNG at ``DPI`` without a software stamp (same figure, same bytes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png", metadata=PNG_METADATA, facecolor="white")
    return path


def preview_png(path: str | Path, width: int = 900) -> bytes:
    """A smaller copy of a map PNG for embedding in a notebook (the print file stays full size)."""
    with PILImage.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((width, width * 2), PILImage.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.quantize(colors=128).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_coverage_maps(
    boundaries: Boundaries,
    rekap_kec: pd.DataFrame,
    rekap_kel: pd.DataFrame,
    out_dir: str | Path,
    *,
    period: Period,
    min_cell: int = 5,
    population_note: str = "perkiraan",
    rekap_kategori: pd.DataFrame | None = None,
    penyamaran: Penyamaran | None = None,
) -> dict[str, Path]:
    """Write the kecamatan and kelurahan maps and (given its rekap) the kategori map; keyed by level.

    ``penyamaran`` is the run's suppression (coverage.display.suppress_coverage): the maps
    hatch exactly the areas the report's tables hide.
    """
    out_dir = Path(out_dir)
    written = {}
    for level, rekap in (("kecamatan", rekap_kec), ("kelurahan", rekap_kel)):
        fig = plot_coverage_map(boundaries, rekap, level=level, period=period, min_cell=min_cell,
                                population_note=population_note, penyamaran=penyamaran)
        written[level] = save_png(fig, out_dir / MAPS[level])
    if rekap_kategori is not None and len(rekap_kategori):
        fig = plot_category_maps(boundaries, rekap_kategori, period=period, min_cell=min_cell,
                                 population_note=population_note, penyamaran=penyamaran)
        written["kategori"] = save_png(fig, out_dir / MAPS["kategori"])
    return written
