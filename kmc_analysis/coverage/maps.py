"""Coverage maps for print: choropleths 17 cm wide at 200 dpi, full width of an A4 report page.

Choropleths of penerima_per_1000 by kecamatan and by kelurahan, and small multiples by
kategori of bantuan. Classes come from :mod:`kmc_analysis.coverage.map_classes` (rounded
breaks that never split areas within 5 % of each other). Areas without data, and areas
whose rate is suppressed (the published tables' rule, display.hidden_rates), are drawn
hatched with their own legend entry and no value printed: never left blank. Everything
on a map is in Bahasa Indonesia with Indonesian number style. Figures are built with
``matplotlib.figure.Figure`` (no pyplot state) and saved without a timestamp, so the same
input gives the same PNG. Labels, scale bar, north arrow, titles and notes are drawn by
:mod:`kmc_analysis.coverage.furniture`.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image as PILImage

from kmc_analysis.core.disclosure import Penyamaran
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import MAPS
from kmc_analysis.coverage.boundaries import Boundaries, attach_rekap
from kmc_analysis.coverage.furniture import (
    SCHEMATIC_LABEL,
    add_north_arrow,
    add_scale_bar,
    hatch_labels,
    kategori_label,
    label_areas,
    map_title,
    pad_limits,
    schematic_banner,
    source_note,
    suppression_note,
)
from kmc_analysis.coverage.map_classes import (
    CLOSE_SHARE,
    Classes,
    area_states,
    class_colours,
    classify,
    value_decimals,
)

#: Print width of every map: the text width of an A4 page with 2 cm margins.
WIDTH_CM = 17.0
WIDTH_IN = WIDTH_CM / 2.54
DPI = 200
#: PNG metadata: no "Software" version string, so output does not change with matplotlib.
PNG_METADATA = {"Software": None}
#: Fill and hatch of the two kinds of area without a printed value.
SUPPRESSED_STYLE = {"facecolor": "#e3e3e3", "edgecolor": "#6b6b6b", "hatch": "////"}
NO_DATA_STYLE = {"facecolor": "#ffffff", "edgecolor": "#8c8c8c", "hatch": "xx"}
_NOTE_FONT = 6.8
#: How the panels of the kategori map are classed, for its note.
PANEL_METHOD = (f"pemutusan alami (Jenks) dengan batas dibulatkan, atau satu kelas bila selisih antarkelurahan tidak "
                f"lebih dari {format_number(CLOSE_SHARE * 100)}%")
#: Characters per line of the note under a map (6.8 pt over 16.5 cm).
_NOTE_CHARS = 122


# --- Drawing ---------------------------------------------------------------------------------


def _draw_areas(
    ax, areas: gpd.GeoDataFrame, value: str, classes: Classes, suppressed: pd.Series, no_data: pd.Series,
    hatch_texts: tuple[str, str], wrap: int, unit: str = "",
) -> tuple[list[Patch], list[Patch]]:
    """Fill each area by its class of ``value``, hatch the rest; return the legend handles."""
    colours = class_colours(len(classes.labels))
    if len(colours) == 1 and not areas.loc[classes.klass == 0, value].any():
        colours = class_colours(2)[:1]  # every drawable area is 0: the lightest colour, not a middle one
    class_handles, hatch_handles = [], []
    for number, (label, colour) in enumerate(zip(classes.labels, colours)):
        members = areas[classes.klass == number]
        members.plot(ax=ax, facecolor=colour, edgecolor="none", linewidth=0)
        class_handles.append(Patch(facecolor=colour, edgecolor="#4d4d4d", linewidth=0.5, label=label + unit))
    hatchings = ((suppressed, SUPPRESSED_STYLE, hatch_texts[0]), (no_data, NO_DATA_STYLE, hatch_texts[1]))
    for mask, style, label in hatchings:
        if mask.any():
            areas[mask].plot(ax=ax, linewidth=0.5, **style)
            hatch_handles.append(Patch(linewidth=0.5, label=textwrap.fill(label, wrap), **style))
    return class_handles, hatch_handles


def _outline(ax, frame: gpd.GeoDataFrame, colour: str, width: float) -> None:
    frame.boundary.plot(ax=ax, color=colour, linewidth=width)


def _aspect(frame: gpd.GeoDataFrame, pad: float) -> float:
    minx, miny, maxx, maxy = frame.total_bounds
    return (maxy - miny) * (1 + 2 * pad) / max((maxx - minx) * (1 + 2 * pad), 1e-9)


def _note_height(text: str, width_chars: int, fontsize: float = _NOTE_FONT) -> float:
    """Inches taken by a wrapped note."""
    return len(textwrap.wrap(text, width_chars)) * fontsize * 1.45 / 72


@dataclass(frozen=True)
class MapTexts:
    """What a choropleth says: title, subtitle, legend title, hatch legend entries, note, value unit."""

    title: str
    subtitle: str
    legend_title: str
    hatch_labels: tuple[str, str]
    note: str
    unit: str = ""


def plot_area_map(
    boundaries: Boundaries,
    areas: gpd.GeoDataFrame,
    *,
    level: str,
    value: str,
    classes: Classes,
    suppressed: pd.Series,
    no_data: pd.Series,
    decimals: int,
    texts: MapTexts,
) -> Figure:
    """Draw a choropleth of ``value`` over ``areas`` (polygons of ``level`` with the value), 17 cm wide.

    The map fills the left of the figure, the legend its right; title above, note below.
    Suppressed and no-data areas are hatched with a legend entry and printed without a
    value; real boundaries get a scale bar and a north arrow, schematic tiles a
    "PETA SKEMATIS" banner instead. Shared by the coverage maps and stage 3's DTKS map.
    """
    schematic = boundaries.is_schematic(level)
    map_w, pad = 4.7, 0.03
    map_h = map_w * _aspect(areas, pad)
    if map_h > 6.2:
        map_h, map_w = 6.2, 6.2 / _aspect(areas, pad)
    top, gap = 0.62, 0.12
    note_h = _note_height(texts.note, _NOTE_CHARS) + 0.1
    height = top + map_h + gap + note_h + 0.12
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    _CanvasDrawnOnSave(fig)  # a renderer to measure labels with
    ax = fig.add_axes((0.1 / WIDTH_IN, (gap + note_h + 0.12) / height, map_w / WIDTH_IN, map_h / height))
    ax.set_axis_off()
    class_handles, hatch_handles = _draw_areas(ax, areas, value, classes, suppressed, no_data, texts.hatch_labels,
                                               21, texts.unit)
    if level == "kelurahan":
        _outline(ax, boundaries.kelurahan, "#595959", 0.4)
    _outline(ax, boundaries.kecamatan_outlines(level), "#1a1a1a", 1.1 if level == "kelurahan" else 0.9)
    ax.set_aspect("equal")
    pad_limits(ax, pad)
    fontsize = {("kecamatan", False): 8, ("kelurahan", False): 5.6, ("kecamatan", True): 9,
                ("kelurahan", True): 6.4}[(level, schematic)]
    label_areas(ax, areas, level, value, ~suppressed & ~no_data, fontsize=fontsize,
                decimals=decimals, wrap=level == "kelurahan")
    if schematic:
        schematic_banner(ax, fontsize=8.5)
    else:
        add_scale_bar(ax)
        add_north_arrow(ax)

    fig.text(0.5, 1 - 0.22 / height, texts.title, ha="center", va="center", fontsize=12.5, fontweight="bold")
    fig.text(0.5, 1 - 0.46 / height, texts.subtitle, ha="center", va="center", fontsize=9.5, color="#333333")
    legend_x = (0.1 + map_w + 0.15) / WIDTH_IN
    legend_top = 1 - (top + 0.05) / height
    legend_style = {"loc": "upper left", "fontsize": 7.2, "frameon": False, "handlelength": 2.0,
                    "handleheight": 1.3, "alignment": "left", "title_fontsize": 8}
    if class_handles:
        first = fig.legend(handles=class_handles, title=texts.legend_title,
                           bbox_to_anchor=(legend_x, legend_top), **legend_style)
        extent = first.get_window_extent(fig.canvas.get_renderer())
        legend_top = extent.y0 / fig.bbox.height - 0.15 / height
    if hatch_handles:
        fig.legend(handles=hatch_handles, title="Tanpa angka (diarsir)", bbox_to_anchor=(legend_x, legend_top),
                   **legend_style)
    fig.text(0.1 / WIDTH_IN, (note_h + 0.12) / height, textwrap.fill(texts.note, _NOTE_CHARS),
             ha="left", va="top", fontsize=_NOTE_FONT, color="#333333", linespacing=1.35)
    return fig


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
    """Draw the choropleth of penerima_per_1000 by ``level`` (kecamatan or kelurahan), 17 cm wide.

    ``rekap`` is rekap_kecamatan or rekap_kelurahan; hidden areas follow the published
    tables' rule (:func:`~kmc_analysis.coverage.map_classes.area_states`).
    """
    if level not in ("kecamatan", "kelurahan"):
        raise ValueError(f"level must be 'kecamatan' or 'kelurahan', not {level!r}")
    areas = attach_rekap(boundaries.polygons(level), rekap, f"kode_{level}")
    suppressed, no_data = area_states(areas, rekap, level, min_cell, penyamaran)
    decimals = value_decimals(areas["penerima_per_1000"])
    classes = classify(areas["penerima_per_1000"], ~suppressed & ~no_data, decimals=decimals)
    note = source_note(level=level, population_note=population_note, boundaries=boundaries, method=classes.method,
                       min_cell=min_cell, period=period)
    texts = MapTexts(map_title(period), f"Menurut {level}, Kota Metro", "Penerima per\n1.000 penduduk",
                     hatch_labels(min_cell), note)
    return plot_area_map(boundaries, areas, level=level, value="penerima_per_1000", classes=classes,
                         suppressed=suppressed, no_data=no_data, decimals=decimals, texts=texts)


def _panel_boxes(n: int, aspect: float, width_in: float, top_in: float) -> tuple[list[tuple[float, ...]], float]:
    """Axes boxes (in inches from the top left) of ``n`` map panels; and the height they take.

    Each panel is given the map's own aspect ratio, with room above for its kategori title
    and below for its legend, so that no space is lost to equal-aspect shrinking.
    """
    ncols = 2 if n <= 2 else 3 if n <= 6 else 4
    nrows = int(np.ceil(n / ncols)) if n else 0
    title_in, legend_in = 0.3, 0.62
    cell_in = (width_in - 0.2) / ncols
    map_w = cell_in * 0.9
    map_h = map_w * aspect
    if map_h > 3.2:
        map_h, map_w = 3.2, 3.2 / aspect
    row_in = title_in + map_h + legend_in
    boxes = []
    for i in range(n):
        row, col = divmod(i, ncols)
        x = 0.1 + col * cell_in + (cell_in - map_w) / 2
        y = top_in + row * row_in + title_in
        boxes.append((x, y, map_w, map_h))
    return boxes, nrows * row_in


def plot_category_maps(
    boundaries: Boundaries,
    rekap_kategori: pd.DataFrame,
    *,
    period: Period,
    min_cell: int = 5,
    population_note: str = "perkiraan",
    penyamaran: Penyamaran | None = None,
) -> Figure:
    """Draw small multiples of penerima_per_1000 by kelurahan, one panel per kategori, each titled with it.

    Each panel has its own classes (categories differ in size by orders of magnitude), so
    colours compare kelurahan within a panel, not across panels.
    """
    kategori = sorted(rekap_kategori["kategori"].astype("string").fillna("").unique())
    schematic = boundaries.is_schematic("kelurahan")
    top_in = 0.62 + (0.2 if schematic else 0.0)
    boxes, panels_in = _panel_boxes(len(kategori), _aspect(boundaries.kelurahan, 0.0), WIDTH_IN, top_in)
    note = (f"Sumber: data penerima KMC dari OPD, periode {period.in_words()}, diolah. Penduduk: "
            f"{population_note}. Metode: penerima unik per kategori per 1.000 penduduk; kelas warna per panel: "
            f"{PANEL_METHOD}. " + suppression_note(min_cell) + f" Batas: {boundaries.source_of('kelurahan')}.")
    note_h = _note_height(note, _NOTE_CHARS) + 0.1
    height = top_in + panels_in + 0.1 + note_h + 0.1
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    _CanvasDrawnOnSave(fig)
    outlines = boundaries.kecamatan_outlines("kelurahan")
    for name, (x, y, w, h) in zip(kategori, boxes):
        ax = fig.add_axes((x / WIDTH_IN, 1 - (y + h) / height, w / WIDTH_IN, h / height))
        ax.set_axis_off()
        rows = rekap_kategori[rekap_kategori["kategori"] == name].reset_index(drop=True)
        kel = attach_rekap(boundaries.kelurahan, rows, "kode_kelurahan")
        decimals = value_decimals(kel["penerima_per_1000"])
        suppressed, no_data = area_states(kel, rows, "kategori", min_cell, penyamaran)
        classes = classify(kel["penerima_per_1000"], ~suppressed & ~no_data, k=4, decimals=decimals)
        class_handles, hatch_handles = _draw_areas(ax, kel, "penerima_per_1000", classes, suppressed, no_data,
                                                   hatch_labels(min_cell), 30)
        _outline(ax, boundaries.kelurahan, "#808080", 0.25)
        _outline(ax, outlines, "#1a1a1a", 0.7)
        ax.set_aspect("equal")
        ax.set_title(kategori_label(name), fontsize=9, fontweight="bold", pad=3)
        hatch_short = [Patch(label=h.get_label().split(" (")[0], facecolor=h.get_facecolor(),
                             edgecolor=h.get_edgecolor(), hatch=h.get_hatch(), linewidth=0.5) for h in hatch_handles]
        ax.legend(handles=class_handles + hatch_short, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2,
                  fontsize=6, frameon=False, handlelength=1.5, handleheight=1.0, columnspacing=0.8)
    fig.text(0.5, 1 - 0.22 / height, map_title(period), ha="center", va="center", fontsize=12.5, fontweight="bold")
    fig.text(0.5, 1 - 0.46 / height, "Menurut kategori bantuan dan kelurahan; skala warna tiap panel berbeda",
             ha="center", va="center", fontsize=9.5, color="#333333")
    if schematic:
        fig.text(0.5, 1 - 0.68 / height, SCHEMATIC_LABEL, ha="center", va="center", fontsize=9, fontweight="bold",
                 color="#a50f15")
    fig.text(0.1 / WIDTH_IN, (note_h + 0.1) / height, textwrap.fill(note, _NOTE_CHARS),
             ha="left", va="top", fontsize=_NOTE_FONT, color="#333333", linespacing=1.35)
    return fig


class _CanvasDrawnOnSave(FigureCanvasAgg):
    """An Agg canvas that leaves drawing to ``savefig``.

    geopandas asks the canvas to redraw after every layer it plots (``draw_idle``), and an
    Agg canvas then renders the whole figure at once: some forty full renders for a month's
    maps, most of stage 2's time on a small month. The figure is drawn once, when saved.
    """

    def draw_idle(self, *args, **kwargs) -> None:
        pass


def save_png(fig: Figure, path: str | Path) -> Path:
    """Save a figure as PNG at ``DPI`` without a software stamp (same figure, same bytes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png", metadata=PNG_METADATA, facecolor="white")
    return path


def preview_png(path: str | Path, width: int = 900) -> bytes:
    """A smaller copy of a map PNG for embedding in a notebook (the print file stays full size).

    Not ``optimize``-d: trying every compression setting took a third of the time for 2 % fewer bytes.
    """
    with PILImage.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((width, width * 2), PILImage.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.quantize(colors=128).save(buffer, format="PNG")
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
