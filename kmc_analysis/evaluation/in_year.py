"""The in-year rule: judgements that hold in any month, not only in December (CONTRACT 3).

Within a year a monthly report never judges a program as failing only because the year
is not over:

- A program's ``target_penerima`` is judged by its payment rhythm (catalogue ``satuan``,
  case and spacing ignored). Programs paid ``per bulan``, ``per triwulan`` or ``per
  semester`` compare the persons paid in the payment period that contains the report month
  (the month; January..report month within its quarter or semester) with the target.
  Programs paid once (``sekali``, ``per tahun``) compare the year-to-date persons with the
  prorated target, target x month / 12. An unknown or empty satuan is treated as once a
  year, and :func:`satuan_notes` says so.
- When that payment period is not over yet and the program is below plan (capaian under
  100), its capaian is computed but its judgement is ``sementara`` (provisional), not
  ``final``; findings and recommendations never call a ``sementara`` row failing. The same
  holds for money spent (serapan), which compares with the prorated budget.
- RPJMD indicators computed from KMC data are ``sementara`` before December. Their counts
  (``PRORATED_METRICS``: penerima_unik, jenis_bantuan_tersalur and penerima_per_1000, a
  rate of a count that grows through the year like one) compare with the prorated target,
  target x month / 12; rates and percentages (kelengkapan_opd_persen, persen_baris_valid)
  with the annual target. December uses the annual target for all of them.

:func:`behind_plan` and :func:`provisional` are what narratives use to pick rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import NAMA_BULAN, Period

SEMENTARA, FINAL = "sementara", "final"
#: Values of status_penilaian / status_serapan ("" where there is nothing to judge).
STATUS_PENILAIAN = (SEMENTARA, FINAL)
#: Predikat that count as behind plan once final.
BELOW_PLAN = ("Rendah", "Sangat Rendah")
#: Months in one payment period, by satuan; every other satuan is paid once a year (12).
PERIOD_MONTHS = {"per bulan": 1, "per triwulan": 3, "per semester": 6}
ONCE_A_YEAR = ("sekali", "per tahun")
#: KMC metrics that grow through the year like a count: compared with target x month / 12.
PRORATED_METRICS = frozenset({"penerima_unik", "jenis_bantuan_tersalur", "penerima_per_1000"})
_ROMAN = ("I", "II", "III", "IV")


def normalise_satuan(satuan: pd.Series) -> pd.Series:
    """satuan lower case with single spaces (``Per  Triwulan`` -> ``per triwulan``); missing is empty."""
    return satuan.astype("str").fillna("").str.strip().str.lower().str.replace(r"\s+", " ", regex=True)


def months_per_period(satuan: pd.Series) -> pd.Series:
    """Months in each program's payment period: 1, 3, 6, or 12 for once a year and unknown satuan."""
    return normalise_satuan(satuan).map(PERIOD_MONTHS).fillna(12).astype("int64")


def satuan_notes(program_bantuan: pd.DataFrame) -> list[str]:
    """Sentences naming programs whose satuan is unknown or empty (they are judged as paid once a year)."""
    satuan = normalise_satuan(program_bantuan.get("satuan", pd.Series("", index=program_bantuan.index)))
    known = satuan.isin([*PERIOD_MONTHS, *ONCE_A_YEAR])
    notes = []
    for text, rows in program_bantuan.loc[~known].groupby(satuan[~known], sort=True):
        codes = ", ".join(rows["kode_bantuan"].astype("str"))
        what = "tanpa satuan" if text == "" else f"dengan satuan '{text}' yang tidak dikenal"
        notes.append(f"Program {codes} {what} dinilai sebagai bantuan sekali setahun (target x bulan / 12); "
                     f"isi kolom satuan di program_bantuan.csv dengan per bulan, per triwulan, per semester, "
                     f"per tahun atau sekali.")
    return notes


def first_month(months: int, period: Period) -> int:
    """The first month of the payment period of ``months`` months that contains the period's month."""
    return (period.month - 1) // months * months + 1


def period_over(months: int, period: Period) -> bool:
    """Whether the payment period that contains the report month ends with it."""
    return period.month % months == 0


