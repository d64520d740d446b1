"""Boundary files on disk: find the run's file, read its polygon layers, fix or refuse its coordinates.

A boundary file may be GeoJSON, GeoPackage, a Shapefile or a zipped Shapefile, in any
CRS. Converted data often has latitude and longitude swapped: a layer whose coordinates
only make sense with x and y exchanged is swapped back (and the run says so); a layer
that lies nowhere near Indonesia is refused with a sentence naming the file and the fix.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from kmc_analysis.core.errors import BoundaryError

#: Suffixes tried, in this order of preference, when looking for ``RAW/reference/batas*``.
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".shp")
#: Suffixes ``read_boundary_file`` accepts.
READABLE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip")
#: Longitude and latitude range of Indonesia, with a margin: a boundary layer must lie inside.
INDONESIA_LON = (94.0, 142.0)
INDONESIA_LAT = (-12.0, 7.0)
#: Files that make up a Shapefile besides the .shp, hashed with it (the attributes live in .dbf).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass
class BoundaryLayers:
    """The polygon layers of one boundary file, each with its features in file order."""

    path: Path
    layers: dict[str, gpd.GeoDataFrame]
    notes: list[str] = field(default_factory=list)  # what was fixed on reading, in Bahasa Indonesia


def resolve_boundary_path(reference_dir: str | Path, boundaries: str | Path | None = "") -> Path | None:
    """Return the boundary file to use, or None for the schematic map.

    An explicit ``boundaries`` path wins (it must exist); otherwise the first of
    ``reference_dir/batas*.{gpkg,geojson,shp}`` in sorted file-name order.
    """
    if boundaries:
        path = Path(boundaries).expanduser()
        if not path.exists():
            raise BoundaryError(
                f"Berkas batas wilayah '{path}' tidak ditemukan. Periksa jalur --boundaries, atau "
                f"kosongkan agar peta memakai RAW/reference/batas* atau peta skematis "
                f"(boundary file not found)."
            )
        return path
    reference_dir = Path(reference_dir)
    if not reference_dir.is_dir():
        return None
    found = [p for p in reference_dir.glob("batas*") if p.suffix.lower() in BOUNDARY_SUFFIXES and p.is_file()]
    return sorted(found, key=lambda p: p.name)[0] if found else None


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a boundary file; of a Shapefile, of its .shp, .shx, .dbf, .prj and .cpg in that order."""
    path = Path(path)
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = [p for p in (path.with_suffix(s) for s in SHAPEFILE_PARTS) if p.is_file()]
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def read_boundary_file(path: str | Path) -> BoundaryLayers:
    """Read every polygon layer of a boundary file (pyogrio engine), keyed by layer name.

    Accepts GeoJSON, GeoPackage, Shapefile and a .zip holding one of them. A layer
    without a CRS is taken as EPSG:4326 when its coordinates are longitude and latitude;
    a layer whose x and y are exchanged is swapped back with a note; a layer that lies
    outside Indonesia under its CRS is refused.
    """
    path = Path(path)
    if path.suffix.lower() not in READABLE_SUFFIXES:
        raise BoundaryError(
            f"Berkas batas '{path.name}' berformat {path.suffix or 'tanpa akhiran'}, yang tidak dikenal. "
            f"Simpan sebagai GeoPackage (.gpkg), GeoJSON (.geojson), Shapefile (.shp) atau Shapefile "
            f"dalam .zip (unsupported boundary file format)."
        )
    source = _vsi_source(path)
    try:
        layers = [(str(name), str(kind)) for name, kind in pyogrio.list_layers(source)]
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise _unreadable(path, exc) from exc
    result = BoundaryLayers(path, {})
    for name, kind in layers:
        if "polygon" not in kind.lower() and kind.lower() not in ("unknown", "none", "geometry"):
            continue
        try:
            frame = gpd.read_file(source, layer=name, engine="pyogrio")
        except Exception as exc:  # a layer GDAL lists but cannot decode
            raise _unreadable(path, exc) from exc
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
        if frame.has_z.any():  # GPS and CAD conversions write Z = 0: the maps draw in two dimensions
            frame = frame.set_geometry(frame.geometry.force_2d())
        if len(frame):
            result.layers[name] = _in_place(frame.reset_index(drop=True), path, name, result.notes)
    if not result.layers:
        raise BoundaryError(
            f"Berkas batas '{path}' tidak memuat poligon (hanya titik, garis, atau kosong). "
            f"Gunakan berkas poligon kelurahan (boundary file holds no polygons)."
        )
    return result


