"""Boundaries for the maps: load a boundary file matched to wilayah, or fall back to schematic tiles.

A file of kelurahan polygons (BIG/RBI, GADM level 4, BPS Wilkerstat, the MIT set) gives
both maps: its features are matched to wilayah (:mod:`~kmc_analysis.coverage.boundary_match`),
made valid, and dissolved into kecamatan with the slivers between neighbours closed. A
file of kecamatan polygons only (geoBoundaries ADM3) gives the kecamatan map, and the
kelurahan map falls back to the schematic tiles with a note. With no file both maps use
the schematic tile map (:mod:`~kmc_analysis.coverage.schematic`), always labelled as such.

What was used is recorded for the manifest (``Boundaries.record``: path, sha256, the
matching column, features used and set aside, schematic or not) and every fix or choice
made on the way is a note in Bahasa Indonesia (``Boundaries.notes``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from kmc_analysis.core.errors import BoundaryError
from kmc_analysis.coverage.boundary_files import file_sha256, read_boundary_file, resolve_boundary_path
from kmc_analysis.coverage.boundary_match import (
    LevelMatch,
    area_level,
    attribute_texts,
    foreign_features,
    match_level,
)
from kmc_analysis.coverage.schematic import schematic_tiles

#: Projected CRS used to dissolve, measure and draw (UTM zone 48S covers Lampung).
DRAW_CRS = "EPSG:32748"
#: Gaps up to this width (m) between neighbouring kelurahan are closed when dissolving kecamatan.
SLIVER_WIDTH_M = 20.0
#: Holes smaller than this (m2) left inside a dissolved kecamatan are filled.
SLIVER_AREA_M2 = 500.0
#: What the source of a schematic map is called in notes and outputs.
SCHEMATIC_SOURCE = "peta skematis bawaan (bukan batas resmi)"
LEVELS = ("kecamatan", "kelurahan")

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
    ``kecamatan`` has kode_kecamatan, kecamatan and geometry; both sorted by code. Real
    boundaries are held in ``DRAW_CRS`` (metres); schematic tiles have no CRS.
    ``schematic_levels`` names the levels drawn as tiles.
    """

    kelurahan: gpd.GeoDataFrame
    kecamatan: gpd.GeoDataFrame
    source: str
    schematic_levels: frozenset[str] = frozenset()
    record: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def schematic(self) -> bool:
        """True when no map uses real boundaries (no boundary file)."""
        return self.schematic_levels >= set(LEVELS)

    def is_schematic(self, level: str) -> bool:
        """Whether the map of ``level`` is drawn as schematic tiles."""
        return level in self.schematic_levels

    def polygons(self, level: str) -> gpd.GeoDataFrame:
        """The polygons of ``level`` (kecamatan or kelurahan)."""
        return self.kecamatan if level == "kecamatan" else self.kelurahan

    def kecamatan_outlines(self, level: str) -> gpd.GeoDataFrame:
        """Kecamatan polygons in the coordinates of ``level``'s map (tiles when that map is schematic)."""
        if level == "kelurahan" and self.is_schematic("kelurahan") and not self.is_schematic("kecamatan"):
            return dissolve_kecamatan(self.kelurahan, gap_m=0.0, min_hole_area=0.0)
        return self.kecamatan

    def source_of(self, level: str) -> str:
        """Where ``level``'s polygons come from, for notes under a map."""
        return SCHEMATIC_SOURCE if self.is_schematic(level) else self.source


# --- Geometry ---------------------------------------------------------------------------------


