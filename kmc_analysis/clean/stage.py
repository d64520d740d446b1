"""Stage 1 in one call: read a month's OPD files, judge every row, write the stage's outputs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kmc_analysis.clean import normalize as nz
from kmc_analysis.clean.corrections import apply_corrections
from kmc_analysis.clean.dtks import read_dtks, rows_needing_dtks_check
from kmc_analysis.clean.feedback import FeedbackMonth
from kmc_analysis.clean.feedback_sharing import (
    CALLER_SECONDS_PER_MONTH_ROW,
    HELPER_AHEAD_FROM_BYTES,
    FeedbackHelper,
    FeedbackJob,
)
from kmc_analysis.clean.ingest import PROVENANCE, IngestResult, read_submissions
from kmc_analysis.clean.layout import skipped_summary  # noqa: F401  (notebook 01 shows it)
from kmc_analysis.clean.memory import (
    arrow_on_the_system_allocator,
    check_memory,
    submission_bytes,
)
from kmc_analysis.clean.pseudonyms import PseudonymJob, PseudonymKey, load_key
from kmc_analysis.clean.reasons import REASON_TEXT
from kmc_analysis.clean.review import flagged_rows
from kmc_analysis.clean.rules import (
    UNKNOWN_OPD,
    JudgedRows,
    finalize_accepted,
    judge_rows,
    opd_summary,
    reconcile,
)
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.manifest import now_iso, software_versions
from kmc_analysis.core.paths import RunPaths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import ReferenceData
from kmc_analysis.core.store import (
    KARANTINA,
    PENERIMA,
    REKAP_OPD,
    TINJAUAN,
    UMPAN_BALIK,
    is_synthetic,
    write_manifest,
    write_table,
)

#: What the "Perlu Dicek" sheet says of a poor-targeted row whose recipient is not in DTKS.
PERLU_VERIFIKASI_DTKS = ("Perlu verifikasi DTKS: program ini untuk rumah tangga miskin, tetapi NIK penerima tidak "
                         "ditemukan di DTKS bulan ini. Periksa apakah penerima memang berhak, atau usulkan ke DTKS.")
#: Up to this many rows read, penerima.parquet is written by a thread while the rows are reviewed; above,
#: after (both at once add a few percent to the stage's peak memory, which at 5M rows is near 6 GB).
PENERIMA_BESIDE_REVIEW_UP_TO_ROWS = 2_000_000
#: Seconds per row read that pseudonymising and writing penerima.parquet take the kernel (benchmark machine).
PENERIMA_SECONDS_PER_ROW = 0.9e-6
#: Cells of an accepted row shown to its own OPD on the "Perlu Dicek" sheet, so the clerk finds the person.
CHECK_CELLS = ["nik", "nama", "kode_bantuan", "nominal"]


@dataclass
class CleaningResult:
    """Everything stage 1 produced for one month, as written to its processed folder.

    ``ingest.rows`` is left empty (its columns only): the month's cells are let go once judged.
    """

    period: Period
    folder: Path
    ingest: IngestResult
    judged: JudgedRows
    penerima: pd.DataFrame
    rekap_opd: pd.DataFrame
    manifest: dict
    tinjauan: pd.DataFrame | None = None  # accepted rows to review (tinjauan.csv), not errors
    to_check: pd.DataFrame | None = None  # the rows sent to each OPD's Perlu Dicek sheet


def _refuse_a_month_without_rows(opd_dir: Path, period: Period, ingest: IngestResult) -> None:
    """InputError: no file of the run's month holds a data row, and a report of nobody would look true."""
    rejected = f", {len(ingest.rejected_files)} berkas ditolak" if ingest.rejected_files else ""
    raise InputError(
        f"Berkas OPD periode {period} ({len(ingest.inputs)} berkas dibaca{rejected}, di {opd_dir}) tidak memuat "
        f"satu baris data pun: hanya judul kolom, baris jumlah atau catatan. Periksa bahwa OPD mengirim berkas "
        f"yang berisi data bulan itu, lalu jalankan lagi: tanpa baris, laporan bulan itu akan menyebut nol penerima."
    )


