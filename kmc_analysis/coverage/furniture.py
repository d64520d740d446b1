"""Map furniture: area labels, scale bar, north arrow, the schematic banner, titles and notes.

Everything a coverage map carries besides its coloured areas, in Bahasa Indonesia:
labels pushed apart where small kelurahan crowd, a scale bar and a north arrow on real
boundaries, the PETA SKEMATIS banner on the tile map, and the title, source and method
notes printed under each map.
"""

from __future__ import annotations

import geopandas as gpd
import matplotlib.patheffects as path_effects
import numpy as np
import pandas as pd
import shapely
from matplotlib.patches import Rectangle
from shapely.ops import polylabel

from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period

SCHEMATIC_LABEL = "PETA SKEMATIS — bukan batas resmi"
_HALO = [path_effects.withStroke(linewidth=2.4, foreground="white")]


def _label_text(name: str, wrap: bool) -> str:
    return name.replace(" ", "\n") if wrap and " " in name else name


def label_point(geometry) -> shapely.Point:
    """The most interior point of an area's largest part (pole of inaccessibility): room for a label."""
    largest = max(shapely.get_parts(geometry), key=lambda part: part.area)
    return polylabel(largest, tolerance=max(largest.area, 1e-12) ** 0.5 / 200)


def label_areas(
    ax, areas: gpd.GeoDataFrame, name: str, value: str, show_value: pd.Series, fontsize: float,
    decimals: int, wrap: bool,
) -> None:
    points = [label_point(g) for g in areas.geometry]
    groups = []
    for (_, row), point, show in zip(areas.iterrows(), points, show_value):
        text = _label_text(str(row[name]), wrap)
        group = [ax.text(point.x, point.y, text, ha="center", va="bottom" if show else "center",
                         fontsize=fontsize, fontweight="bold", color="#1a1a1a", path_effects=_HALO,
                         linespacing=0.95, zorder=5)]
        if show:
            group.append(ax.text(point.x, point.y, format_number(row[value], decimals), ha="center", va="top",
                                 fontsize=fontsize * 0.95, color="#1a1a1a", path_effects=_HALO, zorder=5))
        groups.append(group)
    _separate_labels(ax, groups)


def _separate_labels(ax, groups: list[list], pad_px: float = 14.0, rounds: int = 30) -> None:
    """Push apart labels whose boxes overlap (small neighbouring kelurahan), along the shorter overlap."""
    if len(groups) < 2:
        return
    renderer = ax.figure.canvas.get_renderer()
    boxes = []
    for group in groups:
        extents = [t.get_window_extent(renderer) for t in group]
        boxes.append([min(e.x0 for e in extents), min(e.y0 for e in extents),
                      max(e.x1 for e in extents), max(e.y1 for e in extents)])
    boxes = np.array(boxes)
    shifts = np.zeros((len(groups), 2))
    for _ in range(rounds):
        moved = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = boxes[i], boxes[j]
                dx = min(a[2], b[2]) - max(a[0], b[0]) + pad_px
                dy = min(a[3], b[3]) - max(a[1], b[1]) + pad_px
                if dx <= 0 or dy <= 0:
                    continue
                axis, overlap = (0, dx) if dx < dy else (1, dy)
                centre_i, centre_j = (a[axis] + a[axis + 2]) / 2, (b[axis] + b[axis + 2]) / 2
                sign = 1.0 if centre_i <= centre_j else -1.0
                step = np.zeros(2)
                step[axis] = overlap / 2
                for index, direction in ((i, -sign), (j, sign)):
                    boxes[index] += np.tile(direction * step, 2)
                    shifts[index] += direction * step
                moved = True
        if not moved:
            break
    to_data = ax.transData.inverted()
    for group, shift in zip(groups, shifts):
        if not shift.any():
            continue
        for text in group:
            x, y = ax.transData.transform(text.get_position())
            text.set_position(to_data.transform((x + shift[0], y + shift[1])))


def _scale_length(width_m: float) -> float:
    """A round scale-bar length near a quarter of the map width (1, 2 or 5 x 10^n metres)."""
    target = width_m / 4
    magnitude = 10 ** np.floor(np.log10(target))
    for step in (5, 2, 1):
        if step * magnitude <= target:
            return float(step * magnitude)
    return float(magnitude)


