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

from kmc_analysis.core.counting import distinct_per_group, sum_per_group
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
# Integer codes of id_penerima and kode_bantuan, added once by _penerima, which also makes the
# kode columns categorical (sorted categories: a kode_bantuan's code is its place among them):
# counting distinct integers per code is many times faster than grouping a million texts.
_PERSON, _PROGRAM = "_orang", "_program"
_KEYS = ("kode_bantuan", "kode_kecamatan", "kode_kelurahan")


# --- Inputs -------------------------------------------------------------------------------


def read_penerima(folder: str | Path) -> pd.DataFrame:
    """Read the columns of a month's accepted rows this module needs (never names or NIKs)."""
    return read_table(Path(folder), PENERIMA, columns=PENERIMA_USED)


def _penerima(penerima: pd.DataFrame) -> pd.DataFrame:
    if {_PERSON, _PROGRAM} <= set(penerima.columns):  # normalised already (build_coverage does it once)
        return penerima
    missing = [c for c in PENERIMA_USED if c not in penerima.columns]
    if missing:
        raise StageError(f"{PENERIMA.name} tidak memuat kolom {', '.join(missing)} (stage 1 output is incomplete).")
    rows = penerima[PENERIMA_USED].copy()
    rows["nominal"] = rows["nominal"].astype("int64")
    rows[_PERSON] = pd.factorize(rows.pop("id_penerima").astype("string").fillna(""))[0].astype("int64")
    for column in _KEYS:
        rows[column] = rows[column].astype("string").fillna("").astype("category")
    rows[_PROGRAM] = _codes(rows, "kode_bantuan")
    return rows


def _codes(rows: pd.DataFrame, column: str) -> np.ndarray:
    """The integer code of each row's ``column`` (a kode column of normalised rows); -1 where it is ""."""
    codes = rows[column].cat.codes.to_numpy(dtype="int64")
    return np.where(rows[column].cat.categories[codes] == "", -1, codes) if len(codes) else codes


def _labels(rows: pd.DataFrame, column: str) -> pd.Series:
    """The kode of each code of :func:`_codes`, in code order."""
    return pd.Series(rows[column].cat.categories, dtype="string", name=column)


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


