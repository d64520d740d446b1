"""Coverage aggregates: rekap by kecamatan, kelurahan, program and kategori; overlap; change.

Pure functions on DataFrames. ``penerima`` is the stage 1 hand-off (``store.PENERIMA``,
CONTRACT section 3): one row per accepted row with id_penerima, kode_bantuan,
kode_kecamatan, kode_kelurahan ("" when only the kecamatan was given) and nominal.
Only those columns are read: names and masked NIKs never enter this module.

Definitions: ``penerima_unik`` counts distinct id_penerima; ``jumlah_penyaluran`` counts
accepted rows; ``nilai_total`` sums nominal (integer Rupiah); ``program_aktif`` counts
distinct kode_bantuan with at least one row; ``penerima_per_1000`` is penerima_unik per
1,000 residents, rounded to 2 decimals (empty where the population is unknown). A person
appearing in two kelurahan of one kecamatan counts once in the kecamatan and once in each
kelurahan; a row with only a kecamatan counts in the kecamatan, not in any kelurahan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.errors import StageError
from kmc_analysis.core.store import (
    KOMBINASI_PROGRAM,
    PENERIMA,
    PERUBAHAN_KECAMATAN,
    REKAP_KATEGORI_KELURAHAN,
    REKAP_KECAMATAN,
    REKAP_KELURAHAN,
    REKAP_PROGRAM,
    REKAP_TUMPANG_TINDIH,
    TableFile,
    has,
    read_table,
    remove,
    write_city_summary,
    write_table,
)

#: The combinations separator of the kombinasi_program table.
COMBINATION_SEPARATOR = " + "

#: The columns of the accepted rows this stage reads: never names or masked NIKs.
PENERIMA_USED = ["id_penerima", "kode_bantuan", "kode_kecamatan", "kode_kelurahan", "nominal"]
# Integer codes of id_penerima and kode_bantuan (kode_bantuan's in sorted order), added once
# by _penerima: counting distinct integers is many times faster than distinct 64-char strings.
_PERSON, _PROGRAM = "_orang", "_program"


# --- Inputs -------------------------------------------------------------------------------


def read_penerima(folder: str | Path) -> pd.DataFrame:
    """Read the columns of a month's accepted rows this module needs (never names or NIKs)."""
    return read_table(Path(folder), PENERIMA, columns=PENERIMA_USED)


def _penerima(penerima: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in PENERIMA_USED if c not in penerima.columns]
    if missing:
        raise StageError(f"{PENERIMA.name} tidak memuat kolom {', '.join(missing)} (stage 1 output is incomplete).")
    if {_PERSON, _PROGRAM} <= set(penerima.columns):  # normalised already (build_coverage does it once)
        return penerima
    rows = penerima[PENERIMA_USED].copy()
    for column in ("id_penerima", "kode_bantuan", "kode_kecamatan", "kode_kelurahan"):
        rows[column] = rows[column].astype("string").fillna("")
    rows["nominal"] = rows["nominal"].astype("int64")
    rows[_PERSON] = pd.factorize(rows["id_penerima"])[0].astype("int64")
    rows[_PROGRAM] = pd.factorize(rows["kode_bantuan"], sort=True)[0].astype("int64")
    return rows


def population_table(penduduk: pd.DataFrame | pd.Series | None) -> pd.DataFrame:
    """Normalise one year's population to a frame of kode_kelurahan and penduduk (Int64).

    Accepts the result of ``population_by_kelurahan``: a frame with kode_kelurahan and
    penduduk columns, or a Series indexed by kode_kelurahan; None means unknown.
    """
    if penduduk is None:
        return pd.DataFrame({"kode_kelurahan": pd.Series(dtype="string"), "penduduk": pd.Series(dtype="Int64")})
    if isinstance(penduduk, pd.Series):
        frame = pd.DataFrame({"kode_kelurahan": penduduk.index.astype("string"), "penduduk": penduduk.to_numpy()})
    else:
        frame = penduduk[["kode_kelurahan", "penduduk"]].copy()
    frame["kode_kelurahan"] = frame["kode_kelurahan"].astype("string")
    frame["penduduk"] = pd.to_numeric(frame["penduduk"], errors="coerce").round().astype("Int64")
    duplicated = frame["kode_kelurahan"][frame["kode_kelurahan"].duplicated()]
    if len(duplicated):
        raise StageError(
            f"Data penduduk memuat kelurahan ganda untuk satu tahun: {', '.join(sorted(set(duplicated)))}."
        )
    return frame.reset_index(drop=True)