def clean_month(
    paths: RunPaths,
    reference: ReferenceData,
    period: Period | None = None,
    parameters: dict | None = None,
    skip_unreadable: bool = False,
    key: PseudonymKey | None = None,
    allow_no_rows: bool = False,
) -> CleaningResult:
    """Run stage 1 for ``period`` (default: the run's period) and write its outputs.

    Writes the accepted rows, the quarantine, the per-OPD feedback workbooks, rekap_opd
    and the manifest (see :mod:`kmc_analysis.core.store`) to ``paths.processed_for(period)``.
    A run's own month without a single data row is refused (InputError); ``allow_no_rows``
    cleans it anyway (an earlier month read only for the year's running totals).
    """
    period = period or paths.period
    started = now_iso()
    key = key or load_key()
    opd_dir = paths.opd_dir_for(period)
    check_memory(opd_dir)
    # On a large month two helper processes work beside this one: one imports what the feedback
    # workbooks need while the files are read (reading is mostly one core's work) and later writes
    # most of them while this one writes the other outputs; one hashes the NIKs while the rows are
    # judged (a million take a second).
    with arrow_on_the_system_allocator(), \
            FeedbackHelper(start=submission_bytes(opd_dir) >= HELPER_AHEAD_FROM_BYTES) as feedback_helper:
        ingest = read_submissions(opd_dir, paths.raw_dir, skip_unreadable=skip_unreadable,
                                  period=str(period))
        if ingest.rows.empty and not allow_no_rows:
            _refuse_a_month_without_rows(opd_dir, period, ingest)
        rows, corrections = ingest.rows, []
        if ingest.corrections:
            first = judge_rows(rows, reference.wilayah, reference.program_bantuan)
            replaced = {Path(entry["path"]).name: Path(entry["replaced_by"]).name for entry in ingest.superseded_files}
            rows, corrections = apply_corrections(rows, _correctable_by(first), ingest.headers, ingest.corrections,
                                                  replaced)
        with PseudonymJob(rows["nik"], key) as pseudonyms:
            judged = judge_rows(rows, reference.wilayah, reference.program_bantuan)
            # Every cell of the month as text is the largest table of the stage: once judged, only the
            # accepted and quarantined rows are needed, so it is let go (bounded memory on large months).
            del rows
            ingest.rows = ingest.rows.iloc[0:0]
            penerima, rekap_opd, tinjauan, to_check = _write_outputs(paths, period, reference, key, ingest, judged,
                                                                     pseudonyms, feedback_helper)
    manifest = {
        "period": str(period),
        "parameters": dict(parameters or {}),
        "inputs": ingest.inputs,
        "rejected_files": ingest.rejected_files,
        "skipped_sheets": ingest.skipped_sheets,
        "skipped_rows": ingest.skipped_rows,
        "ignored_files": ingest.ignored_files,
        "superseded_files": ingest.superseded_files,
        "corrections": corrections,
        "boundaries": None,  # stage 2 records the boundary file it used
        "counts": judged.counts(),
        "reference": reference.sources,
        "key_id": key.key_id,
        "data_sintetis": is_synthetic(opd_dir),
        "versions": software_versions(),
        "stages": [],
        "started": started,
        "finished": now_iso(),
    }
    folder = paths.processed_for(period)
    write_manifest(folder, manifest)
    return CleaningResult(period, folder, ingest, judged, penerima, rekap_opd, manifest, tinjauan, to_check)


