"""Match boundary features to the wilayah reference: which column, which area, which feature is not the city's.

Features are matched to the kelurahan (or, for a file of kecamatan polygons, the
kecamatan) of ``wilayah`` through one column chosen for the whole file: a Kemendagri code
(``18.72.01.1001``, dotted or plain), a BPS code, split code columns (BPS Wilkerstat
``kdkec`` + ``kddesa``) or a name (official spelling or an ``ejaan_lain``). The column is
the one that matches the most distinct areas, Kemendagri before BPS before names on a
tie, so a column that merely says "Metro" on every row (the city's name) never decides.

Before matching, features that are not the city's are set aside: a code column whose
codes carry the city's prefix on other rows (BIG ``KDPKAB`` 18.05, a kelurahan code
1805...), a split province or regency code column, or a name column naming the city or
province on the city's rows (GADM ``NAME_2`` = Metro, ``NAME_1`` = Lampung) and
something else on others. Once the city is matched, a feature that still matches nothing
and lies outside the matched area is set aside too (a neighbouring kecamatan).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from kmc_analysis.clean.normalize import normalize_place_name

#: City and province names of a Kemendagri regency prefix: wilayah.csv carries codes, not these names.
REGION_NAMES = {"1872": ("Metro", "Lampung")}
#: Headers (lower case, letters and digits only) of split code columns.
PROVINCE_CODE_HEADERS = frozenset({"kdprov", "kodeprov", "kdprop", "kodeprop", "kdppum", "idprov", "provno"})
REGENCY_CODE_HEADERS = frozenset({"kdkab", "kodekab", "kdkabkota", "kodekabkota", "kdpkab", "idkab", "kabno"})
DISTRICT_CODE_HEADERS = frozenset({"kdkec", "kodekec", "kdcpum", "idkec", "kecno"})
VILLAGE_CODE_HEADERS = frozenset({"kddesa", "kodedesa", "kdkel", "kodekel", "kdkelurahan", "desano"})
#: Text that stands for "no value" in GIS attribute tables (GADM writes "NA").
_EMPTY_WORDS = ("", "na", "nan", "null", "none", "-")
_SCHEME_ORDER = {"kemendagri": 0, "bps": 1, "nama": 2}
#: A feature less than this share of whose area lies in the matched city's hull is outside the city.
OUTSIDE_HULL_SHARE = 0.5


# --- The areas features are matched to --------------------------------------------------------


@dataclass(frozen=True)
class AreaLevel:
    """The areas of one level of wilayah (kelurahan or kecamatan) with their lookup keys."""

    name: str
    codes: list[str]  # Kemendagri codes, sorted
    labels: dict[str, str]  # code -> "Imopuro (18.72.01.1003, Kec. Metro Pusat)"
    kemendagri: dict[str, str]  # code digits -> code
    bps: dict[str, str]  # BPS code digits -> code
    names: dict[str, str]  # name key -> code, unique keys only
    kemendagri_digits: int
    bps_digits: int

    @property
    def prefixes(self) -> set[str]:
        """The regency prefixes (four digits, e.g. 1872) of the level's codes."""
        return {c[:4] for c in self.kemendagri}


def _digits(values: pd.Series) -> pd.Series:
    return values.str.replace(r"[^0-9]", "", regex=True)


