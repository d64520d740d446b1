"""The operator's progress lines: stage durations, a heartbeat off a terminal, what stage 1 left out."""

import io
import time

from kmc_analysis.progress import Console, dtks_notice, manifest_notices, safe_file_name, stage_line


def test_stage_line_names_the_notebook_and_its_duration_in_indonesian():
    line = stage_line(2, 4, "02_coverage_map", 10.46)
    assert line.split()[:2] == ["[2/4]", "02_coverage_map"] and line.endswith("selesai dalam   10,5 dtk")


def test_heartbeat_says_the_stage_is_still_running_when_stderr_is_not_a_terminal():
    lines = []
    console = Console(say=lines.append)
    with console.heartbeat("Tahap 1", every=0.05):
        time.sleep(0.3)
    assert lines and all(line.startswith("Tahap 1 masih berjalan (") and line.endswith(" dtk)") for line in lines)


def test_quiet_prints_nothing_not_even_a_heartbeat():
    stream = io.StringIO()
    console = Console(quiet=True, stream=stream)
    with console.heartbeat("Tahap 1", every=0.01):
        time.sleep(0.05)
    console.say("jangan tampil")
    assert stream.getvalue() == ""


def test_every_ignored_rejected_and_superseded_file_gets_a_line_and_skipped_rows_a_count():
    manifest = {
        "ignored_files": ["Surat Pengantar.pdf", "Catatan.docx"],
        "rejected_files": [{"path": "opd/2024-03/rusak.xlsx", "sheet": "", "reason": "berkas rusak"}],
        "superseded_files": [{"path": "opd/2024-03/BNBA.xlsx", "replaced_by": "opd/2024-03/BNBA_revisi.xlsx"}],
        "skipped_rows": [{"kind": "jumlah"}, {"kind": "catatan"}, {"kind": "catatan"}],
    }
    lines = manifest_notices(manifest)
    assert [line.split(":")[0] for line in lines[:4]] == [
        "Berkas diabaikan (bukan berkas data yang dibaca)", "Berkas diabaikan (bukan berkas data yang dibaca)",
        "Berkas ditolak (--skip-unreadable)", "Berkas digantikan revisinya dan tidak dibaca"]
    assert "Surat Pengantar.pdf" in lines[0] and "rusak.xlsx" in lines[2] and "BNBA_revisi.xlsx" in lines[3]
    assert lines[4].startswith("3 baris bukan data dilewati (catatan 2, baris jumlah 1)")


def test_a_manifest_without_the_newer_keys_gives_no_lines():
    assert manifest_notices({"period": "2024-03"}) == []


def test_a_nik_in_a_file_name_is_masked_on_the_terminal():
    assert safe_file_name("KTP_1872010101909999_scan.pdf") == "KTP_1872**********99_scan.pdf"
    lines = manifest_notices({"ignored_files": ["KTP_1872010101909999.pdf"]})
    assert "1872010101909999" not in lines[0]


def test_a_person_named_in_a_file_name_is_not_printed_on_the_terminal():
    # "Susulan Bpk Hartono Wijayakusuma.csv" was printed as is after stage 1
    lines = manifest_notices({"ignored_files": ["opd/2024-03/KTP Sri Handayani Prawirodirjo.jpg"],
                              "rejected_files": [{"path": "opd/2024-03/Susulan Bpk Hartono Wijayakusuma.csv",
                                                  "sheet": "Ibu Ratna Dewi Anggraini", "reason": "x"}]})
    text = "\n".join(lines)
    for name in ("Sri Handayani", "Hartono", "Ratna Dewi"):
        assert name not in text
    assert "opd/2024-03/(nama disamarkan).jpg" in text and "(nama disamarkan).csv" in text


def test_a_correction_row_that_could_not_be_matched_is_told_on_the_terminal():
    # a returned feedback workbook whose locked Baris column was changed lost that row silently
    lines = manifest_notices({"corrections": [{"path": "opd/2024-03/umpan_balik_Dinsos_2024-03.xlsx", "applied": 3,
                                                "unchanged": 1, "unknown_rows": 2, "unknown": []}]})
    assert len(lines) == 1
    assert "3 baris diperbaiki" in lines[0] and "2 baris tidak dikenali" in lines[0]


def test_rows_of_another_opd_and_rows_two_copies_fixed_otherwise_are_told_on_the_terminal():
    # two copies of one round that disagreed: the later name won and nothing said so
    lines = manifest_notices({"corrections": [{"path": "opd/2024-03/Dinas Sosial_2024-03 (1).xlsx", "round": 2,
                                                "applied": 4, "unchanged": 1, "unknown_rows": 0, "unknown": [],
                                                "other_opd_rows": 2, "conflicting_rows": 1}]})
    assert "(putaran 2)" in lines[0] and "2 baris milik OPD lain tidak diterapkan" in lines[0]
    assert "1 baris juga diubah berbeda oleh berkas perbaikan lain putaran yang sama" in lines[0]


def test_a_later_round_that_puts_a_fixed_cell_back_is_told_that_the_earlier_fix_was_kept():
    # Such rows were told as "this workbook's content is used", the opposite of what happened.
    lines = manifest_notices({"corrections": [{"path": "opd/2024-03/putaran2.xlsx", "round": 2, "applied": 1,
                                                "unchanged": 0, "unknown_rows": 0, "unknown": [],
                                                "conflicting_rows": 1, "kept_earlier_rows": 1}]})
    assert "1 baris dikembalikan berkas ini ke isi semula" in lines[0]
    assert "perbaikan putaran sebelumnya yang dipakai" in lines[0] and "isi berkas ini yang dipakai" not in lines[0]


def test_dtks_rows_without_a_usable_nik_are_told_on_the_terminal():
    # Black-box attack 11: an extract with 3 usable rows of 301 published "0,79 % in DTKS" without a word.
    line = dtks_notice({"baris_dibaca": 301, "baris_nik_valid": 3})
    assert line.startswith("Ekstrak DTKS: 298 dari 301 baris tanpa NIK yang dapat dipakai") and "1,87E+15" in line
    assert dtks_notice({"baris_dibaca": 1_200, "baris_nik_valid": 1_200}) is None and dtks_notice(None) is None
    assert "1.200 baris" in dtks_notice({"baris_dibaca": 1_200, "baris_nik_valid": 0})
