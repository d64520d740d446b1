"""Review flags (``tinjauan``): accepted rows worth a second look, which are never quarantined.

CONTRACT 2.4 and 3. Stage 1 calls :func:`review_flags` on its accepted rows while they
still carry the clean NIK (before pseudonymising); the result is ``tinjauan.csv`` and the
"Perlu Dicek" sheet of each OPD's feedback workbook. Three flags, ``;``-separated in this
order:

- ``usia_di_luar_sasaran``: the recipient's age lies outside the program's
  ``usia_min``..``usia_maks`` (either bound may be absent). Age comes from NIK digits 7-12
  (DDMMYY, women's day + 40) on the period's last day; the birth year is 20YY unless that
  lies after the period's year, then 19YY. Digits 1-6 (place of first registration) are
  never used.
- ``nominal_tidak_wajar``: the amount is above twice or below half the program's
  ``nominal_standar``.
- ``banyak_program``: the same person is in 5 or more programs this month (every row of
  that person is flagged).

Everything is vectorised: the NIK's digits are read as numbers (once per distinct NIK when
some are not 16 digits), and the sentences are built once per distinct combination of
values, so a million rows take well under a second or two (``benchmarks/bench_review.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.clean.normalize import factorize_niks, nik_date_parts, nik_numbers
from kmc_analysis.core.counting import distinct_per_group
from kmc_analysis.core.formatting import format_number, format_rupiah
from kmc_analysis.core.periods import Period

USIA_DI_LUAR_SASARAN, NOMINAL_TIDAK_WAJAR, BANYAK_PROGRAM = "usia_di_luar_sasaran", "nominal_tidak_wajar", "banyak_program"
#: The flags in the order they are joined.
TANDA = (USIA_DI_LUAR_SASARAN, NOMINAL_TIDAK_WAJAR, BANYAK_PROGRAM)
#: What each flag means, in the words an OPD clerk reads (the "Perlu Dicek" sheet).
TANDA_LABEL = {
    USIA_DI_LUAR_SASARAN: "Usia di luar sasaran program",
    NOMINAL_TIDAK_WAJAR: "Nominal tidak wajar",
    BANYAK_PROGRAM: "Menerima banyak program",
}
#: A person in this many programs in one month is flagged.
BANYAK_PROGRAM_MIN = 5
#: An amount above this many times, or below one over this many times, nominal_standar is flagged.
NOMINAL_FACTOR = 2
#: Columns of the flagged rows (tinjauan.csv, CONTRACT 3).
REVIEW_COLUMNS = ["sumber_file", "sumber_sheet", "sumber_baris", "opd", "kode_bantuan", "tanda", "keterangan"]
_NEEDED = ["nik", "kode_bantuan", "opd", "nominal", "sumber_file", "sumber_sheet", "sumber_baris"]


def age_from_nik(nik: pd.Series, period: Period) -> pd.Series:
    """Age in whole years on the period's last day from NIK digits 7-12; <NA> where they are no date.

    Day 41-71 is a woman's day + 40. The birth year is 20YY unless that lies after the
    period's year, then 19YY. Computed once per distinct NIK.
    """
    codes, distinct = pd.factorize(nik.astype("str").fillna(""), sort=False)
    ages = _ages(distinct, period)[codes] if len(codes) else np.array([], dtype="float64")
    return pd.Series(pd.array(ages, dtype="Float64").astype("Int64"), index=nik.index)


def _ages(niks, period: Period) -> np.ndarray:
    """Ages (float, NaN where the NIK is not 16 digits or digits 7-12 are no date) of distinct NIK texts."""
    text = pd.Series(niks, dtype="str")
    usable = text.str.fullmatch("[0-9]{16}").to_numpy(dtype=bool, na_value=False, copy=True)
    parts = [np.zeros(len(text), dtype=np.int64) for _ in range(3)]
    if usable.any():
        for whole, part in zip(parts, nik_date_parts(nik_numbers(text[usable]))):
            whole[usable] = part
    return _ages_on(*parts, usable, period)


def _ages_on(day: np.ndarray, month: np.ndarray, yy: np.ndarray, usable: np.ndarray, period: Period) -> np.ndarray:
    """Ages on the period's last day from NIK date digits (women's day + 40); NaN where not ``usable`` or no date."""
    day = np.where(day > 40, day - 40, day)
    usable = usable & (day >= 1) & (day <= 31) & (month >= 1) & (month <= 12)
    on = period.last_day()
    year = 2000 + yy
    year = np.where(year > period.year, year - 100, year)
    not_yet = (month > on.month) | ((month == on.month) & (day > on.day))
    return np.where(usable, on.year - year - not_yet, np.nan).astype("float64")


def _persons_and_ages(nik: pd.Series, period: Period) -> tuple[np.ndarray, int, np.ndarray]:
    """Each row's person (factorized code), how many persons, and each row's age (NaN where unknown).

    Accepted NIKs are all 16 digits: then ages come from the numbers row by row and persons
    from factorising the numbers, with no text work; otherwise once per distinct NIK text.
    """
    numbers = nik_numbers(nik)
    if numbers is None:
        person, niks = factorize_niks(nik)
        return person, len(niks), _ages(niks, period)[person] if len(nik) else np.array([], dtype="float64")
    person, distinct = pd.factorize(numbers, sort=False)
    return person, len(distinct), _ages_on(*nik_date_parts(numbers), np.ones(len(numbers), dtype=bool), period)


def _programs_per_person(person: np.ndarray, program: np.ndarray, persons: int, programs: int) -> np.ndarray:
    """For each row, how many distinct programs its person is in (``person``/``program``: factorized codes)."""
    if not len(person):
        return np.array([], dtype="int64")
    return distinct_per_group(person, program, persons)[person]


def _by_distinct(values: np.ndarray, render) -> np.ndarray:
    """Apply ``render(row of floats, NaN for missing) -> str`` once per distinct row of ``values`` (2-D)."""
    if not len(values):
        return np.array([], dtype=object)
    frame = pd.DataFrame(values)
    group = frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    return np.asarray([render(tuple(row)) for row in values[first]], dtype=object)[group]


def _age_range_text(low, high) -> str:
    if pd.notna(low) and pd.notna(high):
        return f"{int(low)}–{int(high)} tahun"
    return f"minimal {int(low)} tahun" if pd.notna(low) else f"maksimal {int(high)} tahun"


def _age_sentence(row) -> str:
    age, low, high = row
    if age < 0:
        return (f"Tanggal lahir pada NIK (digit 7-12) jatuh sesudah akhir periode laporan, di luar sasaran "
                f"program ({_age_range_text(low, high)}): periksa NIK.")
    return f"Usia penerima {int(age)} tahun, di luar sasaran program ({_age_range_text(low, high)})."


def _amount_sentence(row) -> str:
    amount, standard = int(row[0]), int(row[1])
    side = "lebih dari dua kali" if amount > NOMINAL_FACTOR * standard else "kurang dari separuh"
    return f"Nominal {format_rupiah(amount)} {side} nominal standar program ({format_rupiah(standard)})."


def _programs_sentence(row) -> str:
    return f"Orang yang sama tercatat menerima {format_number(row[0])} jenis bantuan pada bulan ini."


def review_flags(accepted: pd.DataFrame, catalogue: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The accepted rows to review, with their flags and a plain-Indonesian explanation.

    ``accepted``: stage 1's accepted rows with the clean 16-digit ``nik`` (before it is
    pseudonymised) and kode_bantuan, opd, nominal, sumber_file, sumber_sheet, sumber_baris.
    ``catalogue``: program_bantuan with usia_min, usia_maks and nominal_standar (missing
    columns or values mean no check). Returns only flagged rows, in input order, with the
    columns of tinjauan.csv (:data:`REVIEW_COLUMNS`); no NIK and no name.
    """
    return flagged_rows(accepted, catalogue, period)[0]