def _lookup(keys: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Each key's value in ``mapping``, or "" (an empty mapping gives all "", never a float column)."""
    if not mapping:
        return pd.Series("", index=keys.index, dtype="string")
    return keys.map(pd.Series(mapping, dtype="string")).fillna("").astype("string")


def _name_table(spellings: list[tuple[str, str]]) -> dict[str, str]:
    """Name key -> code for keys that name exactly one area."""
    keys = normalize_place_name(pd.Series([s for s, _ in spellings], dtype="string"))
    found: dict[str, set[str]] = {}
    for key, (_, code) in zip(keys, spellings):
        if key:
            found.setdefault(key, set()).add(code)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def area_level(wilayah: pd.DataFrame, level: str) -> AreaLevel:
    """The kelurahan or kecamatan of ``wilayah`` with their codes, BPS codes and spellings."""
    table = wilayah.astype("string").fillna("")
    if level == "kelurahan":
        codes = table["kode_kelurahan"]
        names = [(n, c) for n, c in zip(table["kelurahan"], codes)]
        names += [(s.strip(), c) for c, extra in zip(codes, table.get("ejaan_lain", pd.Series("", index=table.index)))
                  for s in str(extra).split(";") if s.strip()]
        labels = {c: f"{n} ({c}, Kec. {k})" for c, n, k in zip(codes, table["kelurahan"], table["kecamatan"])}
        bps_column, kem_digits, bps_digits = "kode_bps_kelurahan", 10, 10
    else:
        table = table.drop_duplicates("kode_kecamatan")
        codes = table["kode_kecamatan"]
        names = list(zip(table["kecamatan"], codes))
        labels = {c: f"Kecamatan {n} ({c})" for c, n in zip(codes, table["kecamatan"])}
        bps_column, kem_digits, bps_digits = "kode_bps_kecamatan", 6, 7
    bps_codes = _digits(table[bps_column]) if bps_column in table else pd.Series("", index=table.index)
    return AreaLevel(
        name=level, codes=sorted(codes), labels=labels,
        kemendagri=dict(zip(_digits(codes), codes)),
        bps={b: c for b, c in zip(bps_codes, codes) if b},
        names=_name_table(names), kemendagri_digits=kem_digits, bps_digits=bps_digits,
    )


# --- Attribute columns as text ------------------------------------------------------------------


def column_text(column: pd.Series) -> pd.Series:
    """One attribute column as stripped text; whole floats lose their ``.0``; missing is ""."""
    if pd.api.types.is_float_dtype(column):
        whole = column.notna() & (column == column.round())
        text = column.astype("string")
        text = text.mask(whole, column[whole].astype("Int64").astype("string"))
        return text.fillna("").str.strip()
    return column.astype("string").fillna("").str.strip()


def attribute_texts(frame: gpd.GeoDataFrame) -> dict[str, pd.Series]:
    """Every attribute column of a layer (geometry left out) as text, in file order."""
    return {str(c): column_text(frame[c]) for c in frame.columns if c != frame.geometry.name}


def _header_key(column: str) -> str:
    return "".join(ch for ch in column.lower() if ch.isalnum())


def _region_key(text: pd.Series) -> pd.Series:
    """A city or province name as a key: ``KOTA METRO`` and ``Metro`` both give ``metro``."""
    key = text.str.lower().str.replace(r"[^a-z]", "", regex=True)
    key = key.str.replace(r"^(kota|kabupaten|kab|provinsi|prov)(?=[a-z]{3})", "", regex=True)
    return key.mask(text.str.strip().str.lower().isin(_EMPTY_WORDS), "")


# --- Features that are not the city's -----------------------------------------------------------


def foreign_features(
    texts: dict[str, pd.Series], index: pd.Index, prefixes: set[str], min_rows: int,
    place_names: dict[str, str] | None = None,
) -> pd.Series:
    """Why each feature (of ``index``) is not the city's, from its attributes ("" = nothing says so).

    A column counts only when at least ``min_rows`` features carry the city's own code or
    name in it: a stray number or a village that happens to be called Metro proves nothing.
    Nor does a column of the areas' own names (``place_names``, name key -> code) that names
    more features than the city's name does: kelurahan Metro and its namesakes elsewhere in
    a province file are not a column of regions.
    """
    reasons = pd.Series("", index=index, dtype="string")

    def mark(column: str, own: pd.Series, other: pd.Series, text: pd.Series) -> None:
        nonlocal reasons
        if int(own.sum()) >= min_rows:
            new = other & (reasons == "")
            reasons = reasons.mask(new, f"{column}=" + text.str.slice(0, 40))

    names = [REGION_NAMES[p] for p in sorted(prefixes) if p in REGION_NAMES]
    for column, text in texts.items():
        digits, header = _digits(text), _header_key(column)
        code_like = text.str.fullmatch(r"[0-9]{2}(?:\.[0-9]{2,4}){1,3}|[0-9]{4}|[0-9]{6,7}|[0-9]{10}")
        own = code_like & digits.str.slice(0, 4).isin(prefixes)
        mark(column, own, code_like & ~own, text)
        short = text.str.fullmatch(r"[0-9]{1,4}")
        if header in PROVINCE_CODE_HEADERS:
            own = short & digits.str.zfill(2).isin({p[:2] for p in prefixes})
            mark(column, own, short & ~own, text)
        if header in REGENCY_CODE_HEADERS:
            padded = digits.str.zfill(2)
            own = short & (padded.isin({p[2:] for p in prefixes}) | padded.isin(prefixes))
            mark(column, own, short & ~own, text)
        key = _region_key(text)
        places = int((_lookup(normalize_place_name(text), place_names) != "").sum()) if place_names else 0
        for city, province in names:
            for region in (city, province):
                own = key == region.lower()
                if places > int(own.sum()):
                    continue
                mark(column, own, (key != "") & ~own, text)
    return reasons


# --- Candidate matching columns -----------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMatch:
    """What one column (or a pair of split code columns) says each feature is."""

    column: str
    scheme: str  # kemendagri, bps or nama
    codes: pd.Series  # area code per feature, "" where the column matched nothing
    position: int  # the column's place in the file, for a stable order


def _split_codes(texts: dict[str, pd.Series], level: AreaLevel) -> list[ColumnMatch]:
    """Codes built from split columns (kdkec + kddesa, with kdprov/kdkab or the city's prefix)."""
    by_header = {_header_key(c): c for c in texts}
    district = next((by_header[h] for h in by_header if h in DISTRICT_CODE_HEADERS), None)
    village = next((by_header[h] for h in by_header if h in VILLAGE_CODE_HEADERS), None)
    parts = [district, village] if level.name == "kelurahan" else [district]
    if any(p is None for p in parts):
        return []
    province = next((by_header[h] for h in by_header if h in PROVINCE_CODE_HEADERS), None)
    regency = next((by_header[h] for h in by_header if h in REGENCY_CODE_HEADERS), None)
    index = texts[district].index
    if province is not None and regency is not None:
        prefix = _digits(texts[province]).str.zfill(2) + _digits(texts[regency]).str.zfill(2).str.slice(-2)
    elif len(level.prefixes) == 1:
        prefix = pd.Series(next(iter(level.prefixes)), index=index, dtype="string")
    else:
        return []
    code = prefix
    for part in parts:
        code = code + _digits(texts[part])
    label = "+".join(parts)
    position = list(texts).index(district)
    found = []
    for scheme, mapping, digits in (("bps", level.bps, level.bps_digits),
                                    ("kemendagri", level.kemendagri, level.kemendagri_digits)):
        codes = _lookup(code.where(code.str.len() == digits, ""), mapping)
        if (codes != "").any():
            found.append(ColumnMatch(label, scheme, codes, position))
    return found


def candidate_columns(texts: dict[str, pd.Series], level: AreaLevel) -> list[ColumnMatch]:
    """Every column that matches at least one feature to an area, under each scheme that fits it."""
    candidates: list[ColumnMatch] = []
    for position, (column, text) in enumerate(texts.items()):
        digits = _digits(text)
        plain = text.str.fullmatch(r"[0-9]+")
        dotted = text.str.fullmatch(r"[0-9]{2}(?:\.[0-9]{2,4}){1,3}")
        kem = _lookup(digits.where((plain | dotted) & (digits.str.len() == level.kemendagri_digits), ""),
                      level.kemendagri)
        bps = _lookup(digits.where(plain & (digits.str.len() == level.bps_digits), ""), level.bps)
        names = _lookup(normalize_place_name(text).where(~(plain | dotted), ""), level.names)
        kem_hits, bps_hits = int((kem != "").sum()), int((bps != "").sum())
        # Undotted Kemendagri and BPS kelurahan codes are both 10 digits and some coincide
        # (1872011001 is Metro for Kemendagri, Sumbersari Bantul for BPS): a column is read
        # under the scheme that explains more of its values, a tie going to Kemendagri.
        if kem_hits and kem_hits >= bps_hits:
            candidates.append(ColumnMatch(column, "kemendagri", kem, position))
        elif bps_hits:
            candidates.append(ColumnMatch(column, "bps", bps, position))
        if (names != "").any():
            candidates.append(ColumnMatch(column, "nama", names, position))
    return candidates + _split_codes(texts, level)


# --- Matching one level -------------------------------------------------------------------------


@dataclass
class LevelMatch:
    """The features of a layer matched to one level's areas."""

    level: AreaLevel
    codes: pd.Series  # area code per feature ("" for none)
    schemes: pd.Series  # scheme that matched each feature ("" for none)
    columns: list[str]  # the deciding column first, then any column that filled a gap
    outside: pd.Series  # why a feature is not the city's ("" = it is)
    ambiguous: list[tuple[str, list[int]]] = field(default_factory=list)  # code, feature positions

    @property
    def unmatched(self) -> list[int]:
        """Positions of the city's features that match no area."""
        return [int(i) for i in self.codes.index[(self.codes == "") & (self.outside == "")]]

    @property
    def covered(self) -> set[str]:
        return set(self.codes[self.codes != ""])

    @property
    def missing(self) -> list[str]:
        """Areas of wilayah without a feature."""
        return [c for c in self.level.codes if c not in self.covered]

    @property
    def complete(self) -> bool:
        return not (self.unmatched or self.missing or self.ambiguous)

    @property
    def one_to_one(self) -> bool:
        """Every area matched by exactly one feature."""
        used = self.codes[self.codes != ""]
        return self.complete and not used.duplicated().any()

    @property
    def share_matched(self) -> float:
        return len(self.covered) / max(len(self.level.codes), 1)


def _rank(candidate: ColumnMatch, inside: pd.Series) -> tuple:
    used = candidate.codes[inside & (candidate.codes != "")]
    repeats = int(used.duplicated(keep=False).sum()) if candidate.scheme == "nama" else 0
    return (-used.nunique(), repeats, _SCHEME_ORDER[candidate.scheme], candidate.position)


def match_level(frame: gpd.GeoDataFrame, texts: dict[str, pd.Series], level: AreaLevel,
                foreign: pd.Series) -> LevelMatch:
    """Match a layer's features to ``level``: the best column decides, strong columns fill its gaps."""
    inside = foreign == ""
    codes = pd.Series("", index=frame.index, dtype="string")
    schemes = codes.copy()
    ranked = sorted(candidate_columns(texts, level), key=lambda c: _rank(c, inside))
    columns: list[str] = []
    strong = max(2, math.ceil(len(level.codes) / 2))
    for number, candidate in enumerate(ranked):
        proposed = candidate.codes.where(inside, "")
        used = proposed[proposed != ""]
        if number and (used.nunique() < strong or (candidate.scheme == "nama" and used.duplicated().any())):
            continue  # only a column that itself names most areas one to one may fill gaps
        fill = (codes == "") & (proposed != "") & ~proposed.isin(set(codes[codes != ""]))
        if not fill.any():
            continue
        codes, schemes = codes.mask(fill, proposed), schemes.mask(fill, candidate.scheme)
        columns.append(candidate.column)
    named = codes[(schemes == "nama") & (codes != "")]
    ambiguous = [(code, [int(i) for i in group.index]) for code, group in named.groupby(named, sort=True)
                 if len(group) > 1]
    match = LevelMatch(level, codes, schemes, columns, foreign.copy(), ambiguous)
    _set_aside_by_place(frame, match)
    return match


def _set_aside_by_place(frame: gpd.GeoDataFrame, match: LevelMatch) -> None:
    """Mark unmatched features lying mostly outside the hull of the matched ones as outside the city."""
    unmatched = match.unmatched
    matched = match.codes != ""
    if not unmatched or not matched.any() or frame.crs is None:
        return
    metric = frame.geometry.to_crs(frame.estimate_utm_crs()).make_valid()
    hull = shapely.convex_hull(shapely.union_all(metric[matched].to_numpy()))
    shapes = metric.iloc[unmatched].to_numpy()
    inside = shapely.area(shapely.intersection(shapes, hull))
    away = (shapely.area(shapes) > 0) & (inside < OUTSIDE_HULL_SHARE * shapely.area(shapes))
    match.outside.iloc[[p for p, far in zip(unmatched, away) if far]] = "letaknya di luar wilayah kota"
