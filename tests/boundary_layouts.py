"""Boundary files as real systems lay them out, built in the test from the shared Kota Metro polygons.

The shared MIT polygons (../shared/reference/batas, never copied into the project) carry
``code`` (Kemendagri), ``bps_code``, ``name``, ``name_bps``, ``kecamatan_code`` and
``kecamatan``; each function below rewrites them into one real schema.
"""

import json

import geopandas as gpd
import pandas as pd
import shapely
from shapely import affinity

#: Villages elsewhere in Lampung named like a Metro kelurahan (or not): code copied, NAME_2, shift in degrees.
NAMESAKES = [
    ("18.72.04.1001", "Yosodadi", "Lampung Timur", 0.55, 0.20),
    ("18.72.02.1002", "Purwosari", "Lampung Tengah", -0.75, 0.35),
    ("18.72.02.1001", "Banjarsari", "Lampung Tengah", -0.50, -0.25),
    ("18.72.05.1002", "Margorejo", "Lampung Timur", 0.65, -0.45),
    ("18.72.05.1001", "Rejomulyo", "Lampung Selatan", 0.10, -0.90),
    ("18.72.01.1005", "Sidomulyo", "Lampung Selatan", 0.30, -1.10),
]


def big_rbi(real: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """BIG/RBI ADMINISTRASIDESA_AR: KDEPUM (Kemendagri), WADMKD/WADMKC names, KDPKAB 18.72, WADMKK."""
    return gpd.GeoDataFrame({
        "NAMOBJ": real["name"], "KDPPUM": "18", "WADMPR": "Lampung", "KDPKAB": "18.72", "WADMKK": "Kota Metro",
        "KDCPUM": real["kecamatan_code"], "WADMKC": real["kecamatan"], "KDEPUM": real["code"], "WADMKD": real["name"],
        "TIPADM": 1, "LUASWH": real["area_km2"],
    }, geometry=real.geometry, crs=real.crs)


def big_rbi_province(real: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """BIG/RBI with villages of other regencies named like Metro kelurahan (KDPKAB 18.05 etc.), listed first."""
    metro = big_rbi(real)
    others = []
    for number, (code, name, regency, dx, dy) in enumerate(NAMESAKES):
        row = metro[metro["KDEPUM"] == code].copy()
        row["NAMOBJ"] = row["WADMKD"] = name
        row["KDPKAB"], row["WADMKK"] = f"18.0{number % 3 + 4}", regency
        row["KDEPUM"] = f"18.0{number % 3 + 4}.0{number + 1}.200{number}" if number % 2 else ""
        row["geometry"] = row.geometry.translate(dx, dy)
        others.append(row)
    return gpd.GeoDataFrame(pd.concat([*others, metro], ignore_index=True), crs=real.crs)


def gadm_level4(real: gpd.GeoDataFrame, namesakes: bool = True) -> gpd.GeoDataFrame:
    """GADM 4.1 level 4: NAME_1..NAME_4 (kelurahan in BPS spellings), no official code; namesakes first."""
    rows, shapes = [], []
    for number, (code, name, regency, dx, dy) in enumerate(NAMESAKES if namesakes else []):
        rows.append({"GID_4": f"IDN.18.{number + 3}.1.{number + 1}_1", "GID_0": "IDN", "COUNTRY": "Indonesia",
                     "NAME_1": "Lampung", "NAME_2": regency, "NAME_3": "Lain", "NAME_4": name, "VARNAME_4": "NA",
                     "TYPE_4": "Desa"})
        shapes.append(affinity.translate(real.loc[real["code"] == code].geometry.iloc[0], dx, dy))
    for number, row in enumerate(real.itertuples()):
        rows.append({"GID_4": f"IDN.18.10.1.{number + 1}_1", "GID_0": "IDN", "COUNTRY": "Indonesia",
                     "NAME_1": "Lampung", "NAME_2": "Metro", "NAME_3": row.kecamatan.replace(" ", ""),
                     "NAME_4": row.name_bps.title(), "VARNAME_4": "NA", "TYPE_4": "Kelurahan"})
        shapes.append(row.geometry)
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=real.crs)


def wilkerstat(real: gpd.GeoDataFrame, split: bool) -> gpd.GeoDataFrame:
    """BPS Wilkerstat: iddesa (10-digit BPS code) and nmdesa upper case; or only split kdprov..kddesa."""
    columns = {"kdprov": "18", "nmprov": "LAMPUNG", "kdkab": "72", "nmkab": "METRO",
               "kdkec": real["bps_code"].str[4:7], "nmkec": real["kecamatan"].str.upper(),
               "kddesa": real["bps_code"].str[7:10], "nmdesa": real["name_bps"]}
    if not split:
        columns = {"iddesa": real["bps_code"], **columns}
    return gpd.GeoDataFrame(columns, geometry=real.geometry, crs=real.crs)


def geoboundaries_adm3(kecamatan: gpd.GeoDataFrame, neighbours: bool) -> gpd.GeoDataFrame:
    """geoBoundaries ADM3: kecamatan only, ``shapeName``; optionally neighbouring kecamatan of other regencies."""
    rows = [{"shapeName": name, "shapeISO": "", "shapeID": f"B{number}", "shapeGroup": "IDN", "shapeType": "ADM3"}
            for number, name in enumerate(kecamatan["name"])]
    shapes = list(kecamatan.geometry)
    extra = [(3, "Metro Kibang", 0.62, -0.05), (2, "Trimurjo", -0.55, 0.0), (1, "Batanghari", 0.70, 0.25)]
    for number, (source, name, dx, dy) in enumerate(extra if neighbours else []):
        rows.append({"shapeName": name, "shapeISO": "", "shapeID": f"N{number}", "shapeGroup": "IDN",
                     "shapeType": "ADM3"})
        shapes.append(affinity.translate(kecamatan.geometry.iloc[source], dx, dy))
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=kecamatan.crs)


def write_swapped_geojson(real: gpd.GeoDataFrame, path) -> None:
    """GeoJSON whose coordinates are (latitude, longitude): what a careless conversion writes."""
    swapped = shapely.transform(real.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    features = [{"type": "Feature", "properties": {"code": code, "name": name},
                 "geometry": json.loads(shapely.to_geojson(shape))}
                for code, name, shape in zip(real["code"], real["name"], swapped)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def shrunk(real: gpd.GeoDataFrame, metres: float) -> gpd.GeoDataFrame:
    """Every polygon shrunk by ``metres``: neighbours no longer touch (raw polygons' slivers)."""
    metric = real.to_crs("EPSG:32748")
    return metric.set_geometry(metric.buffer(-metres)).to_crs(real.crs)


def minimal_wilayah(wilayah: pd.DataFrame) -> pd.DataFrame:
    """wilayah.csv with the required columns only: no BPS codes, no ejaan_lain."""
    return wilayah[["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"]].copy()
