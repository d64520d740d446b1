"""Boundaries: read a polygon file, match it to the wilayah reference, dissolve; schematic tiles.

A boundary file may be GeoJSON, GeoPackage, a Shapefile or a zipped Shapefile, in any
CRS. Its features are matched to the kelurahan of ``wilayah`` by Kemendagri code
(``18.72.01.1001``, with or without dots), then by BPS code, then by normalised name
(official spelling or any ``ejaan_lain``), looking at whatever attribute columns the
file has: the columns holding codes or names are recognised by their content, not by
their header. Kelurahan polygons are dissolved into kecamatan.

With no boundary file the maps use a schematic tile map (one square per kelurahan in
rough relative position, laid out by :mod:`kmc_analysis.coverage.schematic`), always
flagged as schematic so that no one mistakes it for official boundaries.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from kmc_analysis.clean.normalize import normalize_place_name
from kmc_analysis.core.errors import BoundaryError
from kmc_analysis.coverage.schematic import schematic_tiles

#: Projected CRS used to dissolve, measure and draw (UTM zone 48S covers Lampung).
DRAW_CRS = "EPSG:32748"
#: Suffixes tried, in this order of preference, when looking for ``RAW/reference/batas*``.
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".shp")
#: Suffixes ``read_boundary_file`` accepts.
READABLE_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip")
#: Holes smaller than this (m2) left between neighbouring kelurahan are closed on dissolve.
SLIVER_AREA_M2 = 500.0
#: What the source of a schematic map is called in notes and outputs.
SCHEMATIC_SOURCE = "peta skematis bawaan (bukan batas resmi)"

_KELURAHAN_COLUMNS = ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"]
_WHAT_TO_DO = (
    "Perbaiki kode (Kemendagri, mis. 18.72.01.1001, atau BPS) atau nama kelurahan pada berkas itu, "
    "atau tunjuk berkas batas lain dengan --boundaries; tanpa berkas batas, peta memakai peta skematis "
    "(fix the codes or names in the file, or point --boundaries at another file)."
)

@dataclass(frozen=True)
class Boundaries:
    """Kelurahan and kecamatan polygons matched to the wilayah reference.

    ``kelurahan`` has kode_kecamatan, kecamatan, kode_kelurahan, kelurahan and geometry;
    ``kecamatan`` has kode_kecamatan, kecamatan and geometry. Both are sorted by code.
    Real boundaries are held in ``DRAW_CRS`` (metres); schematic tiles have no CRS.
    """

    kelurahan: gpd.GeoDataFrame
    kecamatan: gpd.GeoDataFrame
    schematic: bool
    source: str


# --- Finding and reading the file --------------------------------------------------------


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


def read_boundary_file(path: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """Read every polygon layer of a boundary file (pyogrio engine), keyed by layer name.

    Accepts GeoJSON, GeoPackage, Shapefile and a .zip holding a Shapefile (or a GeoJSON
    or GeoPackage). A layer without a CRS is taken as EPSG:4326 when its coordinates fit
    longitude and latitude; otherwise the file is refused.
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
        raise BoundaryError(
            f"Berkas batas '{path}' tidak dapat dibuka ({exc}). Periksa bahwa berkas itu utuh dan "
            f"berformat GeoPackage, GeoJSON atau Shapefile (boundary file cannot be read)."
        ) from exc
    result: dict[str, gpd.GeoDataFrame] = {}
    for name, kind in layers:
        if "polygon" not in kind.lower() and kind.lower() not in ("unknown", "none", "geometry"):
            continue
        frame = gpd.read_file(source, layer=name, engine="pyogrio")
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(frame):
            result[name] = _with_crs(frame, path)
    if not result:
        raise BoundaryError(
            f"Berkas batas '{path}' tidak memuat poligon (hanya titik, garis, atau kosong). "
            f"Gunakan berkas poligon kelurahan (boundary file holds no polygons)."
        )
    return result


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


