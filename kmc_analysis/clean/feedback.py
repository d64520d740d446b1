"""Per-OPD feedback workbooks (umpan balik, CONTRACT 2.3): what each OPD must fix or resend, by when.

One workbook ``umpan_balik/<OPD>_YYYY-MM.xlsx`` per OPD that has quarantined rows, a file
stage 1 could not read, or accepted rows to check. :class:`FeedbackMonth` gathers what
they are made of (:meth:`FeedbackMonth.from_stage` from stage 1's results);
:func:`write_feedback` writes them (:mod:`~kmc_analysis.clean.feedback_sharing` shares a large
month's between this process and a helper). The sheets are in
:mod:`~kmc_analysis.clean.feedback_sheets`, the table of rows in
:mod:`~kmc_analysis.clean.feedback_table`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmc_analysis.clean import feedback_sheets as sheets
from kmc_analysis.clean.clerk_sheets import DEFAULT_RECIPIENT, INSTRUCTIONS_SHEET, Formats, new_workbook
from kmc_analysis.clean.feedback_table import cell_table, explain_reasons, reason_texts
from kmc_analysis.clean.ingest import PROVENANCE, IngestResult
from kmc_analysis.clean.lists_sheet import LISTS_SHEET, opd_programs, write_lists_sheet
from kmc_analysis.clean.opd_names import opd_of_file_name
from kmc_analysis.clean.rules import UNKNOWN_OPD, JudgedRows
from kmc_analysis.core.errors import StageError
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import ReferenceData
from kmc_analysis.core.csv_text import write_csv
from kmc_analysis.core.formatting import formula_safe_frame
from kmc_analysis.core.store import PERLU_DICEK_SUFFIX, feedback_file_names

__all__ = ["FeedbackMonth", "default_deadline", "explain_reasons", "feedback_overview", "write_feedback",
           "write_one"]

#: Seconds one OPD's workbook takes to write (least squares over the 53 workbooks of four months of
#: 300 to 1,000,000 rows, on the benchmark machine): a fixed part, each row to fix (the first thousand
#: carry comments), each row on the Perlu Dicek sheet, each row in the perlu_dicek CSV.
SECONDS_PER_WORKBOOK = 0.035
SECONDS_PER_ROW_TO_FIX = (3.1e-4, 1.5e-4)  # rows up to COMMENTED_ROWS, rows below
SECONDS_PER_ROW_ON_SHEET = 9e-5
SECONDS_PER_ROW_TO_CHECK = 1.7e-6
#: At most this many rows to check are shown on an OPD's "Perlu Dicek" sheet (xlsx is written cell by
#: cell, and a clerk reads a sheet, not a database); all of them are listed in a CSV file beside it.
TO_CHECK_SHEET_ROWS = 1_000
#: The day of the month after the period by which corrections are due, unless the caller says otherwise.
DEADLINE_DAY = 10
_REJECTED_COLUMNS = ["path", "sheet", "reason", "opd"]


def default_deadline(period: Period) -> dt.date:
    """The 10th of the month after ``period``: when an OPD's corrections are due."""
    first_of_next = period.last_day() + dt.timedelta(days=1)
    return first_of_next.replace(day=DEADLINE_DAY)