def _unreadable(path: Path, exc: Exception) -> BoundaryError:
    """The file GDAL could not open, said in Indonesian (GDAL's own sentence is English)."""
    text = str(exc)
    try:
        empty = path.is_file() and path.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        reason = "berkasnya kosong, 0 byte"
    elif "not recognized as being in a supported file format" in text or "not recognised" in text:
        reason = "formatnya tidak dikenali atau isinya rusak"
    elif "No such file" in text:
        reason = "berkas itu tidak ada"
    else:
        reason = f"isinya tidak dapat dibaca: {type(exc).__name__}"
    return BoundaryError(
        f"Berkas batas '{path}' tidak dapat dibuka ({reason}). Periksa bahwa berkas itu utuh dan "
        f"berformat GeoPackage, GeoJSON atau Shapefile, atau tunjuk berkas lain dengan --boundaries."
    )


def _vsi_source(path: Path) -> str:
    """Return a path GDAL can open; a .zip is opened on the first data file inside it."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise BoundaryError(
            f"Berkas zip '{path}' rusak atau tidak dapat dibuka ({exc}). Buat ulang zip berisi "
            f".shp, .shx, .dbf dan .prj (the zip file is damaged)."
        ) from exc
    for suffix in (".shp", ".gpkg", ".geojson", ".json"):
        inner = [m for m in members if m.lower().endswith(suffix) and not m.startswith("__MACOSX")]
        if inner:
            return f"/vsizip/{path.resolve()}/{inner[0]}"
    raise BoundaryError(
        f"Berkas zip '{path}' tidak memuat .shp, .gpkg atau .geojson. Masukkan Shapefile lengkap "
        f"(.shp, .shx, .dbf, .prj) ke dalam zip (the zip holds no boundary file)."
    )


# --- Coordinates: CRS, swapped axes, plausibility -----------------------------------------------


def _lonlat_bounds(frame: gpd.GeoDataFrame) -> np.ndarray | None:
    """Longitude/latitude bounds of a layer under its CRS; None when they cannot be computed."""
    try:
        bounds = frame.geometry.to_crs("EPSG:4326").total_bounds if not frame.crs.is_geographic \
            else frame.total_bounds
    except Exception:  # a projection that fails on these coordinates  # noqa: BLE001
        return None
    return bounds if np.isfinite(bounds).all() else None


def _in_indonesia(bounds: np.ndarray | None) -> bool:
    if bounds is None:
        return False
    minx, miny, maxx, maxy = bounds
    return (INDONESIA_LON[0] <= minx <= maxx <= INDONESIA_LON[1]
            and INDONESIA_LAT[0] <= miny <= maxy <= INDONESIA_LAT[1])


def swap_axes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with x and y exchanged in every coordinate (CRS kept)."""
    swapped = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    return frame.set_geometry(gpd.GeoSeries(swapped, index=frame.index, crs=frame.crs))


def _in_place(frame: gpd.GeoDataFrame, path: Path, layer: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Give the layer a CRS, swap exchanged axes back, or refuse a layer that is not in Indonesia."""
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -180 <= miny <= maxy <= 180):
            raise BoundaryError(
                f"Berkas batas '{path}' tidak menyebut sistem koordinatnya (CRS) dan koordinatnya bukan "
                f"bujur/lintang. Simpan ulang berkas itu beserta CRS-nya (untuk Shapefile: sertakan .prj) "
                f"(the boundary file has no CRS)."
            )
        frame = frame.set_crs("EPSG:4326", allow_override=True)
    if _in_indonesia(_lonlat_bounds(frame)):
        return frame
    swapped = swap_axes(frame)
    if _in_indonesia(_lonlat_bounds(swapped)):
        notes.append(
            f"Koordinat berkas batas '{path.name}'"
            + (f" (layer {layer})" if layer and layer != path.stem else "")
            + " tertukar (lintang tertulis sebagai bujur): sudah ditukar kembali sebelum dipetakan. "
              "Perbaiki berkas sumbernya agar peta lain tidak salah letak."
        )
        return swapped
    bounds = _lonlat_bounds(frame)
    where = ("" if bounds is None else
             f" (bujur {bounds[0]:.2f} s.d. {bounds[2]:.2f}, lintang {bounds[1]:.2f} s.d. {bounds[3]:.2f})")
    raise BoundaryError(
        f"Berkas batas '{path}' menurut CRS-nya ({frame.crs.to_string()}) terletak di luar Indonesia{where}, "
        f"juga bila lintang dan bujur ditukar. Periksa CRS berkas itu (untuk Shapefile: berkas .prj) dan "
        f"simpan ulang dengan CRS yang benar, mis. EPSG:4326 (boundary coordinates are not in Indonesia)."
    )