def _write_outputs(paths: RunPaths, period: Period, reference: ReferenceData, key: PseudonymKey,
                   ingest: IngestResult, judged: JudgedRows, pseudonyms: PseudonymJob,
                   feedback_helper: FeedbackHelper) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Write a judged month's tables and feedback workbooks into its processed folder.

    Returns penerima, rekap_opd, tinjauan and the rows sent to the OPDs to check.
    """
    folder = paths.processed_for(period)
    folder.mkdir(parents=True, exist_ok=True)
    # The workbooks are handed over as soon as their rows are known. Meanwhile a thread
    # pseudonymises and writes penerima.parquet (pyarrow writes without the GIL, on the core
    # the hashing helper has freed); only the DTKS check needs the pseudonyms first.
    with ThreadPoolExecutor(max_workers=1) as background:
        penerima, written = None, None
        if paths.dtks_dir.is_dir():
            penerima = _penerima(judged.accepted, judged.accepted_rows, pseudonyms)
        elif judged.rows_read <= PENERIMA_BESIDE_REVIEW_UP_TO_ROWS:
            # its own shallow copy: pandas may reorganise a frame's blocks while reading it
            written = background.submit(_write_penerima, folder, judged.accepted.copy(deep=False),
                                        judged.accepted_rows, pseudonyms)
        tinjauan, flagged = flagged_rows(judged.accepted, reference.program_bantuan, period)
        not_in_dtks = _rows_not_in_dtks(paths, penerima, key, reference) if penerima is not None else None
        to_check = rows_to_check(judged.accepted, tinjauan, not_in_dtks, flagged=flagged)
        still_to_do = CALLER_SECONDS_PER_MONTH_ROW + (PENERIMA_SECONDS_PER_ROW if written is None else 0.0)
        feedback = FeedbackJob(FeedbackMonth.from_stage(period, ingest, judged, reference, to_check=to_check),
                               folder / UMPAN_BALIK, month_rows=judged.rows_read, helper=feedback_helper,
                               caller_busy=still_to_do * judged.rows_read)
        try:
            # the small outputs first: penerima.parquet may still be being written
            rekap_opd = opd_summary(judged, reference.program_bantuan)
            reconcile(judged, rekap_opd)
            write_table(folder, KARANTINA, judged.quarantined)
            write_table(folder, REKAP_OPD, rekap_opd)
            write_table(folder, TINJAUAN, tinjauan)
            if written is not None:
                penerima = written.result()
            else:
                penerima = (penerima if penerima is not None
                            else _penerima(judged.accepted, judged.accepted_rows, pseudonyms))
                write_table(folder, PENERIMA, penerima)
        except BaseException:
            feedback.abandon()  # no handover of names and NIKs is left behind a failed stage
            raise
    feedback.finish()
    return penerima, rekap_opd, tinjauan, to_check


def _correctable_by(judged: JudgedRows) -> pd.DataFrame:
    """Who may correct each row: its provenance, its OPD ("" when none is known) and whether it is quarantined."""
    quarantined = judged.quarantined[PROVENANCE].assign(opd=judged.quarantined_opd.to_numpy(), quarantined=True)
    accepted = judged.accepted[[*PROVENANCE, "opd"]].assign(quarantined=False)
    owners = pd.concat([accepted, quarantined], ignore_index=True)
    return owners.assign(opd=owners["opd"].astype("str").mask(owners["opd"].eq(UNKNOWN_OPD), ""))


def _penerima(accepted: pd.DataFrame, rows, pseudonyms: PseudonymJob) -> pd.DataFrame:
    """The accepted rows (``rows``: their positions in the table judged) with pseudonyms instead of NIKs."""
    return finalize_accepted(accepted, pseudonyms.pseudonymize(accepted["nik"], rows))


def _write_penerima(folder: Path, accepted: pd.DataFrame, rows, pseudonyms: PseudonymJob) -> pd.DataFrame:
    """:func:`_penerima`, written as penerima.parquet."""
    penerima = _penerima(accepted, rows, pseudonyms)
    write_table(folder, PENERIMA, penerima)
    return penerima


def _rows_not_in_dtks(paths: RunPaths, penerima: pd.DataFrame, key: PseudonymKey,
                      reference: ReferenceData) -> pd.DataFrame | None:
    """Accepted rows of poor-targeted programs whose recipient is not in RAW/dtks; None without DTKS."""
    if not paths.dtks_dir.is_dir():
        return None
    extract = read_dtks(paths.dtks_dir, paths.raw_dir, key, reference.wilayah)
    return rows_needing_dtks_check(penerima, extract.persons["id_penerima"], reference.program_bantuan)


def rows_to_check(accepted: pd.DataFrame, tinjauan: pd.DataFrame, not_in_dtks: pd.DataFrame | None,
                  flagged=None) -> pd.DataFrame:
    """Accepted rows each OPD should check (not errors): review flags and recipients not in DTKS.

    One row per source row with ``keterangan`` joining both reasons, plus the row's NIK,
    name, program and amount (:data:`CHECK_CELLS`) so the OPD's clerk finds the person; this
    goes only into that OPD's own feedback workbook, never to a report. ``flagged``, the
    position in ``accepted`` of each ``tinjauan`` row, spares matching them by provenance
    when there is no DTKS note to join.
    """
    cells = ["opd", *CHECK_CELLS]
    if flagged is not None and (not_in_dtks is None or not len(not_in_dtks)):
        out = pd.concat([tinjauan[[*PROVENANCE, "keterangan"]].reset_index(drop=True),
                         accepted[cells].take(flagged).reset_index(drop=True)], axis=1)
        return out.astype({"nominal": "str", "sumber_baris": "int64"})
    notes = [tinjauan[[*PROVENANCE, "keterangan"]]]
    if not_in_dtks is not None and len(not_in_dtks):
        notes.append(not_in_dtks[PROVENANCE].assign(keterangan=PERLU_VERIFIKASI_DTKS))
    notes = pd.concat(notes, ignore_index=True)
    # Most rows carry one note: only rows with several are joined in Python (a month can list
    # hundreds of thousands of recipients not in DTKS).
    several = notes.duplicated(PROVENANCE, keep=False)
    joined = notes.loc[~several]
    if several.any():
        combined = notes.loc[several].groupby(PROVENANCE, sort=False)["keterangan"].agg(" ".join).reset_index()
        order = notes[PROVENANCE].drop_duplicates()  # each row where it first appears, as before
        joined = order.merge(pd.concat([joined, combined], ignore_index=True), on=PROVENANCE, how="left")
    joined = joined.reset_index(drop=True)
    out = joined.merge(accepted[[*PROVENANCE, *cells]], on=PROVENANCE, how="left")
    return out.astype({"nominal": "str", "sumber_baris": "int64"})  # only these rows' amounts become text


def reason_summary(judged: JudgedRows) -> pd.DataFrame:
    """Quarantined rows per reason, with the plain-Indonesian explanation (a row may count twice)."""
    counts = judged.counts()["quarantine_by_reason"]
    return pd.DataFrame(
        [(code, REASON_TEXT[code], counts[code]) for code in REASON_TEXT if code in counts],
        columns=["alasan", "penjelasan", "jumlah_baris"],
    )


def quarantine_examples(judged: JudgedRows, per_reason: int = 2) -> pd.DataFrame:
    """A few quarantined rows per reason with the NIK masked and no name, safe to show in a report."""
    table = judged.quarantined
    first_reason = table["alasan"].str.replace(r";.*", "", regex=True)
    picked = table.groupby(first_reason, sort=False).head(per_reason)
    shown = pd.DataFrame({
        "sumber_file": picked["sumber_file"],
        "sumber_sheet": picked["sumber_sheet"],
        "sumber_baris": picked["sumber_baris"],
        "alasan": picked["alasan"],
        "nik_tersamar": nz.mask_nik(nz.clean_nik(picked.get("nik", pd.Series("", index=picked.index)))),
    })
    for column in ("kelurahan", "kecamatan", "kode_bantuan", "nama_bantuan", "nominal"):
        if column in picked:
            shown[column] = picked[column]
    return shown.reset_index(drop=True)


def files_not_read(manifest: dict) -> pd.DataFrame:
    """Every file or sheet of the month that gave no data rows, and why, in plain Indonesian.

    One line per ignored file (not a submission kind), superseded file (replaced by a
    ``_revisi`` file), rejected file or sheet (``--skip-unreadable``) and skipped sheet
    (no header row), with columns ``berkas``, ``sheet``, ``status`` and ``keterangan``.
    """
    lines = [(name, "", "diabaikan", "bukan berkas .xlsx, .xlsm, .xls, .ods atau .csv")
             for name in manifest.get("ignored_files") or []]
    lines += [(s["path"], "", "digantikan", f"digantikan oleh {s['replaced_by']}")
              for s in manifest.get("superseded_files") or []]
    lines += [(r["path"], r.get("sheet", ""), "ditolak", r.get("reason", ""))
              for r in manifest.get("rejected_files") or []]
    lines += [(s["path"], s.get("sheet", ""), "dilewati", s.get("reason", ""))
              for s in manifest.get("skipped_sheets") or []]
    return pd.DataFrame(lines, columns=["berkas", "sheet", "status", "keterangan"], dtype="str")
