"""Write a synthetic but realistic month of OPD submissions (BNBA files) for Kota Metro.

``synthesize`` draws a synthetic population of Kota Metro (structurally valid NIKs,
Javanese, Lampung and other Indonesian names, homes spread over the kelurahan in
proportion to ``penduduk``; the same city for every seed and month, so recipients
recur), pays them the bantuan of the catalogue and writes the lists
the way OPDs send them: workbooks with title rows, several sheets, an instructions sheet
and a JUMLAH row; CSV files comma or semicolon separated, UTF-8 with BOM or cp1252; every
header synonym and value form of CONTRACT 2.1 and 2.2. By default about 3% of the rows
carry the defects real submissions have, covering all eight quarantine reasons.

Alongside the files it returns ``truth``: for every data row written, where it is and the
reason codes the contract's row rules must give it. Truth is worked out here from what
was written, independently of ``clean.rules`` (it is the oracle that module is tested
against), and is never written into the raw dir.

Row work is vectorised with numpy and pandas (Python loops run over sheets, distinct
values and the few defective rows only): a million rows take well under a minute. Above
``XLSX_MAX_ROWS`` rows only CSV files are written (openpyxl writes cells one by one), unless
``kinds`` asks for one kind of file (``csv`` or ``xlsx``: the benchmarks' CSV-only and
workbook-only months).

The work is split by concern: ``world`` (reference tables as arrays), ``plan``
(files, sheets and their forms), ``people`` and ``names`` (the population),
``rows`` (payments and which rows are defective), ``cells`` (cell values and
defects), ``truth`` (row numbers and verdicts) and ``files`` (writing).
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
from kmc_analysis.synth.files import copy_reference, write_csv, write_xlsx
from kmc_analysis.synth.people import draw_people
from kmc_analysis.synth.plan import make_plan
from kmc_analysis.synth.rows import draw_rows, spoil
from kmc_analysis.synth.truth import build_truth, place_rows
from kmc_analysis.synth.world import World

if TYPE_CHECKING:
    from kmc_analysis.core.reference import ReferenceData

#: Above this many rows only CSV files are written (unless ``kinds`` says otherwise).
XLSX_MAX_ROWS = 50_000
#: The kinds of files a month can be written as: both as OPDs send them, or one kind only.
FILE_KINDS = ("mixed", "csv", "xlsx")


@dataclass(frozen=True)
class SynthResult:
    """What ``synthesize`` wrote: the files, the number of data rows and the expected verdicts.

    ``truth`` has one row per non-blank row written below a header (JUMLAH rows included;
    ``lewati`` names the rows that are not data rows: ``jumlah``, ``catatan``, ``digantikan``):
    ``sumber_file`` (file name), ``sumber_sheet`` (sheet name; for a CSV the file name
    without extension), ``sumber_baris`` (the row number a person sees in Excel, or the
    1-based line number in the CSV, title and header lines counted) and ``alasan`` (the
    ``;``-separated reason codes in contract order, ``""`` for a row to be accepted),
    in contract order: file name, sheet order, row.
    """

    files: list[Path]
    rows_written: int
    truth: pd.DataFrame


def synthesize(
    period: Period,
    out_dir: Path,
    rows: int = 3000,
    seed: int = 1,
    clean: bool = False,
    reference: ReferenceData | None = None,
    kinds: str = "mixed",
) -> SynthResult:
    """Write a synthetic month of OPD submissions to ``out_dir/opd/PERIOD/`` and return the truth.

    ``rows`` is the number of beneficiary rows (duplicates included; JUMLAH rows come on
    top, blank rows are not rows). ``clean=True`` writes no defects and no JUMLAH rows.
    When ``out_dir/reference/`` does not exist it is created with the reference tables
    used (the bundled ones unless ``reference`` came from override files). The same
    arguments give byte-identical files. ``kinds`` (:data:`FILE_KINDS`): ``mixed`` writes
    workbooks and CSV files (CSV only above ``XLSX_MAX_ROWS`` rows), ``csv`` or ``xlsx`` only
    that kind. Refuses (InputError) to write into a period
    folder that already holds .xlsx or .csv files, so real submissions are never mixed
    with synthetic ones.
    """
    if rows < 1:
        raise InputError(f"rows must be 1 or more (got {rows}).")
    if seed < 0:
        raise InputError(f"seed must be 0 or more (got {seed}).")
    if kinds not in FILE_KINDS:
        raise InputError(f"kinds must be one of {', '.join(FILE_KINDS)} (got {kinds!r}).")
    out_dir = Path(out_dir)
    opd_dir = out_dir / "opd" / str(period)
    if opd_dir.is_dir() and any(p.suffix.lower() in (".xlsx", ".csv") for p in opd_dir.iterdir()):
        raise InputError(
            f"{opd_dir} already holds .xlsx/.csv files. kmc synth writes only into an empty period folder "
            f"so that synthetic rows never mix with real submissions: delete those files or choose another --out."
        )
    if reference is None:
        from kmc_analysis.core.reference import load_reference
        reference_used = load_reference()
    else:
        reference_used = reference
    rng = np.random.default_rng([seed, period.year, period.month])
    world = World.build(reference_used, period)

    n_dups = 0 if clean or rows < 40 else max(2, round(0.004 * rows))
    if kinds == "mixed" and rows > XLSX_MAX_ROWS:
        kinds = "csv"
    plan = make_plan(world, rng, rows - n_dups, clean, kinds,
                     want_revisi=not clean and rows >= 300)
    # About four residents per row, at most the city's population (unless rows exceed it), so
    # that some people get two or three bantuan, few more.
    people = draw_people(world, max(min(4 * rows, max(rows, world.population)), 2000))
    table = draw_rows(world, plan, people, rng)
    if not clean:
        spoil(plan, table, rng, n_dups)
    cells = render_cells(world, plan, people, table, rng)
    if not clean:
        apply_defects(world, plan, people, table, cells)
    layout = place_rows(plan, table, rng)
    truth = build_truth(plan, table, layout, cells.text["nominal"])

    opd_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.combine(period.last_day(), dt.time(16, 0, 0))
    written = []
    for f in plan.files:
        path = opd_dir / f.name
        if f.kind == "xlsx":
            write_xlsx(path, f, plan, table, cells, layout, rng, stamp)
        else:
            write_csv(path, f, f.sheets[0], plan, cells, layout)
        written.append(path)
    copy_reference(out_dir, reference)
    return SynthResult(sorted(written, key=lambda p: p.name), len(truth), truth)