@dataclass
class FeedbackMonth:
    """Everything a month's feedback workbooks are made of.

    ``quarantined`` (provenance, ``alasan``, original cells) with ``opd`` and
    ``duplicate_of`` aligned to it by position; ``header_texts`` as
    :attr:`IngestResult.header_texts`; ``rejected`` the unreadable files and sheets (path,
    sheet, reason, opd); ``to_check`` accepted rows to review (sumber_file, sumber_sheet,
    sumber_baris, keterangan, opd, and original cells when available).
    """

    period: Period
    quarantined: pd.DataFrame
    opd: pd.Series
    wilayah: pd.DataFrame
    programs: pd.DataFrame
    duplicate_of: pd.DataFrame | None = None
    header_texts: dict = field(default_factory=dict)
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_REJECTED_COLUMNS, dtype="str"))
    to_check: pd.DataFrame | None = None
    deadline: dt.date | None = None
    recipient: str = DEFAULT_RECIPIENT
    rounds_applied: dict = field(default_factory=dict)   # OPD -> the latest round of its corrections applied

    @classmethod
    def from_stage(cls, period: Period, ingest: IngestResult, judged: JudgedRows, reference: ReferenceData,
                   to_check: pd.DataFrame | None = None, deadline: dt.date | None = None,
                   recipient: str = DEFAULT_RECIPIENT) -> FeedbackMonth:
        """Gather stage 1's results; unreadable files and rows to check are routed to their OPD.

        A rejected file goes to the OPD of the other rows read from it, else to the OPD its
        name shows, else to :data:`~kmc_analysis.clean.rules.UNKNOWN_OPD`. Rows to check
        without an ``opd`` column go to the OPD of the accepted row they are.
        """
        opds = set(reference.program_bantuan["opd"])
        rejected = pd.DataFrame(ingest.rejected_files, columns=["path", "sheet", "reason"]).fillna("").astype("str")
        names = [Path(path).name for path in rejected["path"]]
        file_opd = _opd_per_file(judged, set(names)) if names else {}
        rejected["opd"] = [file_opd.get(name) or opd_of_file_name(name, opds) or UNKNOWN_OPD for name in names]
        if to_check is not None and "opd" not in to_check:
            owner = judged.accepted[[*PROVENANCE, "opd"]]
            to_check = to_check.merge(owner, on=PROVENANCE, how="left")
            to_check["opd"] = to_check["opd"].fillna(UNKNOWN_OPD)
        rounds: dict[str, int] = {}
        for book in ingest.corrections:
            rounds[book.opd] = max(rounds.get(book.opd, 0), book.round)
        return cls(period, judged.quarantined, judged.quarantined_opd, reference.wilayah, reference.program_bantuan,
                   judged.duplicate_of, ingest.header_texts, rejected, to_check, deadline, recipient, rounds)

    def opds(self) -> list[str]:
        """Every OPD that gets a workbook."""
        found = set(self.opd.unique()) | set(self.rejected["opd"])
        if self.to_check is not None:
            found |= set(self.to_check["opd"].unique())
        return sorted(str(name) for name in found)

    def seconds_per_opd(self) -> pd.Series:
        """About how long each OPD's workbook takes to write, longest first (see :data:`SECONDS_PER_WORKBOOK`)."""
        to_fix = self.opd.value_counts().reindex(self.opds(), fill_value=0)
        to_check = (self.to_check["opd"].value_counts() if self.to_check is not None
                    else pd.Series(dtype="int64")).reindex(self.opds(), fill_value=0)
        commented, below = SECONDS_PER_ROW_TO_FIX
        seconds = (SECONDS_PER_WORKBOOK + commented * to_fix.clip(upper=sheets.COMMENTED_ROWS)
                   + below * (to_fix - sheets.COMMENTED_ROWS).clip(lower=0)
                   + SECONDS_PER_ROW_ON_SHEET * to_check.clip(upper=TO_CHECK_SHEET_ROWS)
                   + SECONDS_PER_ROW_TO_CHECK * to_check)
        return seconds.sort_values(ascending=False, kind="stable")


def _opd_per_file(judged: JudgedRows, files: set[str]) -> dict[str, str]:
    """The OPD most rows read from each of ``files`` belong to (accepted and quarantined)."""
    accepted = judged.accepted.loc[judged.accepted["sumber_file"].isin(files), ["sumber_file", "opd"]]
    quarantined = judged.quarantined["sumber_file"].isin(files).to_numpy()
    rows = pd.concat([accepted, pd.DataFrame({"sumber_file": judged.quarantined["sumber_file"][quarantined],
                                              "opd": judged.quarantined_opd[quarantined].to_numpy()})],
                     ignore_index=True)
    rows = rows[rows["opd"].ne(UNKNOWN_OPD)]
    if rows.empty:
        return {}
    counts = rows.value_counts().reset_index().sort_values(["sumber_file", "count", "opd"],
                                                            ascending=[True, False, True])
    return dict(counts.drop_duplicates("sumber_file")[["sumber_file", "opd"]].itertuples(index=False))


def write_feedback(month: FeedbackMonth, out_dir: Path, names: dict[str, str] | None = None) -> list[Path]:
    """Write one workbook per OPD of ``month`` into ``out_dir``; return the paths written, sorted.

    ``names`` (OPD -> file name) defaults to :func:`~kmc_analysis.core.store.feedback_file_names`
    of the month's OPDs; a caller writing part of a month passes the names of the whole month.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    names = names or feedback_file_names(month.opds(), month.period)
    written = []
    for opd in month.opds():
        path = out_dir / names[opd]
        write_one(month, opd, path)
        written.append(path)
    return sorted(written)


def write_one(month: FeedbackMonth, opd: str, path: Path) -> None:
    """Write one OPD's workbook; an unexpected failure names the OPD, never a cell value."""
    try:
        _build_workbook(month, opd, path)
    except OSError:
        raise
    except Exception as problem:  # a library message may quote a cell: keep it out of logs and terminals
        raise StageError(f"Berkas umpan balik {opd} ({path.name}) gagal ditulis ({type(problem).__name__}). "
                         f"Ini kesalahan program: mohon laporkan.") from None


