"""A large month's feedback workbooks shared with a helper process: the same workbooks, each written once."""

import pandas as pd
import pytest
from openpyxl import load_workbook

from kmc_analysis.clean import feedback_sharing
from kmc_analysis.clean.feedback import write_feedback
from kmc_analysis.clean.feedback_sharing import FeedbackHelper, FeedbackJob, write_unclaimed
from kmc_analysis.core.store import feedback_file_names
from tests.test_clean_feedback import DINSOS, small_month

DISDIKBUD = "Dinas Pendidikan dan Kebudayaan"
BOTH = [f"{DISDIKBUD}_2024-03.xlsx", f"{DINSOS}_2024-03.xlsx"]


def same_workbooks(written, inline_dir):
    for path in written:
        inline = load_workbook(inline_dir / path.name)
        for name in inline.sheetnames:
            assert list(load_workbook(path)[name].values) == list(inline[name].values), (path.name, name)


def no_leftovers(folder):
    return not list(folder.glob(".*.pickle")) and not list(folder.glob(".*.claims"))


def test_large_months_share_the_writing_with_a_helper_process_same_result(tmp_path, monkeypatch):
    write_feedback(small_month(), tmp_path / "inline")
    monkeypatch.setattr(feedback_sharing, "HELPER_START_SECONDS", 0.0)
    job = FeedbackJob(small_month(), tmp_path / "background")
    assert job._helper is not None, "the work was not shared"
    assert job._handover.stat().st_mode & 0o777 == 0o600, "the rows handed over (names, NIKs) are readable by others"
    written = job.finish()
    assert [p.name for p in written] == BOTH
    same_workbooks(written, tmp_path / "inline")
    assert no_leftovers(tmp_path)


def test_a_helper_started_ahead_and_the_caller_write_every_workbook_once(tmp_path):
    with FeedbackHelper() as helper:
        job = FeedbackJob(small_month(), tmp_path / "background", month_rows=1_000_000, helper=helper)
        assert job._helper is helper
        assert [p.name for p in job.finish()] == BOTH
    assert not FeedbackJob(small_month(), tmp_path / "inline", month_rows=100)._helper
    assert no_leftovers(tmp_path)


def test_each_side_writes_only_the_opds_the_other_has_not_claimed(tmp_path):
    month = small_month()
    names = feedback_file_names(month.opds(), month.period)
    order = [DISDIKBUD, DINSOS]
    claims = tmp_path / ".claims"
    claims.mkdir()
    (claims / "0").touch()  # the other side took the first OPD of the order
    assert [p.name for p in write_unclaimed(month, tmp_path / "out", names, order, claims)] == [BOTH[1]]
    assert write_unclaimed(month, tmp_path / "out", names, order, claims) == [], "an OPD was written twice"
    assert sorted(p.name for p in write_unclaimed(month, tmp_path / "all", names, order)) == BOTH


class HelperThatDiesWriting:
    """Stands in for a helper that took the first OPD of the order and died before finishing it."""

    started = True

    def __init__(self):
        self.stopped = False

    def hand_over(self, handover):
        return True

    def paths_written(self):
        return None

    def stop(self):
        self.stopped = True


def test_a_helper_that_dies_after_taking_an_opd_leaves_that_workbook_to_the_caller(tmp_path):
    write_feedback(small_month(), tmp_path / "inline")
    helper = HelperThatDiesWriting()
    job = FeedbackJob(small_month(), tmp_path / "umpan_balik", month_rows=1_000_000, helper=helper)
    assert job._helper is helper
    (job._claims / "0").touch()  # taken by the helper, never written
    written = job.finish()
    assert [p.name for p in written] == BOTH
    same_workbooks(written, tmp_path / "inline")
    assert helper.stopped and no_leftovers(tmp_path)


def test_a_helper_started_ahead_ends_without_writing_when_no_opd_gets_a_workbook(tmp_path):
    clean = small_month()
    nothing = small_month(rows=clean.quarantined.iloc[0:0], opd=clean.opd.iloc[0:0])
    with FeedbackHelper() as helper:
        process = helper._process
        job = FeedbackJob(nothing, tmp_path / "umpan_balik", month_rows=1_000_000, helper=helper)
        assert job._helper is None and not helper.started
        assert job.finish() == []
    assert process.returncode == 0


