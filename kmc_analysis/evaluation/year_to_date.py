"""Read the stage 1 outputs of every processed month of a period's year, January to the period.

Stage 3 evaluates the year to date: :func:`load_year_to_date` gathers, per processed month,
the accepted rows (only bulan, id_penerima, kode_bantuan, opd, nominal: no name or NIK),
the per-OPD row counts and the rows read / accepted / quarantined, and lists the months
that have no processed data. The pseudonyms are replaced by integer person codes at once:
the year's tables only count persons, and a million 64-character texts cost time and memory.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.paths import RunPaths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import PENERIMA, REKAP_OPD, has, has_manifest, read_manifest, read_table

_PENERIMA_USED = ["id_penerima", "kode_bantuan", "opd", "nominal"]
_REKAP_USED = ["opd", "baris_dibaca", "baris_diterima", "baris_karantina"]
_COUNT_KEYS = ["rows_read", "rows_accepted", "rows_quarantined"]


@dataclass(frozen=True)
class YearToDate:
    """Stage 1 outputs of every processed month of the period's year, January to the period.

    ``penerima`` holds only bulan, orang, kode_bantuan, opd, nominal (no name or NIK is ever
    read here; ``orang`` is an integer code per id_penerima, the same in every month);
    ``rekap_opd`` bulan, opd, baris_dibaca, baris_diterima, baris_karantina; ``counts``
    bulan, rows_read, rows_accepted, rows_quarantined.
    """

    period: Period
    months: tuple[Period, ...]
    missing_months: tuple[Period, ...]
    penerima: pd.DataFrame
    rekap_opd: pd.DataFrame
    counts: pd.DataFrame

    @property
    def year(self) -> int:
        """The period's year."""
        return self.period.year

    @property
    def months_elapsed(self) -> int:
        """Months of the year up to and including the period (processed or not)."""
        return self.period.month

    def month_numbers(self, bulan: pd.Series) -> pd.Series:
        """The month (1-12) of each ``bulan`` value of these tables (``str(Period)``).

        Looked up once per distinct value: ``penerima`` has a million rows and a dozen months.
        """
        codes, distinct = pd.factorize(bulan, sort=False)
        number = {str(month): month.month for month in self.months}
        looked_up = np.array([number[value] for value in distinct], dtype="int64")
        return pd.Series(looked_up[codes], index=bulan.index)

    @functools.cached_property
    def row_months(self) -> np.ndarray:
        """The month (1-12) of every accepted row."""
        return self.month_numbers(self.penerima["bulan"]).to_numpy()

    @functools.cached_property
    def row_programs(self) -> tuple[np.ndarray, pd.Index]:
        """Every accepted row's program as a code, and the kode_bantuan of each code."""
        codes, programs = pd.factorize(self.penerima["kode_bantuan"])
        return codes, pd.Index(programs, name="kode_bantuan")

    @functools.cached_property
    def _opds_by_month(self) -> pd.DataFrame:
        """The distinct (month number, OPD) pairs of the accepted rows."""
        pairs = pd.DataFrame({"month": self.row_months, "opd": self.penerima["opd"]})
        return pairs.dropna().drop_duplicates()

    def submitting_opds(self, first_month: int = 1) -> set[str]:
        """OPDs with at least one row read (rekap_opd), or an accepted row, from ``first_month`` to the period."""
        rekap = self.rekap_opd.loc[self.month_numbers(self.rekap_opd["bulan"]) >= first_month]
        accepted = self._opds_by_month
        read = rekap.groupby("opd")["baris_dibaca"].sum()
        return set(read.index[read > 0]) | set(accepted.loc[accepted["month"] >= first_month, "opd"])


def _month_counts(folder: Path, rekap: pd.DataFrame | None, accepted: int) -> dict[str, float]:
    """Rows read / accepted / quarantined of a month: manifest, else rekap_opd, else the accepted rows."""
    if has_manifest(folder):
        counts = read_manifest(folder).get("counts", {})
        if all(k in counts for k in _COUNT_KEYS):
            return {k: counts[k] for k in _COUNT_KEYS}
    if rekap is not None:
        return {"rows_read": rekap["baris_dibaca"].sum(), "rows_accepted": rekap["baris_diterima"].sum(),
                "rows_quarantined": rekap["baris_karantina"].sum()}
    return {"rows_read": pd.NA, "rows_accepted": accepted, "rows_quarantined": pd.NA}


def load_year_to_date(paths: RunPaths) -> YearToDate:
    """Read the processed months of the period's year up to the period; absent months are listed.

    A month counts as processed when its folder holds its accepted rows (``store.PENERIMA``).
    The period's own month must be there (stage 1 writes it): else InputError.
    """
    penerima, rekap, counts, present, absent = [], [], [], [], []
    for month in paths.period.months_to_date():
        folder = paths.processed_for(month)
        if not has(folder, PENERIMA):
            absent.append(month)
            continue
        present.append(month)
        rows = read_table(folder, PENERIMA, columns=_PENERIMA_USED)
        penerima.append(rows.assign(bulan=str(month)))
        month_rekap = read_table(folder, REKAP_OPD, columns=_REKAP_USED, missing_ok=True)
        if month_rekap is not None:
            rekap.append(month_rekap.assign(bulan=str(month)))
        counts.append({"bulan": str(month), **_month_counts(folder, month_rekap, len(rows))})
    if paths.period in absent:
        raise InputError(
            f"Data olahan bulan {paths.period} tidak ditemukan ({paths.processed_for(paths.period) / PENERIMA.name}): "
            f"jalankan tahap 1 (01_clean_opd_data) untuk periode ini dulu."
        )
    penerima_all = pd.concat(penerima, ignore_index=True)  # never empty: the period itself is there
    penerima_all["orang"] = pd.factorize(penerima_all.pop("id_penerima"))[0].astype("int64")
    rekap_all = (pd.concat(rekap, ignore_index=True) if rekap else
                 pd.DataFrame({"bulan": pd.Series(dtype="str"), "opd": pd.Series(dtype="str"),
                               **{c: pd.Series(dtype="int64") for c in _REKAP_USED[1:]}}))
    counts_all = pd.DataFrame(counts, columns=["bulan", *_COUNT_KEYS]).astype({k: "Int64" for k in _COUNT_KEYS})
    penerima_all = penerima_all[["bulan", "orang", *_PENERIMA_USED[1:]]]
    return YearToDate(paths.period, tuple(present), tuple(absent), penerima_all, rekap_all[["bulan", *_REKAP_USED]],
                      counts_all)