def _build_workbook(month: FeedbackMonth, opd: str, path: Path) -> None:
    mine = month.opd.eq(opd).to_numpy()
    rows = month.quarantined[mine]
    duplicates = None if month.duplicate_of is None else month.duplicate_of[mine]
    to_check = None if month.to_check is None else month.to_check[month.to_check["opd"].eq(opd)]
    total_to_check = 0 if to_check is None else len(to_check)
    whole_list = ""
    if total_to_check > TO_CHECK_SHEET_ROWS:
        whole_list = to_check_list_name(path.name)
        write_to_check_list(to_check, path.parent / whole_list)
        to_check = to_check.iloc[:TO_CHECK_SHEET_ROWS]
    notes = None if to_check is None or to_check.empty else to_check["keterangan"].reset_index(drop=True)
    fb = sheets.OpdFeedback(
        opd=opd, period=month.period,
        corrections=cell_table(rows, month.header_texts, duplicates),
        reasons=reason_texts(rows["alasan"], duplicates).reset_index(drop=True),
        codes=rows["alasan"].astype("str").reset_index(drop=True),
        to_check=None if notes is None else cell_table(to_check, month.header_texts, with_comments=False),
        to_check_notes=notes,
        rejected=month.rejected[month.rejected["opd"].eq(opd)],
        deadline=month.deadline or default_deadline(month.period), recipient=month.recipient,
        to_check_total=total_to_check, to_check_list=whole_list, round=month.rounds_applied.get(opd, 0) + 1,
    )
    book = new_workbook(path, f"Umpan balik KMC {month.period}")
    formats = Formats(book)
    instructions = book.add_worksheet(INSTRUCTIONS_SHEET)
    corrections = [book.add_worksheet(name) for name in sheets.corrections_sheet_names(len(fb.codes))]
    review = book.add_worksheet(sheets.TO_CHECK_SHEET) if fb.to_check is not None else None
    lists = write_lists_sheet(book.add_worksheet(LISTS_SHEET), formats, month.wilayah,
                              opd_programs(month.programs, opd), f"Daftar isian yang sah: {opd}")
    sheets.write_instructions(instructions, formats, fb)
    for part, sheet in enumerate(corrections):
        sheets.write_corrections(sheet, formats, fb, lists, part)
    if review is not None:
        sheets.write_to_check(review, formats, fb)
    sheets.write_marker(book.add_worksheet(sheets.MARKER_SHEET), fb)
    book.close()


def to_check_list_name(workbook_name: str) -> str:
    """The CSV beside an OPD's workbook listing all its rows to check: ``<OPD>_YYYY-MM_perlu_dicek.csv``."""
    return Path(workbook_name).stem + PERLU_DICEK_SUFFIX


def write_to_check_list(to_check: pd.DataFrame, path: Path) -> None:
    """Every row to check of one OPD (File, Sheet, Baris, Keterangan): where to find it, no NIK or name.

    UTF-8 with BOM and formula-safe cells, as karantina.csv, so it opens the same in Excel.
    """
    columns = {"File": "sumber_file", "Sheet": "sumber_sheet", "Baris": "sumber_baris", "Keterangan": "keterangan"}
    table = to_check[list(columns.values())].set_axis(list(columns), axis=1).reset_index(drop=True)
    write_csv(formula_safe_frame(table.astype({"File": "str", "Sheet": "str", "Baris": "int64", "Keterangan": "str"})),
              path, bom=True)


def feedback_overview(month: FeedbackMonth) -> pd.DataFrame:
    """One row per feedback workbook of ``month``: OPD, file name, rows to fix, unreadable files, rows to check."""
    names = feedback_file_names(month.opds(), month.period)
    to_check = month.to_check["opd"].value_counts() if month.to_check is not None else pd.Series(dtype="int64")
    table = pd.DataFrame({"opd": month.opds()})
    table["berkas"] = table["opd"].map(names)
    table["baris_perbaikan"] = table["opd"].map(month.opd.value_counts()).fillna(0).astype("int64")
    table["berkas_ditolak"] = table["opd"].map(month.rejected["opd"].value_counts()).fillna(0).astype("int64")
    table["baris_perlu_dicek"] = table["opd"].map(to_check).fillna(0).astype("int64")
    return table