def _check_known(codes: pd.Series, known: pd.Series, what: str) -> None:
    unknown = sorted(set(codes.unique()) - set(known) - {""})
    if unknown:
        raise StageError(
            f"{PENERIMA.name} memuat {what} yang tidak ada di wilayah/katalog: {', '.join(unknown[:10])} "
            f"(tahap 1 seharusnya mengarantina baris itu; ini kesalahan program: mohon laporkan)."
        )


# --- Area rekap ---------------------------------------------------------------------------


def _distinct_per_group(grouped, codes: pd.Series) -> pd.Series:
    """``grouped[column].nunique()`` for a column of integer codes, counted on distinct pairs of codes.

    pandas' nunique sorts every row's (group, value); hashing the pairs once and counting them
    per group is several times faster on a million rows, and gives the same numbers.
    """
    group = grouped.ngroup().to_numpy()
    values = codes.to_numpy(dtype="int64")
    width = int(values.max(initial=0)) + 1
    kept = group >= 0
    pairs = pd.unique(group[kept].astype("int64") * width + values[kept])
    counts = np.bincount(pairs // width, minlength=grouped.ngroups)
    return pd.Series(counts, index=grouped.size().index)


def _aggregate(rows: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    grouped = rows.groupby(key, sort=True)
    return pd.DataFrame({
        "penerima_unik": _distinct_per_group(grouped, rows[_PERSON]),
        "jumlah_penyaluran": grouped.size(),
        "nilai_total": grouped["nominal"].sum(),
        "program_aktif": _distinct_per_group(grouped, rows[_PROGRAM]),
    }).reset_index()


def per_1000(count: pd.Series, population: pd.Series) -> pd.Series:
    """Persons per 1,000 residents, rounded to 2 decimals; NaN where population is unknown or 0."""
    population = pd.to_numeric(population, errors="coerce").astype("float64")
    rate = count.astype("float64") * 1000.0 / population.where(population > 0)
    return rate.round(2)


def _finish(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in ("penerima_unik", "jumlah_penyaluran", "nilai_total", "program_aktif"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["penerima_per_1000"] = per_1000(frame["penerima_unik"], frame["penduduk"])
    return frame[columns].reset_index(drop=True)


def _wilayah(wilayah: pd.DataFrame) -> pd.DataFrame:
    columns = ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan"]
    return wilayah[columns].astype("string").sort_values("kode_kelurahan", ignore_index=True)


def rekap_kelurahan(penerima: pd.DataFrame, wilayah: pd.DataFrame, penduduk=None) -> pd.DataFrame:
    """One row per kelurahan of ``wilayah`` (zeros included), sorted by kode_kelurahan.

    Rows with only a kecamatan are left out here (they count in rekap_kecamatan).
    """
    rows = _penerima(penerima)
    base = _wilayah(wilayah)
    _check_known(rows["kode_kelurahan"], base["kode_kelurahan"], "kode_kelurahan")
    counts = _aggregate(rows[rows["kode_kelurahan"] != ""], "kode_kelurahan")
    frame = base.merge(population_table(penduduk), on="kode_kelurahan", how="left")
    frame = frame.merge(counts, on="kode_kelurahan", how="left")
    return _finish(frame, REKAP_KELURAHAN.column_names)


def _kecamatan_population(wilayah: pd.DataFrame, penduduk) -> pd.DataFrame:
    """Sum kelurahan populations per kecamatan; unknown if any kelurahan's is unknown."""
    people = _wilayah(wilayah).merge(population_table(penduduk), on="kode_kelurahan", how="left")
    grouped = people.groupby("kode_kecamatan", sort=True)["penduduk"]
    total = grouped.sum().astype("Int64").where(grouped.count() == grouped.size())
    return total.rename("penduduk").reset_index()


def rekap_kecamatan(penerima: pd.DataFrame, wilayah: pd.DataFrame, penduduk=None) -> pd.DataFrame:
    """One row per kecamatan of ``wilayah`` (zeros included), sorted by kode_kecamatan.

    Counts every accepted row, those with only a kecamatan included; a kecamatan's
    population is the sum of its kelurahan.
    """
    rows = _penerima(penerima)
    base = _wilayah(wilayah)[["kode_kecamatan", "kecamatan"]].drop_duplicates("kode_kecamatan")
    base = base.sort_values("kode_kecamatan", ignore_index=True)
    _check_known(rows["kode_kecamatan"], base["kode_kecamatan"], "kode_kecamatan")
    frame = base.merge(_kecamatan_population(wilayah, penduduk), on="kode_kecamatan", how="left")
    frame = frame.merge(_aggregate(rows, "kode_kecamatan"), on="kode_kecamatan", how="left")
    return _finish(frame, REKAP_KECAMATAN.column_names)


def rekap_kategori_kelurahan(
    penerima: pd.DataFrame, program_bantuan: pd.DataFrame, wilayah: pd.DataFrame, penduduk=None
) -> pd.DataFrame:
    """Distinct beneficiaries per kategori of bantuan and kelurahan (every pair, zeros included)."""
    rows = _penerima(penerima)
    catalogue = program_bantuan[["kode_bantuan", "kategori"]].astype("string").fillna("")
    # kategori per _PROGRAM number (the sorted distinct kode_bantuan), then per row by indexing.
    programs = pd.Series(np.sort(rows["kode_bantuan"].unique().astype(str)), dtype="string")
    kategori_of_program = programs.map(dict(zip(catalogue["kode_bantuan"], catalogue["kategori"]))).fillna("")
    rows = rows[rows["kode_kelurahan"] != ""]
    rows = rows.assign(kategori=kategori_of_program.to_numpy()[rows[_PROGRAM].to_numpy()])
    grouped = rows.groupby(["kategori", "kode_kelurahan"], sort=True)
    counts = pd.DataFrame({
        "penerima_unik": _distinct_per_group(grouped, rows[_PERSON]),
        "nilai_total": grouped["nominal"].sum(),
    }).reset_index()
    names = set(catalogue["kategori"]) | set(rows["kategori"].unique())
    kategori = pd.DataFrame({"kategori": sorted(names)}, dtype="string")
    areas = _wilayah(wilayah).merge(population_table(penduduk), on="kode_kelurahan", how="left")
    frame = kategori.merge(areas, how="cross").merge(counts, on=["kategori", "kode_kelurahan"], how="left")
    for column in ("penerima_unik", "nilai_total"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["penerima_per_1000"] = per_1000(frame["penerima_unik"], frame["penduduk"])
    frame = frame.sort_values(["kategori", "kode_kelurahan"], ignore_index=True)
    return frame[REKAP_KATEGORI_KELURAHAN.column_names]


# --- Programs -----------------------------------------------------------------------------


def rekap_program(penerima: pd.DataFrame, program_bantuan: pd.DataFrame) -> pd.DataFrame:
    """One row per catalogue program (zeros included), sorted by kode_bantuan.

    ``capaian_penerima_persen`` = penerima_unik / target_penerima x 100, 2 decimals,
    empty where the target is missing or zero.
    """
    rows = _penerima(penerima)
    base = program_bantuan[["kode_bantuan", "nama_bantuan", "opd", "kategori"]].astype("string")
    for column in ("target_penerima", "anggaran"):
        base[column] = pd.to_numeric(program_bantuan[column], errors="coerce").astype("Int64")
    _check_known(rows["kode_bantuan"], base["kode_bantuan"], "kode_bantuan")
    grouped = rows.groupby("kode_bantuan", sort=True)
    counts = pd.DataFrame({
        "penerima_unik": _distinct_per_group(grouped, rows[_PERSON]),
        "nilai_total": grouped["nominal"].sum(),
    }).reset_index()
    frame = base.merge(counts, on="kode_bantuan", how="left").sort_values("kode_bantuan", ignore_index=True)
    for column in ("penerima_unik", "nilai_total"):
        frame[column] = frame[column].fillna(0).astype("int64")
    target = frame["target_penerima"].astype("float64")
    frame["capaian_penerima_persen"] = (frame["penerima_unik"] * 100.0 / target.where(target > 0)).round(2)
    return frame[REKAP_PROGRAM.column_names]


# --- Overlap --------------------------------------------------------------------------------


def _per_person(penerima: pd.DataFrame) -> pd.DataFrame:
    rows = _penerima(penerima)
    grouped = rows.groupby(_PERSON, sort=True)
    return pd.DataFrame({
        "jumlah_bantuan": _distinct_per_group(grouped, rows[_PROGRAM]),
        "nilai_total": grouped["nominal"].sum(),
    })


def rekap_tumpang_tindih(penerima: pd.DataFrame) -> pd.DataFrame:
    """Persons by how many kinds of bantuan they received (1, 2, 3, ...), with value per person.

    Every count from 1 to the maximum is listed, zeros included. ``nilai_rata_rata_per_penerima``
    is the mean total value per person of that row, in whole Rupiah.
    """
    people = _per_person(penerima)
    top = int(people["jumlah_bantuan"].max()) if len(people) else 0
    grouped = people.groupby("jumlah_bantuan")
    frame = pd.DataFrame({"jumlah_bantuan": np.arange(1, top + 1, dtype="int64")})
    frame["penerima"] = frame["jumlah_bantuan"].map(grouped.size()).fillna(0).astype("int64")
    frame["nilai_total"] = frame["jumlah_bantuan"].map(grouped["nilai_total"].sum()).fillna(0).astype("int64")
    total = frame["penerima"].sum()
    frame["persen_penerima"] = (frame["penerima"] * 100.0 / total).round(2) if total else np.nan
    mean = frame["nilai_total"] / frame["penerima"].where(frame["penerima"] > 0)
    frame["nilai_rata_rata_per_penerima"] = np.floor(mean + 0.5).astype("Int64")
    return frame[REKAP_TUMPANG_TINDIH.column_names]


def kombinasi_program(penerima: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The ``top`` most common combinations of two or more programs held by one person.

    ``kombinasi`` joins the person's sorted kode_bantuan with " + "; ties are broken by
    the combination text so the order is stable. Combinations are compared as rows of
    integer program codes (vectorised); only the distinct combinations become text.
    """
    rows = _penerima(penerima)
    codes = np.sort(rows["kode_bantuan"].unique().astype(str))  # _PROGRAM numbers these in this order
    pairs = rows[[_PERSON, _PROGRAM]].drop_duplicates().sort_values([_PERSON, _PROGRAM])
    sizes = pairs.groupby(_PERSON, sort=False)[_PROGRAM].transform("size")
    pairs = pairs[sizes.to_numpy() >= 2]
    if pairs.empty:
        return pd.DataFrame({"kombinasi": pd.Series(dtype="string"), "jumlah_bantuan": pd.Series(dtype="int64"),
                             "penerima": pd.Series(dtype="int64")})
    person = pd.factorize(pairs[_PERSON])[0]
    position = pairs.groupby(_PERSON, sort=False).cumcount().to_numpy()
    wide = np.full((person.max() + 1, position.max() + 1), -1, dtype="int64")
    wide[person, position] = pairs[_PROGRAM].to_numpy()
    combos, counts = np.unique(wide, axis=0, return_counts=True)
    labels = np.append(codes, "")  # -1 (no further program) indexes the trailing ""
    parts = pd.DataFrame(labels[combos]).astype("string")
    text = parts[0].str.cat([parts[c] for c in parts.columns[1:]], sep=COMBINATION_SEPARATOR)
    text = text.str.replace(r"( \+ )+$", "", regex=True)
    counted = pd.DataFrame({
        "kombinasi": text.astype("string"),
        "jumlah_bantuan": (combos >= 0).sum(axis=1).astype("int64"),
        "penerima": counts.astype("int64"),
    })
    counted = counted.sort_values(["penerima", "kombinasi"], ascending=[False, True], ignore_index=True)
    return counted.head(top)[KOMBINASI_PROGRAM.column_names].reset_index(drop=True)


def city_summary(penerima: pd.DataFrame, rekap_kec: pd.DataFrame) -> dict[str, float | int | None]:
    """City totals: distinct persons, rows, value, programs paid, value per person, coverage per 1,000.

    The city's headline figures, computed here once: stage 2 writes them as the city
    summary of the processed folder and the report publishes them from there.
    ``penerima_per_1000`` is rounded to 2 decimals like every area's; the population is
    unknown (None) when any kecamatan's is.
    """
    rows = _penerima(penerima)
    people = _per_person(penerima)
    population = rekap_kec["penduduk"]
    known = bool(population.notna().all()) and len(population) > 0
    total_population = int(population.sum()) if known else None
    unique = int(rows[_PERSON].nunique())
    return {
        "penerima_unik": unique,
        "jumlah_penyaluran": int(len(rows)),
        "nilai_total": int(rows["nominal"].sum()),
        "program_aktif": int(rows["kode_bantuan"].nunique()),
        "penduduk": total_population,
        "penerima_per_1000": round(unique * 1000 / total_population, 2) if total_population else None,
        "nilai_rata_rata_per_penerima": int(np.floor(people["nilai_total"].mean() + 0.5)) if unique else None,
        "nilai_median_per_penerima": int(np.floor(people["nilai_total"].median() + 0.5)) if unique else None,
    }


# --- Month on month -------------------------------------------------------------------------


def load_previous_rekap(folder: str | Path, wilayah: pd.DataFrame) -> pd.DataFrame | None:
    """A previous month's rekap_kecamatan from its processed folder, or None if absent.

    Uses the folder's rekap_kecamatan table, else recomputes it from its accepted rows.
    """
    folder = Path(folder)
    if has(folder, REKAP_KECAMATAN):
        return read_table(folder, REKAP_KECAMATAN, columns=["kode_kecamatan", "kecamatan", "penerima_unik",
                                                            "nilai_total"])
    if has(folder, PENERIMA):
        return rekap_kecamatan(read_penerima(folder), wilayah)
    return None


def perubahan_kecamatan(sekarang: pd.DataFrame, bulan_lalu: pd.DataFrame) -> pd.DataFrame:
    """Change per kecamatan against last month's rekap_kecamatan (kecamatan of this month's).

    ``perubahan_persen`` is the change relative to last month, empty when last month was 0.
    """
    before = bulan_lalu[["kode_kecamatan", "penerima_unik", "nilai_total"]].rename(columns={
        "penerima_unik": "penerima_unik_bulan_lalu", "nilai_total": "nilai_total_bulan_lalu",
    })
    before = before.astype({"kode_kecamatan": "string"})
    frame = sekarang[["kode_kecamatan", "kecamatan", "penerima_unik", "nilai_total"]].merge(
        before, on="kode_kecamatan", how="left"
    )
    for column in ("penerima_unik_bulan_lalu", "nilai_total_bulan_lalu"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["selisih"] = frame["penerima_unik"] - frame["penerima_unik_bulan_lalu"]
    last = frame["penerima_unik_bulan_lalu"].astype("float64")
    frame["perubahan_persen"] = (frame["selisih"] * 100.0 / last.where(last > 0)).round(2)
    frame["selisih_nilai"] = frame["nilai_total"] - frame["nilai_total_bulan_lalu"]
    return frame.sort_values("kode_kecamatan", ignore_index=True)[PERUBAHAN_KECAMATAN.column_names]


# --- All of stage 2's tables --------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Every coverage table of one period; ``perubahan`` is None without last month's data."""

    kecamatan: pd.DataFrame
    kelurahan: pd.DataFrame
    program: pd.DataFrame
    kategori: pd.DataFrame
    tumpang_tindih: pd.DataFrame
    kombinasi: pd.DataFrame
    perubahan: pd.DataFrame | None
    ringkasan: dict

    def tables(self) -> dict[TableFile, pd.DataFrame]:
        """The tables keyed by the processed table each is written as."""
        tables = {
            REKAP_KECAMATAN: self.kecamatan,
            REKAP_KELURAHAN: self.kelurahan,
            REKAP_PROGRAM: self.program,
            REKAP_KATEGORI_KELURAHAN: self.kategori,
            REKAP_TUMPANG_TINDIH: self.tumpang_tindih,
            KOMBINASI_PROGRAM: self.kombinasi,
        }
        if self.perubahan is not None:
            tables[PERUBAHAN_KECAMATAN] = self.perubahan
        return tables

    def write(self, folder: str | Path) -> list[Path]:
        """Write every table and the city summary to ``folder``; a stale perubahan_kecamatan is removed."""
        folder = Path(folder)
        if self.perubahan is None:
            remove(folder, PERUBAHAN_KECAMATAN)
        written = [write_table(folder, table, frame) for table, frame in self.tables().items()]
        return [*written, write_city_summary(folder, self.ringkasan)]


def build_coverage(
    penerima: pd.DataFrame,
    wilayah: pd.DataFrame,
    program_bantuan: pd.DataFrame,
    penduduk=None,
    bulan_lalu: pd.DataFrame | None = None,
) -> Coverage:
    """Compute every coverage table of a period; ``bulan_lalu`` is last month's rekap_kecamatan."""
    penerima = _penerima(penerima)
    kecamatan = rekap_kecamatan(penerima, wilayah, penduduk)
    return Coverage(
        kecamatan=kecamatan,
        kelurahan=rekap_kelurahan(penerima, wilayah, penduduk),
        program=rekap_program(penerima, program_bantuan),
        kategori=rekap_kategori_kelurahan(penerima, program_bantuan, wilayah, penduduk),
        tumpang_tindih=rekap_tumpang_tindih(penerima),
        kombinasi=kombinasi_program(penerima),
        perubahan=perubahan_kecamatan(kecamatan, bulan_lalu) if bulan_lalu is not None else None,
        ringkasan=city_summary(penerima, kecamatan),
    )
