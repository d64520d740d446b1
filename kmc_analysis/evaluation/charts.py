"""Stage 3 charts: RPJMD indicators against their targets, and the monthly KMC trend (PNG).

Figures are built without pyplot (no global state, no display backend) and saved without
a software stamp, so the same tables give the same files. The report embeds both charts.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.evaluation.capaian import DATA_KURANG, RPJMD_FINAL_YEAR, RPJMD_YEARS, SESUAI_JALUR, TIDAK_SESUAI_JALUR

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Colour of each status_jalur in the charts and in styled tables.
STATUS_COLOURS = {SESUAI_JALUR: "#1a7837", TIDAK_SESUAI_JALUR: "#d73027", DATA_KURANG: "#6f6f6f"}
#: Most decimals a tick label shows.
MAX_TICK_DECIMALS = 6


def tick_decimals(values) -> int:
    """The fewest decimals (0..6) that show every tick value as exactly as 6 decimals would."""
    finite = [float(v) for v in values if math.isfinite(float(v))]
    for decimals in range(MAX_TICK_DECIMALS + 1):
        if all(round(v, decimals) == round(v, MAX_TICK_DECIMALS) for v in finite):
            return decimals
    return MAX_TICK_DECIMALS


def indonesian_ticks():
    """A matplotlib tick formatter writing numbers the Indonesian way: ``14.000``, ``0,3``, ``2,5``."""
    from matplotlib.ticker import Formatter

    class IndonesianFormatter(Formatter):
        """Dot thousands, comma decimals, as many decimals as the ticks on the axis need."""

        def __call__(self, x, pos=None) -> str:
            return format_number(x, tick_decimals(self.locs if len(self.locs) else [x]))

        def format_ticks(self, values) -> list[str]:
            decimals = tick_decimals(values)
            return [format_number(value, decimals) for value in values]

    return IndonesianFormatter()


def _new_figure(width: float, height: float) -> Figure:
    """A pyplot-free Figure (no global state, no backend needed to save it)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(figure: Figure, path: Path) -> Path:
    """Save ``figure`` to ``path`` (format from its suffix) without a software stamp; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    return path


def plot_rpjmd_trend(tren: pd.DataFrame, path: Path, period: Period) -> Path:
    """Save the RPJMD trend chart (:func:`rpjmd_trend_figure`) to ``path``."""
    return _save(rpjmd_trend_figure(tren, period), path)


def rpjmd_trend_figure(tren: pd.DataFrame, period: Period) -> Figure:
    """Small multiples of realisasi against target per indicator (the report's RPJMD trend chart)."""
    from matplotlib.lines import Line2D

    codes = list(dict.fromkeys(tren["kode_indikator"]))
    ncols = max(1, min(3, len(codes)))
    nrows = max(1, math.ceil(len(codes) / ncols))
    figure = _new_figure(4.4 * ncols, 3.3 * nrows + 0.8)
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False)).ravel()
    projection_col = f"proyeksi_{RPJMD_FINAL_YEAR}"
    for ax, code in zip(axes, codes):
        rows = tren.loc[tren["kode_indikator"] == code]
        status = rows["status_jalur"].iloc[0]
        ax.plot(rows["tahun"], rows["target"], ls="--", marker="o", ms=3, color="#7f7f7f")
        real = rows.dropna(subset=["realisasi"])
        final = real.loc[real["realisasi_sementara"] == "tidak"]
        ax.plot(final["tahun"], final["realisasi"], marker="o", color="#2166ac")
        partial = real.loc[real["realisasi_sementara"] == "ya"]
        ax.plot(partial["tahun"], partial["realisasi"], ls="none", marker="o", mfc="white", color="#2166ac")
        projection = rows[projection_col].iloc[0]
        if not final.empty and not math.isnan(projection) and final["tahun"].iloc[-1] < RPJMD_FINAL_YEAR:
            ax.plot([final["tahun"].iloc[-1], RPJMD_FINAL_YEAR], [final["realisasi"].iloc[-1], projection],
                    ls=":", color=STATUS_COLOURS[status])
        title = textwrap.fill(f"{rows['indikator'].iloc[0]}", 40)
        ax.set_title(f"{title}\n({status})", fontsize=8.5, color=STATUS_COLOURS[status])
        ax.set_ylabel(str(rows["satuan"].iloc[0]), fontsize=8)
        ax.set_xticks(sorted(rows["tahun"].unique()))  # years: no thousands dot
        ax.yaxis.set_major_formatter(indonesian_ticks())
        ax.tick_params(labelsize=7.5)
        ax.grid(alpha=0.3)
    for ax in axes[len(codes):]:
        ax.set_visible(False)
    if not codes:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "Tidak ada indikator RPJMD", ha="center", va="center")
        axes[0].set_axis_off()
    handles = [Line2D([], [], ls="--", marker="o", ms=3, color="#7f7f7f", label="Target RPJMD"),
               Line2D([], [], marker="o", color="#2166ac", label="Realisasi"),
               Line2D([], [], ls="none", marker="o", mfc="white", color="#2166ac",
                      label=f"Realisasi sementara (s.d. {period})"),
               Line2D([], [], ls=":", color="#444444", label=f"Proyeksi tren ke {RPJMD_FINAL_YEAR}")]
    figure.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    figure.suptitle(f"Realisasi dan target indikator RPJMD {RPJMD_YEARS[0]}-{RPJMD_FINAL_YEAR} "
                    f"(data KMC s.d. {period})", fontsize=11)
    return figure


def plot_monthly_trend(trend: pd.DataFrame, path: Path, period: Period) -> Path:
    """Save the monthly trend chart (:func:`monthly_trend_figure`) to ``path``."""
    return _save(monthly_trend_figure(trend, period), path)


def monthly_trend_figure(trend: pd.DataFrame, period: Period) -> Figure:
    """Beneficiaries, amounts paid and valid-row share per processed month (the monthly trend chart)."""
    figure = _new_figure(13, 3.9)
    left, middle, right = figure.subplots(1, 3)
    labels = [Period.parse(month).label() for month in trend["bulan"]]
    x = np.arange(len(labels))
    left.bar(x, trend["penerima_unik"], color="#92c5de", label="Penerima unik bulan ini")
    left.plot(x, trend["penerima_unik_kumulatif"], marker="o", color="#2166ac", label="Kumulatif tahun berjalan")
    left.set_title("Penerima unik", fontsize=10)
    left.set_ylabel("orang")
    left.legend(fontsize=7.5, frameon=False)
    middle.bar(x, trend["nilai_total"] / 1e6, color="#4393c3")
    middle.set_title("Nilai penyaluran", fontsize=10)
    middle.set_ylabel("juta Rupiah")
    right.plot(x, trend["persen_baris_valid"], marker="o", color="#1a7837")
    right.set_ylim(0, 105)
    right.set_title("Baris data valid", fontsize=10)
    right.set_ylabel("persen")
    for ax in (left, middle, right):
        ax.set_xticks(x, labels, fontsize=8)
        ax.yaxis.set_major_formatter(indonesian_ticks())
        ax.grid(axis="y", alpha=0.3)
        if not labels:
            ax.text(0.5, 0.5, "Belum ada data olahan", ha="center", va="center", transform=ax.transAxes)
    figure.suptitle(f"Tren bulanan KMC tahun {period.year} (s.d. {period.label()})", fontsize=11)
    return figure