def test_a_helper_that_fails_leaves_its_workbooks_to_the_caller_and_no_handover(tmp_path, monkeypatch):
    write_feedback(small_month(), tmp_path / "inline")
    monkeypatch.setattr(feedback_sharing, "HELPER_START_SECONDS", 0.0)
    job = FeedbackJob(small_month(), tmp_path / "background", month_rows=1_000_000)
    assert job._helper is not None
    job._handover.write_bytes(b"not a pickle")  # what the helper reads is damaged: it fails
    written = job.finish()
    assert [p.name for p in written] == sorted(p.name for p in (tmp_path / "inline").iterdir())
    same_workbooks(written, tmp_path / "inline")
    assert no_leftovers(tmp_path)


@pytest.mark.parametrize("failure", ["cannot_start", "dies_waiting"])
def test_a_helper_that_cannot_start_or_dies_waiting_leaves_the_caller_all_workbooks(tmp_path, monkeypatch, failure):
    if failure == "cannot_start":
        monkeypatch.setattr(feedback_sharing.sys, "executable", "/nonexistent/python")
    with FeedbackHelper() as helper:
        if failure == "dies_waiting":
            helper._process.kill()
            helper._process.wait()
        job = FeedbackJob(small_month(), tmp_path / "umpan_balik", month_rows=1_000_000, helper=helper)
        assert job._helper is None
        assert [p.name for p in job.finish()] == BOTH
    assert no_leftovers(tmp_path)


def test_a_stage_that_fails_ends_the_helper_started_ahead():
    with pytest.raises(RuntimeError):
        with FeedbackHelper() as helper:
            process = helper._process
            raise RuntimeError("judging failed")
    assert process.poll() is not None


def test_a_helper_is_used_only_when_its_share_is_worth_its_start():
    seconds = pd.Series({"A": 2.1, "B": 1.0, "C": 0.9, "D": 0.6, "E": 0.4, "F": 0.2, "G": 0.04})
    helper = feedback_sharing._helper_share(seconds, caller_busy=1.0, helper_busy=0.0)
    assert "A" in helper and "B" not in helper
    helper_load = seconds[list(helper)].sum()
    caller_load = 1.0 + seconds.sum() - helper_load
    assert abs(helper_load - caller_load) <= seconds.max() / 2
    start = feedback_sharing.HELPER_START_SECONDS
    assert feedback_sharing._helper_share(seconds, caller_busy=0.0, helper_busy=start) != set()
    assert feedback_sharing._helper_share(seconds * 0.01, caller_busy=0.0, helper_busy=0.5) == set(), \
        "a helper was started for less work than its start costs"


def test_a_stage_that_fails_after_handing_over_leaves_no_names_behind_and_no_helper(tmp_path, monkeypatch):
    # The handover holds the rows sent back to the OPDs (names, NIKs): a stage stopped between the handover
    # and the end of the workbooks (here: karantina.csv cannot be written) removes it and ends the helper.
    import psutil

    from kmc_analysis.clean import stage
    from kmc_analysis.core.paths import run_paths
    from kmc_analysis.core.reference import load_reference
    from kmc_analysis.core.store import KARANTINA
    from tests.test_clean_stage import MARET, write_submission

    write_submission(tmp_path / "raw" / "opd" / "2024-03")
    monkeypatch.setattr(stage, "HELPER_AHEAD_FROM_BYTES", 0)  # the helper starts ahead, as on a large month
    monkeypatch.setattr(feedback_sharing, "HELPER_START_SECONDS", 0.0)
    handed_over = []
    real_init = FeedbackJob.__init__

    def spy(job, *args, **kwargs):
        real_init(job, *args, **kwargs)
        handed_over.append(job._helper is not None)

    monkeypatch.setattr(FeedbackJob, "__init__", spy)
    real_write = stage.write_table

    def full_disk(folder, table, frame):
        if table is KARANTINA:
            raise OSError(28, "No space left on device")
        return real_write(folder, table, frame)

    monkeypatch.setattr(stage, "write_table", full_disk)
    paths = run_paths(MARET, tmp_path / "raw", tmp_path / "processed", tmp_path / "reports")
    with pytest.raises(OSError):
        stage.clean_month(paths, load_reference(None))
    assert handed_over == [True], "the test did not reach the handover"
    assert not list((tmp_path / "processed").rglob("*.pickle")) and not list((tmp_path / "processed").rglob("*.claims"))
    helpers = [p for p in psutil.Process().children(recursive=True)
               if "feedback_sharing" in " ".join(p.cmdline())]
    assert not helpers
