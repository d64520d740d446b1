"""Coverage aggregates: rekap by kecamatan, kelurahan, program and kategori; overlap; change.

Pure functions on DataFrames of the month's accepted rows (:mod:`kmc_analysis.coverage.rows`:
only id_penerima, the kode columns and nominal; names and masked NIKs never enter here);
persons by number of programs and their combinations are in :mod:`kmc_analysis.coverage.overlap`.

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
from kmc_analysis.coverage.overlap import kombinasi_program, per_person, rekap_tumpang_tindih
from kmc_analysis.coverage.rows import PERSON, PROGRAM, codes, labels, normalised, read_penerima

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
    group, kode = codes(rows, key), labels(rows, key)
    return pd.DataFrame({
        key: kode,
        "penerima_unik": distinct_per_group(group, rows[PERSON], len(kode)),
        "jumlah_penyaluran": np.bincount(group[group >= 0], minlength=len(kode)),
        "nilai_total": sum_per_group(group, rows["nominal"], len(kode)),
        "program_aktif": distinct_per_group(group, rows[PROGRAM], len(kode)),
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
    rows = normalised(penerima)
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
    rows = normalised(penerima)
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
    rows = normalised(penerima)
    catalogue = program_bantuan[["kode_bantuan", "kategori"]].astype("string").fillna("")
    # kategori per program code, then a code per (kategori, kelurahan) pair: code x kelurahan count + kelurahan.
    kategori_of_program = labels(rows, "kode_bantuan").map(dict(zip(catalogue["kode_bantuan"],
                                                                       catalogue["kategori"]))).fillna("")
    kategori_code, kategori_names = pd.factorize(kategori_of_program)
    kelurahan, kelurahan_labels = codes(rows, "kode_kelurahan"), labels(rows, "kode_kelurahan")
    paid_in = kelurahan >= 0
    pair = np.where(paid_in, kategori_code[rows[PROGRAM].to_numpy()] * len(kelurahan_labels) + kelurahan, -1)
    pairs = len(kategori_names) * len(kelurahan_labels)
    counts = pd.DataFrame({
        "kategori": pd.array(np.repeat(np.asarray(kategori_names, dtype=object), len(kelurahan_labels)),
                             dtype="string"),
        "kode_kelurahan": pd.array(np.tile(kelurahan_labels.to_numpy(dtype=object), len(kategori_names)),
                                   dtype="string"),
        "penerima_unik": distinct_per_group(pair, rows[PERSON], pairs),
        "nilai_total": sum_per_group(pair, rows["nominal"], pairs),
    })
    used = np.unique(kategori_code[rows[PROGRAM].to_numpy()[paid_in]])
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
    rows = normalised(penerima)
    base = program_bantuan[["kode_bantuan", "nama_bantuan", "opd", "kategori"]].astype("string")
    for column in ("target_penerima", "anggaran"):
        base[column] = pd.to_numeric(program_bantuan[column], errors="coerce").astype("Int64")
    _check_known(rows["kode_bantuan"], base["kode_bantuan"], "kode_bantuan")
    programs = labels(rows, "kode_bantuan")
    counts = pd.DataFrame({
        "kode_bantuan": programs,
        "penerima_unik": distinct_per_group(rows[PROGRAM], rows[PERSON], len(programs)),
        "nilai_total": sum_per_group(rows[PROGRAM], rows["nominal"], len(programs)),
    })
    frame = base.merge(counts, on="kode_bantuan", how="left").sort_values("kode_bantuan", ignore_index=True)
    for column in ("penerima_unik", "nilai_total"):
        frame[column] = frame[column].fillna(0).astype("int64")
    target = frame["target_penerima"].astype("float64")
    frame["capaian_penerima_persen"] = (frame["penerima_unik"] * 100.0 / target.where(target > 0)).round(2)
    return frame[REKAP_PROGRAM.column_names]


def city_summary(penerima: pd.DataFrame, rekap_kec: pd.DataFrame) -> dict[str, float | int | None]:
    """City totals: distinct persons, rows, value, programs paid, value per person, coverage per 1,000.

    The city's headline figures, computed here once: stage 2 writes them as the city
    summary of the processed folder and the report publishes them from there.
    ``penerima_per_1000`` is rounded to 2 decimals like every area's; the population is
    unknown (None) when any kecamatan's is.
    """
    rows = normalised(penerima)
    people = per_person(penerima)
    population = rekap_kec["penduduk"]
    known = bool(population.notna().all()) and len(population) > 0
    total_population = int(population.sum()) if known else None
    unique = int(rows[PERSON].nunique())
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
    penerima = normalised(penerima)
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