def window_label(months: int, period: Period) -> str:
    """The payment period compared, in words: ``Maret 2024``, ``Triwulan I 2024 (Januari–Maret)``."""
    first = first_month(months, period)
    span = NAMA_BULAN[first - 1] if first == period.month else f"{NAMA_BULAN[first - 1]}–{NAMA_BULAN[period.month - 1]}"
    if months == 1:
        return period.in_words()
    if months == 3:
        return f"Triwulan {_ROMAN[(period.month - 1) // 3]} {period.year} ({span})"
    if months == 6:
        return f"Semester {_ROMAN[(period.month - 1) // 6]} {period.year} ({span})"
    if period.month == 12:
        return f"Tahun {period.year}"
    return f"{span} {period.year} (target x {period.month}/12)"


def judgement(capaian_persen: pd.Series, over: pd.Series) -> pd.Series:
    """status_penilaian: ``sementara`` below plan in a payment period not over, else ``final``; "" without capaian."""
    value = pd.to_numeric(capaian_persen, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ended = np.asarray(over, dtype=bool)
    status = np.where(np.isnan(value), "", np.where(~ended & (value < 100), SEMENTARA, FINAL))
    return pd.Series(status, index=capaian_persen.index, dtype="str")


def program_windows(program_bantuan: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per catalogue program: bulan_periode, bulan_awal, periode_selesai, periode_penilaian, and the
    factor the target is multiplied by (``target_kali`` / ``target_bagi``: month/12 for once-a-year).
    """
    months = months_per_period(program_bantuan.get("satuan", pd.Series("", index=program_bantuan.index)))
    once = months == 12
    return pd.DataFrame({
        "kode_bantuan": program_bantuan["kode_bantuan"].to_numpy(),
        "bulan_periode": months.to_numpy(),
        "bulan_awal": [first_month(m, period) for m in months],
        "periode_selesai": [period_over(m, period) for m in months],
        "periode_penilaian": [window_label(m, period) for m in months],
        "target_kali": np.where(once, period.month, 1),
        "target_bagi": np.where(once, 12, 1),
    })


def rpjmd_comparison(metrik_kmc: pd.Series, sumber: pd.Series, tahun: pd.Series, period: Period) -> pd.DataFrame:
    """Per RPJMD row: the target factor (month/12 for KMC counts of the period's year before December)
    and whether its judgement is provisional (any KMC indicator of that year before December).
    """
    this_year = (sumber == "kmc").to_numpy() & (tahun == period.year).to_numpy() & (period.month < 12)
    prorated = this_year & metrik_kmc.isin(PRORATED_METRICS).to_numpy()
    return pd.DataFrame({"target_kali": np.where(prorated, period.month, 1), "target_bagi": np.where(prorated, 12, 1),
                         "sementara": this_year}, index=metrik_kmc.index)


# --- what narratives use -------------------------------------------------------------------------


def _rows(table: pd.DataFrame, predikat: str, status: str, wanted: str) -> pd.DataFrame:
    below = table[predikat].astype("str").isin(BELOW_PLAN)
    judged = table[status].astype("str") if status in table.columns else pd.Series(FINAL, index=table.index)
    keep = below & (judged == SEMENTARA) if wanted == SEMENTARA else below & (judged != SEMENTARA)
    return table.loc[keep]


def behind_plan(table: pd.DataFrame, predikat: str = "predikat", status: str = "status_penilaian") -> pd.DataFrame:
    """Rows rated Rendah or Sangat Rendah whose judgement is final: the only ones a finding may call behind plan.

    A table without the status column (written before the in-year rule) counts as final.
    """
    return _rows(table, predikat, status, FINAL)


def provisional(table: pd.DataFrame, predikat: str = "predikat", status: str = "status_penilaian") -> pd.DataFrame:
    """Rows below plan only because their payment period (or the year) is not over: never called failing."""
    return _rows(table, predikat, status, SEMENTARA)


def programs_behind_plan(program: pd.DataFrame) -> pd.DataFrame:
    """evaluasi_program rows whose recipients are behind plan (final judgement)."""
    return behind_plan(program, "predikat_penerima", "status_penilaian")


def budgets_behind_plan(program: pd.DataFrame) -> pd.DataFrame:
    """evaluasi_program rows whose spending (serapan) is behind the prorated budget (final judgement)."""
    return behind_plan(program, "predikat_serapan", "status_serapan")