def polygonal(geometry):
    """Keep only the polygon parts of a geometry (make_valid may add stray lines or points)."""
    parts = [p for p in shapely.get_parts(shapely.get_parts(geometry)) if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def valid_polygons(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Each geometry made valid (shapely make_valid) and reduced to its polygon parts."""
    fixed = [polygonal(g) for g in shapely.make_valid(geometry.to_numpy())]
    return gpd.GeoSeries(fixed, index=geometry.index, crs=geometry.crs)


def _fill_small_holes(geometry, min_area: float):
    """Drop interior rings smaller than ``min_area``: gaps between neighbours, not enclaves."""
    def clean(polygon: shapely.Polygon) -> shapely.Polygon:
        holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= min_area]
        return shapely.Polygon(polygon.exterior, holes)

    return polygonal(shapely.MultiPolygon([clean(p) for p in shapely.get_parts(polygonal(geometry))]))


def close_slivers(geometry, gap_m: float = SLIVER_WIDTH_M, min_hole_area: float = SLIVER_AREA_M2):
    """Close gaps narrower than ``gap_m`` (buffer out, then back in: a morphological closing) and small holes.

    Raw polygons of neighbouring kelurahan rarely share their edges exactly: dissolved
    as they are, a kecamatan keeps sliver lines and specks inside. The closing is done in
    metres, so ``geometry`` must be in a metric CRS.
    """
    if gap_m > 0:
        geometry = shapely.buffer(shapely.buffer(geometry, gap_m / 2, quad_segs=4), -gap_m / 2, quad_segs=4)
    return shapely.make_valid(_fill_small_holes(geometry, min_hole_area))


def dissolve_kecamatan(
    kelurahan: gpd.GeoDataFrame, gap_m: float = SLIVER_WIDTH_M, min_hole_area: float = SLIVER_AREA_M2
) -> gpd.GeoDataFrame:
    """Dissolve kelurahan polygons into kecamatan, closing sliver gaps and holes along shared edges."""
    dissolved = kelurahan[["kode_kecamatan", "kecamatan", "geometry"]].dissolve(
        by=["kode_kecamatan", "kecamatan"], as_index=False
    )
    geometry = [polygonal(close_slivers(g, gap_m, min_hole_area)) for g in dissolved.geometry]
    return gpd.GeoDataFrame(
        dissolved[["kode_kecamatan", "kecamatan"]], geometry=geometry, crs=kelurahan.crs
    ).sort_values("kode_kecamatan", ignore_index=True)


# --- Messages -------------------------------------------------------------------------------------


def _listing(items: list[str], limit: int = 10) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; dan {len(items) - limit} lainnya" if len(items) > limit else "")


def _describe(texts: dict[str, pd.Series], position: int, first: list[str]) -> str:
    """A feature as its number in the file and a few telling attributes, e.g. ``fitur ke-3 (NAME_4='Metro')``."""
    order = [c for c in first if c in texts] + [c for c in texts if c not in first]
    attrs = []
    for column in order:
        value = str(texts[column].iloc[position])
        if value and value.lower() not in ("na", "nan", "null", "none"):
            attrs.append(f"{column}={value[:40]!r}")
    return f"fitur ke-{position + 1} ({', '.join(attrs[:3]) or 'tanpa atribut'})"


def _first_columns(match: LevelMatch) -> list[str]:
    return [part for column in match.columns for part in column.split("+")]


def _outside_note(match: LevelMatch, texts: dict[str, pd.Series], source: str) -> str | None:
    outside = [int(i) for i in match.outside.index[match.outside != ""]]
    if not outside:
        return None
    items = [f"{_describe(texts, i, _first_columns(match))}: {match.outside.iloc[i]}" for i in outside]
    return (f"{len(outside)} fitur pada berkas batas '{source}' bukan bagian Kota Metro dan tidak dipakai: "
            + _listing(items, 12) + ".")


def _match_error(match: LevelMatch, texts: dict[str, pd.Series], source: str) -> BoundaryError:
    level, first = match.level, _first_columns(match)
    problems = []
    if match.unmatched:
        problems.append(f"{len(match.unmatched)} fitur tidak cocok dengan {level.name} mana pun: "
                        + _listing([_describe(texts, i, first) for i in match.unmatched]))
    for code, positions in match.ambiguous:
        problems.append(f"{len(positions)} fitur sama-sama bernama {level.labels[code]}: "
                        + _listing([_describe(texts, i, first) for i in positions])
                        + " (beri kolom kode Kemendagri/BPS atau kolom nama kota agar fitur di luar Kota Metro "
                          "dapat dipisahkan)")
    if match.missing:
        problems.append(f"{len(match.missing)} {level.name} tidak punya poligon: "
                        + _listing([level.labels[c] for c in match.missing], 22))
    outside = int((match.outside != "").sum())
    if outside:
        problems.append(f"{outside} fitur di luar Kota Metro tidak dipakai")
    column = f" (dicocokkan lewat kolom {', '.join(match.columns)})" if match.columns else ""
    return BoundaryError(f"Berkas batas '{source}'{column}: " + "; ".join(problems) + ". " + _WHAT_TO_DO)


# --- Loading --------------------------------------------------------------------------------------


def _record(path: Path | None, match: LevelMatch | None, schematic: bool, level: str, notes: list[str]) -> dict:
    """What the manifest says about the boundaries used (CONTRACT 3, key ``boundaries``)."""
    if path is None or match is None:
        return {"path": None, "sha256": None, "kolom": None, "fitur_dipakai": 0, "fitur_di_luar_kota": 0,
                "skematis": True, "tingkat_poligon": None, "catatan": notes}
    return {"path": str(path), "sha256": file_sha256(path), "kolom": ", ".join(match.columns),
            "fitur_dipakai": int((match.codes != "").sum()), "fitur_di_luar_kota": int((match.outside != "").sum()),
            "skematis": schematic, "tingkat_poligon": level, "catatan": notes}


def _matched_shapes(frame: gpd.GeoDataFrame, match: LevelMatch, key: str) -> gpd.GeoDataFrame:
    """The matched features in DRAW_CRS, made valid, one (multi)polygon per area code."""
    keep = match.codes != ""
    shapes = gpd.GeoDataFrame({key: match.codes[keep].to_numpy()},
                              geometry=valid_polygons(frame.geometry[keep].to_crs(DRAW_CRS)).to_numpy(), crs=DRAW_CRS)
    return shapes.dissolve(by=key, as_index=False)


def _from_kelurahan(frame, match: LevelMatch, wilayah: pd.DataFrame, path: Path, notes: list[str]) -> Boundaries:
    shapes = _matched_shapes(frame, match, "kode_kelurahan")
    table = wilayah[_KELURAHAN_COLUMNS].astype("string").merge(shapes, on="kode_kelurahan", how="left")
    kelurahan = gpd.GeoDataFrame(table, geometry="geometry", crs=DRAW_CRS).sort_values("kode_kelurahan",
                                                                                      ignore_index=True)
    return Boundaries(kelurahan, dissolve_kecamatan(kelurahan), source=path.name,
                      record=_record(path, match, False, "kelurahan", notes), notes=tuple(notes))


def _from_kecamatan(frame, match: LevelMatch, wilayah: pd.DataFrame, path: Path, notes: list[str]) -> Boundaries:
    shapes = _matched_shapes(frame, match, "kode_kecamatan")
    names = wilayah[["kode_kecamatan", "kecamatan"]].astype("string").drop_duplicates("kode_kecamatan")
    kecamatan = gpd.GeoDataFrame(names.merge(shapes, on="kode_kecamatan"), geometry="geometry", crs=DRAW_CRS)
    notes.append(f"Berkas batas '{path.name}' hanya memuat poligon kecamatan: peta kecamatan memakai berkas itu, "
                 f"sedangkan peta kelurahan memakai peta skematis, karena peta kelurahan memerlukan poligon "
                 f"kelurahan (mis. BIG/RBI, GADM level 4 atau BPS Wilkerstat).")
    tiles = schematic_tiles(wilayah[_KELURAHAN_COLUMNS].astype("string"))
    return Boundaries(tiles, kecamatan.sort_values("kode_kecamatan", ignore_index=True), source=path.name,
                      schematic_levels=frozenset({"kelurahan"}),
                      record=_record(path, match, True, "kecamatan", notes), notes=tuple(notes))


def load_boundaries(path: str | Path, wilayah: pd.DataFrame) -> Boundaries:
    """Read a boundary file and match it to ``wilayah``, or raise BoundaryError saying what is wrong.

    Of a file with several polygon layers (a GeoPackage), the first layer matching every
    kelurahan is used; else the first whose features are the kecamatan, one each; else
    the error of the layer that matched the largest share of areas is raised.
    """
    path = Path(path)
    read = read_boundary_file(path)
    levels = {name: area_level(wilayah, name) for name in LEVELS}
    min_rows = max(2, math.ceil(len(levels["kecamatan"].codes) / 2))
    attempts = []
    for name, frame in read.layers.items():
        source = path.name if len(read.layers) == 1 else f"{path.name}, layer {name}"
        texts = attribute_texts(frame)
        foreign = foreign_features(texts, frame.index, levels["kelurahan"].prefixes, min_rows,
                                   levels["kelurahan"].names)
        kel = match_level(frame, texts, levels["kelurahan"], foreign)
        kec = match_level(frame, texts, levels["kecamatan"], foreign)
        attempts.append((source, frame, texts, kel, kec))
    for source, frame, texts, kel, _ in attempts:
        if kel.complete:
            notes = read.notes + [n for n in [_outside_note(kel, texts, source)] if n]
            return _from_kelurahan(frame, kel, wilayah, path, notes)
    for source, frame, texts, _, kec in attempts:
        if kec.one_to_one:
            notes = read.notes + [n for n in [_outside_note(kec, texts, source)] if n]
            return _from_kecamatan(frame, kec, wilayah, path, notes)
    def as_kecamatan(kec: LevelMatch) -> bool:  # a layer of kecamatan polygons, one feature each
        used = kec.codes[kec.codes != ""]
        return not kec.complete and not used.duplicated().any()

    def best(attempt) -> LevelMatch:
        _, _, _, kel, kec = attempt
        return kec if as_kecamatan(kec) and kec.share_matched > kel.share_matched else kel

    source, _, texts, _, _ = chosen = max(attempts, key=lambda a: best(a).share_matched)
    raise _match_error(best(chosen), texts, source)


def match_features(frame: gpd.GeoDataFrame, wilayah: pd.DataFrame) -> pd.DataFrame:
    """Match a layer's features to kelurahan: ``kode_kelurahan``, ``cara`` (scheme), ``di_luar_kota`` (why not)."""
    frame = frame.reset_index(drop=True)
    texts = attribute_texts(frame)
    levels = {name: area_level(wilayah, name) for name in LEVELS}
    foreign = foreign_features(texts, frame.index, levels["kelurahan"].prefixes,
                               max(2, math.ceil(len(levels["kecamatan"].codes) / 2)), levels["kelurahan"].names)
    match = match_level(frame, texts, levels["kelurahan"], foreign)
    return pd.DataFrame({"kode_kelurahan": match.codes, "cara": match.schemes, "di_luar_kota": match.outside,
                         "kolom": ", ".join(match.columns)})


def schematic_boundaries(wilayah: pd.DataFrame) -> Boundaries:
    """Build the schematic tile map: one square per kelurahan, kecamatan dissolved from them."""
    kelurahan = schematic_tiles(wilayah[_KELURAHAN_COLUMNS].astype("string"))
    kecamatan = dissolve_kecamatan(kelurahan, gap_m=0.0, min_hole_area=0.0)
    return Boundaries(kelurahan, kecamatan, source=SCHEMATIC_SOURCE, schematic_levels=frozenset(LEVELS),
                      record=_record(None, None, True, "", []))


def attach_rekap(polygons: gpd.GeoDataFrame, rekap: pd.DataFrame, key: str) -> gpd.GeoDataFrame:
    """Left-join a rekap's measures onto polygons by ``key``; names come from the polygons."""
    names = [c for c in ("kode_kecamatan", "kecamatan", "kelurahan", "kategori") if c != key and c in rekap.columns]
    return polygons.merge(rekap.drop(columns=names), on=key, how="left")


def boundaries_for_run(reference_dir: str | Path, boundaries: str | Path | None, wilayah: pd.DataFrame) -> Boundaries:
    """Resolve the run's boundary file per the contract and load it, or fall back to tiles."""
    path = resolve_boundary_path(reference_dir, boundaries)
    return load_boundaries(path, wilayah) if path is not None else schematic_boundaries(wilayah)