def _with_crs(frame: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if frame.crs is not None:
        return frame
    minx, miny, maxx, maxy = frame.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return frame.set_crs("EPSG:4326")
    raise BoundaryError(
        f"Berkas batas '{path}' tidak menyebut sistem koordinatnya (CRS) dan koordinatnya bukan "
        f"bujur/lintang. Simpan ulang berkas itu beserta CRS-nya (untuk Shapefile: sertakan .prj) "
        f"(the boundary file has no CRS)."
    )


# --- Matching features to wilayah ---------------------------------------------------------


def _digits(values: pd.Series) -> pd.Series:
    return values.str.replace(r"[^0-9]", "", regex=True)


def _column_text(column: pd.Series) -> pd.Series:
    """Render one attribute column as stripped text; whole floats lose their ``.0``."""
    if pd.api.types.is_float_dtype(column):
        whole = column.notna() & (column == column.round())
        text = column.astype("string")
        text = text.mask(whole, column[whole].astype("Int64").astype("string"))
        return text.fillna("").str.strip()
    return column.astype("string").fillna("").str.strip()


def _lookup_tables(wilayah: pd.DataFrame) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Kemendagri digits, BPS digits and name keys, each mapped to the kode_kelurahan."""
    codes = wilayah["kode_kelurahan"].astype("string")
    kemendagri = dict(zip(_digits(codes), codes))
    bps: dict[str, str] = {}
    if "kode_bps_kelurahan" in wilayah:
        bps_codes = _digits(wilayah["kode_bps_kelurahan"].astype("string").fillna(""))
        bps = {b: c for b, c in zip(bps_codes, codes) if b}
    spellings: list[tuple[str, str]] = []
    extra = wilayah.get("ejaan_lain", pd.Series("", index=wilayah.index)).astype("string").fillna("")
    for code, name, alternatives in zip(codes, wilayah["kelurahan"].astype("string"), extra):
        spellings += [(name, code)] + [(s, code) for s in str(alternatives).split(";") if s.strip()]
    keys = normalize_place_name(pd.Series([s for s, _ in spellings], dtype="string"))
    names: dict[str, set[str]] = {}
    for key, (_, code) in zip(keys, spellings):
        if key:
            names.setdefault(key, set()).add(code)
    unique_names = {k: next(iter(v)) for k, v in names.items() if len(v) == 1}
    return kemendagri, bps, unique_names


@dataclass(frozen=True)
class _ColumnMatch:
    column: str
    scheme: str  # "kemendagri", "bps" or "nama"
    codes: pd.Series  # kode_kelurahan per feature, "" where the column matched nothing

    @property
    def hits(self) -> int:
        return int((self.codes != "").sum())

    @property
    def distinct(self) -> int:
        """Distinct kelurahan the column names: a column saying "Metro" on every row names one."""
        return int(self.codes[self.codes != ""].nunique())


def _candidate_columns(frame: gpd.GeoDataFrame, wilayah: pd.DataFrame) -> list[_ColumnMatch]:
    """Recognise code and name columns by content; best column of each scheme first."""
    kemendagri, bps, names = _lookup_tables(wilayah)
    candidates: list[_ColumnMatch] = []
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        text = _column_text(frame[column])
        digits = _digits(text)
        plain_number = text.str.fullmatch(r"[0-9]+")
        dotted = text.str.fullmatch(r"[0-9]{2}(?:\.[0-9]{2}){2}\.[0-9]{4}")
        looks_like_code = plain_number | dotted
        kem = digits.map(kemendagri).where(looks_like_code).fillna("").astype("string")
        bp = digits.map(bps).where(plain_number).fillna("").astype("string")
        nm = normalize_place_name(text).map(names).where(~looks_like_code).fillna("").astype("string")
        kem_hits, bps_hits = int((kem != "").sum()), int((bp != "").sum())
        # Undotted Kemendagri and BPS kelurahan codes are both 10 digits and some coincide
        # (1872011001 is Metro for Kemendagri, Sumbersari Bantul for BPS): a column is read
        # under the scheme that explains more of its values, dotted values counting for
        # Kemendagri only, a tie going to Kemendagri (the contract's order).
        if kem_hits and kem_hits >= bps_hits:
            candidates.append(_ColumnMatch(str(column), "kemendagri", kem))
        elif bps_hits:
            candidates.append(_ColumnMatch(str(column), "bps", bp))
        if int((nm != "").sum()):
            candidates.append(_ColumnMatch(str(column), "nama", nm))
    order = {"kemendagri": 0, "bps": 1, "nama": 2}
    return sorted(candidates, key=lambda c: (order[c.scheme], -c.distinct, -c.hits))


def match_features(frame: gpd.GeoDataFrame, wilayah: pd.DataFrame) -> pd.DataFrame:
    """Match each feature to a kode_kelurahan: Kemendagri code, then BPS code, then name.

    Returns a frame aligned on ``frame`` with ``kode_kelurahan`` ("" when nothing
    matched), ``cara`` (kemendagri, bps, nama or "") and ``kolom`` (the column used).
    """
    result = pd.DataFrame(
        {"kode_kelurahan": "", "cara": "", "kolom": ""}, index=frame.index, dtype="string"
    )
    for candidate in _candidate_columns(frame, wilayah):
        todo = (result["kode_kelurahan"] == "") & (candidate.codes != "")
        result.loc[todo, "kode_kelurahan"] = candidate.codes[todo]
        result.loc[todo, "cara"] = candidate.scheme
        result.loc[todo, "kolom"] = candidate.column
    return result


def _outside_region(frame: gpd.GeoDataFrame, wilayah: pd.DataFrame) -> pd.Series:
    """Flag features whose code columns hold a code of another regency or city."""
    prefixes = set(_digits(wilayah["kode_kelurahan"].astype("string")).str.slice(0, 4))
    outside = pd.Series(False, index=frame.index)
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        text = _column_text(frame[column])
        code_like = text.str.fullmatch(r"[0-9]{2}(?:\.?[0-9]{2}){2}(?:\.?[0-9]{3,4})")
        foreign = code_like & ~_digits(text).str.slice(0, 4).isin(prefixes)
        outside |= foreign.fillna(False).astype(bool)
    return outside


def _describe_feature(frame: gpd.GeoDataFrame, index) -> str:
    attrs = [
        f"{column}={str(value)[:40]!r}"
        for column, value in frame.loc[index].drop(labels=[frame.geometry.name]).items()
        if pd.notna(value) and str(value).strip()
    ][:4]
    return f"fitur ke-{int(frame.index.get_loc(index)) + 1} ({', '.join(attrs) or 'tanpa atribut'})"


def _listing(items: list[str], limit: int = 10) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; dan {len(items) - limit} lainnya" if len(items) > limit else "")


def match_boundaries(frame: gpd.GeoDataFrame, wilayah: pd.DataFrame, source: str) -> gpd.GeoDataFrame:
    """Attach wilayah codes to a layer's features, or raise BoundaryError saying what is wrong.

    Features of another regency or city (by code) are dropped; features that match no
    kelurahan and kelurahan left without a polygon are both listed in the error. Several
    features of one kelurahan are merged.
    """
    frame = frame.reset_index(drop=True)
    matched = match_features(frame, wilayah)
    # A feature carrying another region's code is outside Kota Metro even when its name
    # happens to be a Metro kelurahan's (Lampung has several Margorejo): drop it.
    outside = _outside_region(frame, wilayah) & matched["cara"].isin(["", "nama"])
    matched.loc[outside, ["kode_kelurahan", "cara", "kolom"]] = ""
    unmatched = matched.index[(matched["kode_kelurahan"] == "") & ~outside]
    covered = set(matched["kode_kelurahan"]) - {""}
    missing = wilayah[~wilayah["kode_kelurahan"].isin(covered)]
    if len(missing) == len(wilayah) and 0 < len(frame) <= wilayah["kode_kecamatan"].nunique():
        error = BoundaryError(
            f"Berkas batas '{source}' tampaknya berisi {len(frame)} poligon kecamatan, bukan kelurahan: "
            f"peta memerlukan poligon {len(wilayah)} kelurahan (kecamatan dibentuk dari gabungannya). "
            + _WHAT_TO_DO
        )
        error.kelurahan_matched = 0
        raise error
    problems = []
    if len(unmatched):
        problems.append(
            f"{len(unmatched)} fitur tidak cocok dengan kelurahan mana pun: "
            + _listing([_describe_feature(frame, i) for i in unmatched])
        )
    if len(missing):
        names = [f"{r.kelurahan} ({r.kode_kelurahan}, Kec. {r.kecamatan})" for r in missing.itertuples()]
        problems.append(f"{len(missing)} kelurahan tidak punya poligon: " + _listing(names, 22))
    if problems:
        error = BoundaryError(f"Berkas batas '{source}': " + ". ".join(problems) + ". " + _WHAT_TO_DO)
        error.kelurahan_matched = len(covered)
        raise error
    keep = matched["kode_kelurahan"] != ""
    geometry = frame.loc[keep].geometry.to_crs(DRAW_CRS).make_valid()
    shapes = gpd.GeoDataFrame(
        {"kode_kelurahan": matched.loc[keep, "kode_kelurahan"].to_numpy()},
        geometry=[_polygonal(g) for g in geometry],
        crs=DRAW_CRS,
    )
    shapes = shapes.dissolve(by="kode_kelurahan", as_index=False)
    columns = wilayah[_KELURAHAN_COLUMNS].astype("string")
    out = columns.merge(shapes, on="kode_kelurahan", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=DRAW_CRS).sort_values("kode_kelurahan", ignore_index=True)


# --- Dissolving and assembling ------------------------------------------------------------


def _polygonal(geometry):
    """Keep only the polygon parts of a geometry (make_valid may add stray lines or points)."""
    parts = [p for p in shapely.get_parts(shapely.get_parts(geometry)) if p.geom_type == "Polygon"]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _close_slivers(geometry, min_area: float):
    """Drop interior rings smaller than ``min_area``: gaps between neighbours, not enclaves."""
    def clean(polygon: shapely.Polygon) -> shapely.Polygon:
        holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= min_area]
        return shapely.Polygon(polygon.exterior, holes)

    return _polygonal(shapely.MultiPolygon([clean(p) for p in shapely.get_parts(_polygonal(geometry))]))


def dissolve_kecamatan(kelurahan: gpd.GeoDataFrame, min_hole_area: float = SLIVER_AREA_M2) -> gpd.GeoDataFrame:
    """Dissolve kelurahan polygons into kecamatan, closing sliver holes along shared edges."""
    dissolved = kelurahan[["kode_kecamatan", "kecamatan", "geometry"]].dissolve(
        by=["kode_kecamatan", "kecamatan"], as_index=False
    )
    geometry = [_close_slivers(g, min_hole_area) for g in dissolved.geometry]
    out = gpd.GeoDataFrame(
        dissolved[["kode_kecamatan", "kecamatan"]], geometry=geometry, crs=kelurahan.crs
    ).sort_values("kode_kecamatan", ignore_index=True)
    out["geometry"] = out.geometry.make_valid()
    return out


def load_boundaries(path: str | Path, wilayah: pd.DataFrame) -> Boundaries:
    """Read a boundary file and match it to ``wilayah``; kecamatan come from dissolving.

    A file with several polygon layers (a GeoPackage) uses the first layer that matches
    every kelurahan; if none does, the error of the best-matching layer is raised.
    """
    path = Path(path)
    layers = read_boundary_file(path)
    errors: list[tuple[int, BoundaryError]] = []
    for name, frame in layers.items():
        source = path.name if len(layers) == 1 else f"{path.name}, layer {name}"
        try:
            kelurahan = match_boundaries(frame, wilayah, source)
        except BoundaryError as exc:
            errors.append((getattr(exc, "kelurahan_matched", 0), exc))
            continue
        return Boundaries(kelurahan, dissolve_kecamatan(kelurahan), schematic=False, source=path.name)
    raise max(errors, key=lambda e: e[0])[1]


def schematic_boundaries(wilayah: pd.DataFrame) -> Boundaries:
    """Build the schematic tile map: one square per kelurahan, kecamatan dissolved from them."""
    kelurahan = schematic_tiles(wilayah[_KELURAHAN_COLUMNS].astype("string"))
    kecamatan = dissolve_kecamatan(kelurahan, min_hole_area=0.0)
    return Boundaries(kelurahan, kecamatan, schematic=True, source=SCHEMATIC_SOURCE)


def attach_rekap(polygons: gpd.GeoDataFrame, rekap: pd.DataFrame, key: str) -> gpd.GeoDataFrame:
    """Left-join a rekap's measures onto polygons by ``key``; names come from the polygons."""
    names = [c for c in ("kode_kecamatan", "kecamatan", "kelurahan", "kategori") if c != key and c in rekap.columns]
    return polygons.merge(rekap.drop(columns=names), on=key, how="left")


def boundaries_for_run(reference_dir: str | Path, boundaries: str | Path | None, wilayah: pd.DataFrame) -> Boundaries:
    """Resolve the run's boundary file per the contract and load it, or fall back to tiles."""
    path = resolve_boundary_path(reference_dir, boundaries)
    return load_boundaries(path, wilayah) if path is not None else schematic_boundaries(wilayah)