def _aggregate(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Persons, rows, value and programs per kode of ``key`` (rows without one left out; zeros included)."""
    group, labels = _codes(rows, key), _labels(rows, key)
    return pd.DataFrame({
        key: labels,
        "penerima_unik": distinct_per_group(group, rows[_PERSON], len(labels)),
        "jumlah_penyaluran": np.bincount(group[group >= 0], minlength=len(labels)),
        "nilai_total": sum_per_group(group, rows["nominal"], len(labels)),
        "program_aktif": distinct_per_group(group, rows[_PROGRAM], len(labels)),
    })


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
    counts = _aggregate(rows, "kode_kelurahan")
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
    # kategori per program code, then a code per (kategori, kelurahan) pair: code x kelurahan count + kelurahan.
    kategori_of_program = _labels(rows, "kode_bantuan").map(dict(zip(catalogue["kode_bantuan"],
                                                                       catalogue["kategori"]))).fillna("")
    kategori_code, kategori_names = pd.factorize(kategori_of_program)
    kelurahan, kelurahan_labels = _codes(rows, "kode_kelurahan"), _labels(rows, "kode_kelurahan")
    paid_in = kelurahan >= 0
    pair = np.where(paid_in, kategori_code[rows[_PROGRAM].to_numpy()] * len(kelurahan_labels) + kelurahan, -1)
    pairs = len(kategori_names) * len(kelurahan_labels)
    counts = pd.DataFrame({
        "kategori": pd.array(np.repeat(np.asarray(kategori_names, dtype=object), len(kelurahan_labels)),
                             dtype="string"),
        "kode_kelurahan": pd.array(np.tile(kelurahan_labels.to_numpy(dtype=object), len(kategori_names)),
                                   dtype="string"),
        "penerima_unik": distinct_per_group(pair, rows[_PERSON], pairs),
        "nilai_total": sum_per_group(pair, rows["nominal"], pairs),
    })
    used = np.unique(kategori_code[rows[_PROGRAM].to_numpy()[paid_in]])
    names = set(catalogue["kategori"]) | {kategori_names[code] for code in used}
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
    programs = _labels(rows, "kode_bantuan")
    counts = pd.DataFrame({
        "kode_bantuan": programs,
        "penerima_unik": distinct_per_group(rows[_PROGRAM], rows[_PERSON], len(programs)),
        "nilai_total": sum_per_group(rows[_PROGRAM], rows["nominal"], len(programs)),
    })
    frame = base.merge(counts, on="kode_bantuan", how="left").sort_values("kode_bantuan", ignore_index=True)
    for column in ("penerima_unik", "nilai_total"):
        frame[column] = frame[column].fillna(0).astype("int64")
    target = frame["target_penerima"].astype("float64")
    frame["capaian_penerima_persen"] = (frame["penerima_unik"] * 100.0 / target.where(target > 0)).round(2)
    return frame[REKAP_PROGRAM.column_names]


# --- Overlap --------------------------------------------------------------------------------


def _person_programs(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct (person, program) pair of normalised rows, ordered by person then program.

    Returns the two code arrays; sorting one integer key per row is many times faster than
    dropping duplicate pairs of columns.
    """
    width = int(rows[_PROGRAM].max()) + 1 if len(rows) else 1
    key = np.sort(rows[_PERSON].to_numpy(dtype="int64") * width + rows[_PROGRAM].to_numpy(dtype="int64"))
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    return key // width, key % width


def _per_person(penerima: pd.DataFrame) -> pd.DataFrame:
    """Per person code (0, 1, ...): how many distinct programs, and the total value received."""
    rows = _penerima(penerima)
    person = rows[_PERSON].to_numpy(dtype="int64")
    persons = int(person.max()) + 1 if len(person) else 0
    return pd.DataFrame({
        "jumlah_bantuan": np.bincount(_person_programs(rows)[0], minlength=persons).astype("int64"),
        "nilai_total": sum_per_group(person, rows["nominal"].to_numpy(), persons),
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
    the combination text so the order is stable. Each person's programs are one bit mask
    (a row of 64-bit words, vectorised); only the combinations that can reach the top
    become text.
    """
    rows = _penerima(penerima)
    codes = _labels(rows, "kode_bantuan").to_numpy(dtype=str)
    person, program = _person_programs(rows)
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]]) if len(person) else np.array([], dtype="int64")
    held = np.diff(np.r_[starts, len(person)])
    several = held >= 2
    if not several.any():
        return pd.DataFrame({"kombinasi": pd.Series(dtype="string"), "jumlah_bantuan": pd.Series(dtype="int64"),
                             "penerima": pd.Series(dtype="int64")})
    # A person's programs are distinct, so adding their bits is the same as or-ing them.
    words = np.zeros((len(starts), (len(codes) + 63) // 64), dtype="uint64")
    for word in range(words.shape[1]):
        bits = np.where(program // 64 == word, np.left_shift(np.uint64(1), (program % 64).astype("uint64")),
                        np.uint64(0))
        words[:, word] = np.add.reduceat(bits, starts)
    masks, counts = np.unique(words[several], axis=0, return_counts=True)
    # Only combinations counted at least as often as the top-th can be listed: the rest never become text.
    enough = counts >= np.sort(counts)[::-1][min(top, len(counts)) - 1]
    masks, counts = masks[enough], counts[enough]
    index = np.arange(len(codes))
    held_bits = ((masks[:, index // 64] >> (index % 64).astype("uint64")) & np.uint64(1)).astype(bool)
    counted = pd.DataFrame({
        "kombinasi": pd.array([COMBINATION_SEPARATOR.join(codes[bits]) for bits in held_bits], dtype="string"),
        "jumlah_bantuan": held_bits.sum(axis=1).astype("int64"),
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
