"""Stage 1 in one call: read a month's OPD files, judge every row, write the stage's outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kmc_analysis.clean import normalize as nz
from kmc_analysis.clean.feedback import FeedbackJob
from kmc_analysis.clean.ingest import IngestResult, read_submissions
from kmc_analysis.clean.pseudonyms import PseudonymKey, load_key, pseudonymize
from kmc_analysis.clean.reasons import REASON_TEXT
from kmc_analysis.clean.rules import JudgedRows, finalize_accepted, judge_rows, opd_summary, reconcile
from kmc_analysis.core.manifest import now_iso, software_versions
from kmc_analysis.core.paths import RunPaths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import ReferenceData
from kmc_analysis.core.store import (
    KARANTINA,
    PENERIMA,
    REKAP_OPD,
    UMPAN_BALIK,
    is_synthetic,
    write_manifest,
    write_table,
)


@dataclass
class CleaningResult:
    """Everything stage 1 produced for one month, as written to its processed folder."""

    period: Period
    folder: Path
    ingest: IngestResult
    judged: JudgedRows
    penerima: pd.DataFrame
    rekap_opd: pd.DataFrame
    manifest: dict


def clean_month(
    paths: RunPaths,
    reference: ReferenceData,
    period: Period | None = None,
    parameters: dict | None = None,
    skip_unreadable: bool = False,
    key: PseudonymKey | None = None,
) -> CleaningResult:
    """Run stage 1 for ``period`` (default: the run's period) and write its outputs.

    Writes the accepted rows, the quarantine, the per-OPD feedback workbooks, rekap_opd
    and the manifest (see :mod:`kmc_analysis.core.store`) to ``paths.processed_for(period)``.
    """
    period = period or paths.period
    started = now_iso()
    key = key or load_key()
    ingest = read_submissions(paths.opd_dir_for(period), paths.raw_dir, skip_unreadable=skip_unreadable)
    judged = judge_rows(ingest.rows, reference.wilayah, reference.program_bantuan)
    folder = paths.processed_for(period)
    folder.mkdir(parents=True, exist_ok=True)
    feedback = FeedbackJob(judged.quarantined, judged.quarantined_opd, period, folder / UMPAN_BALIK)
    penerima = finalize_accepted(judged.accepted, pseudonymize(judged.accepted["nik"], key))
    rekap_opd = opd_summary(judged, reference.program_bantuan)
    reconcile(judged, rekap_opd)

    write_table(folder, PENERIMA, penerima)
    write_table(folder, KARANTINA, judged.quarantined)
    write_table(folder, REKAP_OPD, rekap_opd)
    feedback.finish()
    manifest = {
        "period": str(period),
        "parameters": dict(parameters or {}),
        "inputs": ingest.inputs,
        "rejected_files": ingest.rejected_files,
        "skipped_sheets": ingest.skipped_sheets,
        "skipped_rows": [],
        "ignored_files": ingest.ignored_files,
        "counts": judged.counts(),
        "reference": reference.sources,
        "key_id": key.key_id,
        "data_sintetis": is_synthetic(paths.opd_dir_for(period)),
        "versions": software_versions(),
        "stages": [],
        "started": started,
        "finished": now_iso(),
    }
    write_manifest(folder, manifest)
    return CleaningResult(period, folder, ingest, judged, penerima, rekap_opd, manifest)


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
    first_reason = table["alasan"].str.split(";").str[0]
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
