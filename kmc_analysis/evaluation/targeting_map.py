"""The DTKS coverage map: share of DTKS persons reached by poor-targeted programs, by kecamatan (A4 PNG).

Drawn by stage 2's choropleth (:func:`kmc_analysis.coverage.maps.plot_area_map`), so it
looks like the coverage maps. A kecamatan whose share is hidden by
the publication rule (:func:`kmc_analysis.evaluation.targeting.kecamatan_mask`) is hatched
as suppressed; one without DTKS persons as no data: never left blank.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from kmc_analysis.core.disclosure import SHOWN
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import MAP_DTKS
from kmc_analysis.coverage.boundaries import Boundaries, attach_rekap
from kmc_analysis.coverage.map_classes import classify
from kmc_analysis.coverage.maps import MapTexts, plot_area_map, save_png
from kmc_analysis.evaluation.targeting import KECAMATAN, kecamatan_mask

VALUE = "persen_dtks_terjangkau"


def dtks_coverage_figure(boundaries: Boundaries, ketepatan: pd.DataFrame, period: Period,
                         min_cell: int = 5) -> Figure:
    """Choropleth of persen_dtks_terjangkau by kecamatan from ketepatan_sasaran's kecamatan rows."""
    rows = ketepatan.loc[ketepatan["tingkat"] == KECAMATAN].reset_index(drop=True)
    hidden = kecamatan_mask(rows, min_cell)[VALUE] != SHOWN
    rekap = rows.rename(columns={"kode": "kode_kecamatan"})[["kode_kecamatan", VALUE]]
    areas = attach_rekap(boundaries.polygons("kecamatan"), rekap, "kode_kecamatan")
    hidden_codes = set(rows.loc[hidden.to_numpy(), "kode"])
    suppressed = pd.Series(areas["kode_kecamatan"].isin(hidden_codes).to_numpy(), index=areas.index)
    no_data = areas[VALUE].isna() & ~suppressed
    classes = classify(areas[VALUE], ~suppressed & ~no_data, decimals=1)
    note = (f"Sumber: data penerima KMC dari OPD, {period.in_words()}, dan ekstrak DTKS (SIKS-NG), diolah; orang "
            f"dicocokkan lewat pseudonim NIK, tanpa menyimpan NIK. Metode: orang DTKS di kecamatan itu yang menerima "
            f"setidaknya satu program bersasaran rumah tangga miskin (sasaran_miskin = ya) pada bulan laporan, dibagi "
            f"orang DTKS kecamatan itu; kelas warna: {classes.method}. Disamarkan: jumlah orang 1–{min_cell - 1} dan "
            f"angka yang dapat membukanya. Tidak ada data: tidak ada orang DTKS di kecamatan itu. "
            f"Batas: {boundaries.source}.")
    texts = MapTexts(
        title=f"Orang DTKS yang Terjangkau Bantuan KMC — {period.in_words()}",
        subtitle="Persen orang DTKS yang menerima program bagi warga miskin, menurut kecamatan, Kota Metro",
        legend_title="% orang DTKS\nterjangkau",
        hatch_labels=(f"Disamarkan (1–{min_cell - 1} orang, atau dapat dihitung ulang)",
                      "Tidak ada data (tidak ada orang DTKS)"),
        note=note, unit="%")
    return plot_area_map(boundaries, areas, level="kecamatan", value=VALUE, classes=classes, suppressed=suppressed,
                         no_data=no_data, decimals=1, texts=texts)


def write_dtks_coverage_map(boundaries: Boundaries, ketepatan: pd.DataFrame, folder: Path, period: Period,
                            min_cell: int = 5) -> Path:
    """Write the DTKS coverage map into a report folder (store.MAP_DTKS); return its path."""
    return save_png(dtks_coverage_figure(boundaries, ketepatan, period, min_cell), Path(folder) / MAP_DTKS)