def add_scale_bar(ax) -> None:
    """A two-segment black and white scale bar in the lower right corner (metres CRS)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _scale_length(x1 - x0)
    height = (y1 - y0) * 0.008
    left, bottom = x1 - (x1 - x0) * 0.04 - length, y0 + (y1 - y0) * 0.03
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(Rectangle((left + i * length / 2, bottom), length / 2, height, facecolor=colour,
                               edgecolor="black", linewidth=0.6, zorder=6))
    unit, scale = ("km", 1000.0) if length >= 1000 else ("m", 1.0)
    for fraction in (0.0, 0.5, 1.0):
        text = format_number(length * fraction / scale, 1 if (length * fraction / scale) % 1 else 0)
        ax.text(left + fraction * length, bottom + height * 1.6, text + (f" {unit}" if fraction == 1.0 else ""),
                ha="center", va="bottom", fontsize=7, zorder=6)


def add_north_arrow(ax) -> None:
    """A north arrow marked U (utara) in the upper left corner."""
    ax.annotate("U", xy=(0.06, 0.97), xytext=(0.06, 0.885), xycoords="axes fraction", ha="center", va="center",
                fontsize=11, fontweight="bold",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 3.5, "headwidth": 11,
                            "headlength": 10})


def pad_limits(ax, fraction: float = 0.05) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    dx, dy = (x1 - x0) * fraction, (y1 - y0) * fraction
    ax.set_xlim(x0 - dx, x1 + dx)
    ax.set_ylim(y0 - dy, y1 + dy)


def schematic_banner(ax, fontsize: float = 12) -> None:
    ax.text(0.5, 0.995, SCHEMATIC_LABEL, transform=ax.transAxes, ha="center", va="top", fontsize=fontsize,
            fontweight="bold", color="#a50f15", zorder=7,
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "#a50f15", "linewidth": 1.2})


def suppression_note(min_cell: int) -> str:
    """What the hatching means, in Bahasa Indonesia."""
    return (f"Disamarkan (arsir miring, angka tidak ditampilkan): wilayah dengan 1–{min_cell - 1} penerima, dan "
            f"wilayah lain yang angkanya dapat membuka angka kecil itu dari total. Tidak ada data (arsir silang): "
            f"jumlah penduduk wilayah tidak diketahui.")


def hatch_labels(min_cell: int) -> tuple[str, str]:
    """Legend entries of the two hatchings: suppressed, and no data."""
    return (f"Disamarkan (1–{min_cell - 1} penerima, atau dapat dihitung ulang dari total)",
            "Tidak ada data (penduduk tidak diketahui)")


def source_note(
    *, level: str, population_note: str, boundaries, method: str, min_cell: int, period: Period,
) -> str:
    """The source and method note printed under a map, in Bahasa Indonesia."""
    parts = [
        f"Sumber: data penerima Kartu Metro Ceria (KMC) dari OPD, periode {period.in_words()}, diolah.",
        f"Penduduk: {population_note}.",
        "Metode: penerima unik (satu orang dihitung sekali per wilayah) per 1.000 penduduk; "
        f"kelas warna: {method}.",
        suppression_note(min_cell),
    ]
    if level == "kelurahan":
        parts.append("Penerima yang hanya tercatat kecamatannya tidak masuk peta kelurahan.")
    if boundaries.is_schematic(level):
        parts.append("Batas: peta skematis, setiap kotak mewakili satu kelurahan dengan letak perkiraan; "
                     "bentuk dan luas tidak sesuai kenyataan.")
        if not boundaries.schematic:
            parts.append(f"Berkas batas {boundaries.source} hanya memuat poligon kecamatan; peta kelurahan "
                         f"memerlukan poligon kelurahan.")
    else:
        parts.append(f"Batas wilayah: {boundaries.source}; proyeksi UTM zona 48S (EPSG:32748).")
    return " ".join(parts)


def map_title(period: Period) -> str:
    """The maps' title, e.g. "Cakupan Penerima KMC per 1.000 Penduduk — Maret 2024"."""
    return f"Cakupan Penerima KMC per 1.000 Penduduk — {period.in_words()}"


def kategori_label(kategori: str) -> str:
    """A kategori code as a panel title: ``bantuan_sosial`` -> ``Bantuan sosial``."""
    text = str(kategori).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "(tanpa kategori)"
