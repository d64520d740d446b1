"""The bundled sample (data/raw) is what ``kmc synth`` writes today, and stage 1 reads it as its truth says.

When synthesis changes, this fails until the sample is regenerated (data/raw/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kmc_analysis.core.periods import Period
from kmc_analysis.core.reference import load_reference
from kmc_analysis.synth import SYNTHETIC_MARKER, synthesize

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
SAMPLE = {"2024-01": 1, "2024-02": 2, "2024-03": 3}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    reference = load_reference()
    return out, reference, {month: synthesize(Period.parse(month), out, seed=seed, reference=reference)
                            for month, seed in SAMPLE.items()}


def test_sample_months_are_the_files_kmc_synth_writes(regenerated):
    out, _, results = regenerated
    for month, result in results.items():
        folder = RAW / "opd" / month
        assert sorted(p.name for p in folder.iterdir()) == sorted([SYNTHETIC_MARKER, *(p.name for p in result.files)])
        assert json.loads((folder / SYNTHETIC_MARKER).read_text()) == json.loads(result.marker.read_text())
    assert sorted(p.name for p in (RAW / "dtks").iterdir()) == ["dtks_2024-01.csv"]
    assert (RAW / "dtks" / "dtks_2024-01.csv").read_bytes() == (out / "dtks" / "dtks_2024-01.csv").read_bytes()


def test_stage_one_reads_the_sample_as_its_truth_says(regenerated):
    from kmc_analysis.clean.ingest import read_submissions
    from kmc_analysis.clean.rules import judge_rows

    _, reference, results = regenerated
    for month, result in results.items():
        ingested = read_submissions(RAW / "opd" / month, RAW)
        judged = judge_rows(ingested.rows, reference.wilayah, reference.program_bantuan)
        got = pd.concat([judged.quarantined[["sumber_file", "sumber_sheet", "sumber_baris", "alasan"]],
                         judged.accepted[["sumber_file", "sumber_sheet", "sumber_baris"]].assign(alasan="")])
        got = sorted(got.astype({"sumber_baris": "int64"}).itertuples(index=False, name=None))
        data = result.truth[result.truth["lewati"] == ""]
        assert got == sorted(data[["sumber_file", "sumber_sheet", "sumber_baris", "alasan"]].itertuples(
            index=False, name=None)), month
