"""The schematic tile map: one square per kelurahan in rough relative position.

Used by the maps when no boundary file is given. Kota Metro's layout is drawn by hand
after the real polygons; any other wilayah table gets one block of tiles per kecamatan.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

# Schematic layout: (column, row) of each kelurahan tile, row 0 at the bottom. Laid out by
# hand after the centroids of the real polygons so that neighbours stay neighbours and each
# kecamatan's tiles touch: Metro Utara along the top, Metro Pusat in the middle, Metro Barat
# west, Metro Timur east, Metro Selatan south.
KOTA_METRO_TILES: dict[str, tuple[int, int]] = {
    "18.72.02.1001": (0, 5),  # Banjarsari
    "18.72.02.1002": (1, 5),  # Purwosari
    "18.72.02.1004": (2, 5),  # Purwoasri
    "18.72.02.1003": (3, 5),  # Karangrejo
    "18.72.01.1004": (1, 4),  # Hadimulyo Barat
    "18.72.01.1002": (2, 4),  # Hadimulyo Timur
    "18.72.01.1005": (3, 4),  # Yosomulyo
    "18.72.03.1004": (1, 3),  # Ganjar Asri
    "18.72.01.1003": (2, 3),  # Imopuro
    "18.72.04.1004": (3, 3),  # Yosorejo
    "18.72.04.1001": (4, 3),  # Yosodadi
    "18.72.03.1002": (0, 2),  # Ganjar Agung
    "18.72.03.1001": (1, 2),  # Mulyojati
    "18.72.01.1001": (2, 2),  # Metro
    "18.72.04.1003": (3, 2),  # Iring Mulyo
    "18.72.03.1003": (0, 1),  # Mulyosari
    "18.72.05.1002": (1, 1),  # Margorejo
    "18.72.05.1004": (2, 1),  # Margodadi
    "18.72.04.1005": (3, 1),  # Tejo Agung
    "18.72.05.1003": (1, 0),  # Sumbersari Bantul
    "18.72.05.1001": (2, 0),  # Rejomulyo
    "18.72.04.1002": (3, 0),  # Tejosari
}
#: Side of a schematic tile, in the schematic map's own (unitless) coordinates.
TILE_SIZE = 1000.0


def schematic_tiles(kelurahan: pd.DataFrame) -> gpd.GeoDataFrame:
    """One square per kelurahan (kode_kecamatan, kecamatan, kode_kelurahan, kelurahan), sorted by code.

    Kota Metro's 22 kelurahan use the hand-made layout ``KOTA_METRO_TILES``. A wilayah
    table with other codes gets a generic layout: one block of tiles per kecamatan. The
    tiles have no CRS: their coordinates are the schematic map's own.
    """
    columns = kelurahan.sort_values("kode_kelurahan", ignore_index=True)
    if set(columns["kode_kelurahan"]) <= set(KOTA_METRO_TILES):
        positions = [KOTA_METRO_TILES[c] for c in columns["kode_kelurahan"]]
    else:
        positions = _generic_layout(columns)
    tiles = [box(x * TILE_SIZE, y * TILE_SIZE, (x + 1) * TILE_SIZE, (y + 1) * TILE_SIZE) for x, y in positions]
    return gpd.GeoDataFrame(columns, geometry=tiles, crs=None)


def _generic_layout(columns: pd.DataFrame) -> list[tuple[int, int]]:
    """Blocks of near-square tile grids, one per kecamatan, side by side with a gap."""
    positions: dict[str, tuple[int, int]] = {}
    offset = 0
    for _, group in columns.groupby("kode_kecamatan", sort=True):
        width = math.ceil(math.sqrt(len(group)))
        for i, code in enumerate(group["kode_kelurahan"]):
            positions[code] = (offset + i % width, -(i // width))
        offset += width + 1
    return [positions[c] for c in columns["kode_kelurahan"]]