def flagged_rows(accepted: pd.DataFrame, catalogue: pd.DataFrame, period: Period) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`review_flags`, and for each of its rows the position in ``accepted`` of the row it flags."""
    missing = [column for column in _NEEDED if column not in accepted.columns]
    if missing:
        raise KeyError(f"review_flags needs the columns {missing} of the accepted rows")
    rows = accepted.reset_index(drop=True)
    person, persons, age = _persons_and_ages(rows["nik"], period)
    program, kodes = pd.factorize(rows["kode_bantuan"].astype("str").fillna(""), sort=False)
    table = catalogue.drop_duplicates("kode_bantuan").set_index("kode_bantuan")

    def per_row(column: str) -> np.ndarray:
        if column not in table.columns or not len(rows):
            return np.full(len(rows), np.nan)
        values = pd.to_numeric(table[column], errors="coerce").astype("float64").reindex(kodes)
        return values.to_numpy(dtype="float64", na_value=np.nan)[program]

    low, high = per_row("usia_min"), per_row("usia_maks")
    outside = (age < low) | (age > high)  # NaN (no bound, no age) compares False
    standard = per_row("nominal_standar")
    standard[~(standard > 0)] = np.nan
    nominal = pd.to_numeric(rows["nominal"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    odd_amount = (nominal > NOMINAL_FACTOR * standard) | (nominal * NOMINAL_FACTOR < standard)
    programs = _programs_per_person(person, program, persons, len(kodes))
    many = programs >= BANYAK_PROGRAM_MIN

    flagged = outside | odd_amount | many
    out = rows.loc[flagged, ["sumber_file", "sumber_sheet", "sumber_baris", "opd", "kode_bantuan"]]
    out = out.astype({"sumber_baris": "int64"})
    hits = [(outside[flagged], np.column_stack([age, low, high])[flagged], _age_sentence),
            (odd_amount[flagged], np.column_stack([nominal, standard])[flagged], _amount_sentence),
            (many[flagged], programs[flagged, None].astype("float64"), _programs_sentence)]
    bits = sum(hit.astype("int64") << position for position, (hit, _, _) in enumerate(hits))
    combinations = [";".join(code for position, code in enumerate(TANDA) if mask >> position & 1)
                    for mask in range(2 ** len(TANDA))]
    keterangan = np.full(len(out), "", dtype=object)
    for hit, values, render in hits:
        sentences = _by_distinct(values[hit], render)
        later = hit & (keterangan != "")
        keterangan[hit & ~later] = sentences[~later[hit]]
        keterangan[later] = keterangan[later] + " " + sentences[later[hit]]
    out = out.assign(tanda=pd.array(np.asarray(combinations, dtype=object)[bits], dtype="str"),
                     keterangan=pd.array(keterangan, dtype="str"))
    return out[REVIEW_COLUMNS].reset_index(drop=True), np.flatnonzero(flagged)


def review_counts(tinjauan: pd.DataFrame) -> pd.DataFrame:
    """Flagged rows per OPD: opd, baris_ditinjau, then one column per flag (rows carrying it).

    A city-level count per OPD (published in full, CONTRACT 3). Sorted by OPD.
    """
    columns = ["opd", "baris_ditinjau", *TANDA]
    if tinjauan is None or tinjauan.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c == "opd" else "int64") for c in columns})
    # A month holds a handful of flag combinations: count rows per OPD and combination, then split those.
    pairs = tinjauan.groupby([tinjauan["opd"].astype("str").rename("opd"),
                              tinjauan["tanda"].astype("str").rename("tanda")]).size().rename("rows").reset_index()
    marks = pairs.assign(tanda=pairs["tanda"].str.split(";")).explode("tanda")
    counts = marks.pivot_table(index="opd", columns="tanda", values="rows", aggfunc="sum", fill_value=0)
    counts = counts.reindex(columns=list(TANDA), fill_value=0)
    counts.insert(0, "baris_ditinjau", pairs.groupby("opd")["rows"].sum())
    return counts.rename_axis(index="opd", columns=None).reset_index()[columns].astype(
        {c: "int64" for c in columns[1:]})
