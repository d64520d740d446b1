"""Write a synthetic but realistic month of OPD submissions (BNBA files) for Kota Metro, with its truth.

``synthesize`` pays the bantuan of the catalogue to a synthetic Kota Metro as the plan
says (``synth.schedule``: each program's target and payment rhythm, most near plan, a few
behind, one OPD late) and writes the lists the way OPDs send them: workbooks with title
rows, several sheets, an instructions sheet and a JUMLAH row, filled input templates, CSV
files with every separator and encoding of CONTRACT 2.1, every header synonym and value
form of CONTRACT 2.1 and 2.2. By default about 3 % of the rows carry the defects real
submissions have, covering all eight quarantine reasons, and a few rows the review rules
flag; ``clean=True`` writes neither. Beside the OPD files it writes the city's DTKS extract
(``RAW/dtks/``, when absent), the reference tables (``RAW/reference/``, when absent) and
the marker ``.kmc-sintetis`` in the period folder.

It returns the truth, worked out from what was written independently of the workbook's
code (it is the oracle that code is tested against) and never written into the raw dir:
every data row's verdict, the rows that are not data, the expected ``tinjauan.csv`` and
``ketepatan_sasaran.csv``.

Row work is vectorised with numpy and pandas (Python loops run over programs, sheets,
distinct values and the few defective rows only): a million rows take well under a
minute. Above ``XLSX_MAX_ROWS`` rows only CSV files are written (openpyxl writes cells
one by one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.periods import Period
from kmc_analysis.synth.cells import apply_defects, render_cells
from kmc_analysis.synth.dtks import expected_targeting, has_dtks, write_dtks
from kmc_analysis.synth.files import copy_reference, write_csv, write_marker, write_xlsx
from kmc_analysis.synth.layout import place_rows
from kmc_analysis.synth.people import draw_people
from kmc_analysis.synth.plan import make_plan
from kmc_analysis.synth.review import expected_review, plant_review_cases
from kmc_analysis.synth.rosters import draw_recipients
from kmc_analysis.synth.rows import build_rows, spoil, supersede
from kmc_analysis.synth.schedule import month_schedule
from kmc_analysis.synth.truth import build_truth
from kmc_analysis.synth.world import World

if TYPE_CHECKING:
    from kmc_analysis.core.reference import ReferenceData

#: Above this many rows only CSV files are written.
XLSX_MAX_ROWS = 50_000
#: The file kinds ``kmc synth --kinds`` writes: as OPDs send them, or every file one kind.
FILE_KINDS = ("mixed", "csv", "xlsx")


@dataclass(frozen=True)
class SynthResult:
    """What ``synthesize`` wrote, and what the workbook must make of it.

    ``truth`` has one row per non-blank row written below a header, in contract order (file
    name, sheet order, row): ``sumber_file``, ``sumber_sheet`` (for a CSV the file name
    without extension), ``sumber_baris`` (the row number a person sees in Excel, or the
    1-based line number in the CSV, title and header lines counted), ``alasan`` (the
    ``;``-separated reason codes in contract order, ``""`` for a row to be accepted) and
    ``lewati``: ``""`` for a data row, else why the row is not one (``jumlah``,
    ``nomor_kolom``, ``catatan``: the manifest's ``skipped_rows``; ``digantikan``: its file is
    replaced by a ``_revisi`` file). With the layouts of contract version 1, ``lewati`` is
    always ``""`` and a JUMLAH row is a data row. ``rows_written`` counts the data rows (the
    ``rows_read`` to expect); ``superseded`` lists the (original, replaced by) file names.
    ``review`` is ``tinjauan.csv`` without its ``keterangan``; ``targeting`` is
    ``ketepatan_sasaran.csv`` (percentages unrounded; the city row has empty ``kode`` and
    ``nama``). ``programs`` says, per catalogue program, what synthesis used (rhythm, ages,
    poor-targeting) and paid this month.
    """

    files: list[Path]
    rows_written: int
    truth: pd.DataFrame
    superseded: list[tuple[str, str]]
    review: pd.DataFrame
    targeting: pd.DataFrame
    programs: pd.DataFrame
    dtks_file: Path | None
    marker: Path


def synthesize(
    period: Period,
    out_dir: Path,
    rows: int | None = None,
    seed: int = 1,
    clean: bool = False,
    reference: ReferenceData | None = None,
    kinds: str = "mixed",
) -> SynthResult:
    """Write a synthetic month of OPD submissions to ``out_dir/opd/PERIOD/`` and return the truth.

    ``rows=None`` writes the month the plan pays (a few thousand rows for the bundled
    catalogue); ``rows=N`` scales the plan to exactly N beneficiary rows (duplicates
    included; totals and other rows that are not beneficiaries come on top, blank rows are
    not rows). ``clean=True`` writes no defects, no review cases and no totals rows.
    ``kinds`` (:data:`FILE_KINDS`): ``mixed`` writes workbooks and CSV files as OPDs send
    them (CSV only above ``XLSX_MAX_ROWS`` rows), ``csv`` or ``xlsx`` only that kind (the
    benchmarks' CSV-only and workbook-only months).
    The same arguments give byte-identical files. Refuses (InputError) to write into a period folder
    that already holds .xlsx or .csv files, so real submissions are never mixed with
    synthetic ones.
    """
    if rows is not None and rows < 1:
        raise InputError(f"Jumlah baris harus 1 atau lebih (tertulis {rows}).")
    if seed < 0:
        raise InputError(f"Seed harus 0 atau lebih (tertulis {seed}).")
    if kinds not in FILE_KINDS:
        raise InputError(f"Jenis berkas (kinds) harus salah satu dari {', '.join(FILE_KINDS)} (tertulis {kinds!r}).")
    out_dir = Path(out_dir)
    opd_dir = out_dir / "opd" / str(period)
    if opd_dir.is_dir() and any(p.suffix.lower() in (".xlsx", ".csv") for p in opd_dir.iterdir()):
        raise InputError(
            f"Folder {opd_dir} sudah berisi file .xlsx/.csv. kmc synth hanya menulis ke folder periode yang kosong "
            f"agar data sintetis tidak tercampur dengan kiriman asli: hapus file itu atau pilih --out lain."
        )
    if reference is None:
        from kmc_analysis.core.reference import load_reference
        reference_used = load_reference()
    else:
        reference_used = reference
    rng = np.random.default_rng([seed, period.year, period.month])
    world = World.build(reference_used, period)
    programs = world.programs

    planned = month_schedule(programs, world.opds, period, None)
    total = int(planned.persons.sum()) if rows is None else rows
    if total < 1:
        raise InputError(f"Katalog program tidak menjadwalkan penyaluran pada {period.in_words()}: "
                         f"tentukan jumlah baris dengan --rows.")
    n_dups = 0 if clean or total < 40 else max(2, round(0.004 * total))
    schedule = planned if rows is None else month_schedule(programs, world.opds, period, rows - n_dups)
    if kinds == "mixed" and total > XLSX_MAX_ROWS:
        kinds = "csv"
    plan = make_plan(world, rng, schedule.counts, clean, kinds, extras=not clean and total >= 300)
    people = draw_people(world, max(world.population, total))
    people.poor[world.population:] = False    # DTKS lists the city proper: the same extract for every month
    person, program = draw_recipients(programs, people, schedule, period, world.kel_kec)
    table = build_rows(world, plan, people, person, program, rng)
    if not clean:
        plant_review_cases(world, people, table, rng)
        spoil(plan, table, rng, n_dups)
        supersede(plan, table, rng)
    layout = place_rows(plan, table, people, rng)
    cells = render_cells(world, plan, people, table, rng)
    if not clean:
        apply_defects(world, plan, people, table, cells)
    verdicts = build_truth(plan, table, layout)

    opd_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.combine(period.last_day(), dt.time(16, 0, 0))
    written = []
    for f in plan.files:
        path = opd_dir / f.name
        if f.kind == "xlsx":
            write_xlsx(path, f, plan, world, cells, layout, rng, stamp)
        else:
            write_csv(path, f, f.sheets[0], plan, cells, layout)
        written.append(path)
    data_rows = int((verdicts.truth["lewati"] == "").sum())
    marker = write_marker(opd_dir, {"periode": str(period), "seed": seed, "baris_data": data_rows,
                                    "bersih": clean})
    dtks_file = None if has_dtks(out_dir) else write_dtks(out_dir, world, people)
    copy_reference(out_dir, reference)
    return SynthResult(
        files=sorted(written, key=lambda p: p.name), rows_written=data_rows, truth=verdicts.truth,
        superseded=plan.superseded_files(),
        review=expected_review(world, table, verdicts.accepted, verdicts.location),
        targeting=expected_targeting(world, people, table, verdicts.accepted),
        programs=_program_summary(programs, schedule), dtks_file=dtks_file, marker=marker,
    )


def _program_summary(programs: pd.DataFrame, schedule) -> pd.DataFrame:
    """Per catalogue program: what synthesis read from the catalogue and what it paid this month."""
    return pd.DataFrame({
        "kode_bantuan": programs["kode_bantuan"].astype("str"),
        "opd": programs["opd"].astype("str"),
        "target_penerima": programs["target"].astype("int64"),
        "bulan_per_pembayaran": programs["months_per_payment"].astype("int64"),
        "nominal_standar": programs["nominal_standar_katalog"],
        "sasaran_miskin": programs["poor_targeted"].astype(bool),
        "usia_min": programs["usia_min"], "usia_maks": programs["usia_maks"],
        "tingkat_realisasi": schedule.realisation,
        "penerima_rencana": schedule.persons,
        "baris": schedule.counts,
        "opd_terlambat": programs["opd"].eq(schedule.late_opd).to_numpy() if schedule.late_opd else False,
    })
