"""Write benchmarks/results.md from the measurements of run_all.py: targets, stages, machine, every run."""

from __future__ import annotations

from pathlib import Path

#: Everything below this line in results.md is written by hand and kept when the file is rewritten.
NOTES_MARK = "<!-- notes: written by hand, kept when run_all.py rewrites this file -->"
GB = 1024


#: What a peak memory figure adds up.
KERNEL_AND_HELPERS = "kernel + helpers (feedback, hashing)"


def _peak(m: dict) -> float:
    """Peak memory of a measurement in MB: stage 1's kernel plus its helpers (feedback, hashing) beside it."""
    if m["kind"] == "stage1":
        return m["kernel_mb"] + m["helper_mb"]
    return max(s["kernel_mb"] + s["helper_mb"] for s in m["stages"])


def _loads(m: dict) -> str:
    loads = [r["load_at_start"] for r in m.get("runs", [])]
    loads += m.get("loads", []) + [r["load_at_start"] for r in m.get("floor_runs", [])]
    return f"{min(loads):.2f}-{max(loads):.2f}" if loads else "-"


def _count(m: dict, key: str) -> str:
    return f"{m[key]:,}" if key in m else "-"


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "**no**")


def target_rows(ms: dict) -> list[tuple[str, str, str, str, str, str, str]]:
    """(what, measured, floor or reference, ratio, target, met, load) for each target of issue 13."""
    rows = []
    if "stage1_1m" in ms:
        m = ms["stage1_1m"]
        rows.append(("stage 1, 1,000,000 CSV rows", f"{m['seconds']:.2f} s",
                     f"{m['floor_s']:.2f} s (empty notebook {m['empty_notebook_s']:.2f} + pyarrow read {m['read_s']:.2f})",
                     f"{m['ratio']:.2f}x", "at most 6x (heading to 3x)", _verdict(m["ratio"] <= 6), _loads(m)))
    for name, what in (("stage1_1m_plain", "stage 1, 1,000,000 plain CSV rows (7 columns, mostly distinct NIKs; "
                                           "a fifth flagged for age)"),
                       ("stage1_1m_plain_no_age", "stage 1, the same month, catalogue without age ranges"),
                       ("stage1_1m_plain_faulty", "stage 1, the same month with 3 % faulty rows (quarantined, "
                                                  "sent back)"),
                       ("stage1_1m_plain_people", "stage 1, the same month paid to 300,000 persons (2 % "
                                                  "duplicates, many flagged)")):
        if name in ms:
            m = ms[name]
            counts = (f"; {m['rows_quarantined']:,} quarantined, {m['rows_to_review']:,} to review"
                      if "rows_to_review" in m else "")
            rows.append((what + counts, f"{m['seconds']:.2f} s",
                         f"{m['floor_s']:.2f} s (empty notebook {m['empty_notebook_s']:.2f} + pyarrow read "
                         f"{m['read_s']:.2f})", f"{m['ratio']:.2f}x", "at most 6x", _verdict(m["ratio"] <= 6),
                         _loads(m)))
    if "run_1m" in ms:
        m = ms["run_1m"]
        rows.append(("whole `kmc run`, 1,000,000 rows", f"{m['seconds']:.2f} s", f"stage 1 in the run {m['stage1_s']:.2f} s",
                     f"{m['ratio']:.2f}x", "at most 2x stage 1", _verdict(m["ratio"] <= 2), _loads(m)))
    if "sample" in ms:
        m = ms["sample"]
        in_process = (f"; papermill already imported: {m['floor_in_process_s']:.2f} s, {m['ratio_in_process']:.2f}x"
                      if "floor_in_process_s" in m else "")
        rows.append(("monthly run of the bundled sample", f"{m['seconds']:.2f} s",
                     f"new process running {len(m['stages'])} empty notebooks {m['floor_s']:.2f} s{in_process}",
                     f"{m['ratio']:.2f}x", "at most 2x", _verdict(m["ratio"] <= 2), _loads(m)))
    if "stage1_5m" in ms:
        m = ms["stage1_5m"]
        one = ms.get("stage1_1m")
        ratio = m["seconds"] / one["seconds"] if one else None
        rows.append(("stage 1, 5,000,000 CSV rows", f"{m['seconds']:.2f} s",
                     f"stage 1 at 1M {one['seconds']:.2f} s" if one else "-",
                     f"{ratio:.2f}x" if ratio else "-", "at most 5.5x the 1M time",
                     _verdict(ratio <= 5.5 if ratio else None), _loads(m)))
        peaks = [_peak(m)] + ([_peak(ms["run_5m"])] if "run_5m" in ms else [])
        rows.append(("peak memory, 5,000,000 rows", f"{max(peaks):,.0f} MB", KERNEL_AND_HELPERS,
                     "-", "at most 6 GB", _verdict(max(peaks) <= 6 * GB), _loads(m)))
    if "run_5m" in ms:
        m = ms["run_5m"]
        rows.append(("whole `kmc run`, 5,000,000 rows (one run)", f"{m['seconds']:.2f} s",
                     f"stage 1 in the run {m['stage1_s']:.2f} s", f"{m['ratio']:.2f}x", "(not a target; shown)", "-",
                     _loads(m)))
    if "xlsx_50k" in ms:
        m = ms["xlsx_50k"]
        rows.append(("stage 1, 50,000-row xlsx month", f"{m['seconds']:.2f} s",
                     f"{m['floor_s']:.2f} s (empty notebook {m['empty_notebook_s']:.2f} + calamine read {m['read_s']:.2f})",
                     f"{m['ratio']:.2f}x", "at most 2x", _verdict(m["ratio"] <= 2), _loads(m)))
    at_1m = [ms[name] for name in ("stage1_1m", "run_1m") if name in ms]
    if at_1m:
        peak = max(_peak(m) for m in at_1m)
        rows.append(("peak memory, 1,000,000 rows", f"{peak:,.0f} MB", KERNEL_AND_HELPERS, "-",
                     "under 2 GB", _verdict(peak < 2 * GB), "-"))
    if "stage1_100k" in ms and "stage1_1m" in ms:
        small, large = ms["stage1_100k"], ms["stage1_1m"]
        growth = large["seconds"] / small["seconds"]
        rows.append(("stage 1 growth, 100k to 1M rows (DESIGN)", f"{small['seconds']:.2f} s -> {large['seconds']:.2f} s",
                     "-", f"{growth:.2f}x", "at most 11x for 10x rows", _verdict(growth <= 11), _loads(small)))
    return rows


def _table(header: list[str], rows: list) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def write_results(data: dict, path: Path) -> None:
    """Write results.md: targets, per-stage figures, stage 1 figures, machine; keep the hand-written notes."""
    ms, machine = data["measurements"], data["machine"]
    notes = ""
    if path.is_file() and NOTES_MARK in path.read_text(encoding="utf-8"):
        notes = path.read_text(encoding="utf-8").split(NOTES_MARK, 1)[1].strip("\n")
    lines = ["# Benchmark results", "",
             "Written by `python benchmarks/run_all.py` (see its docstring); medians over several runs. "
             "Load is the one-minute load average at the start of each run (2 cores: above about 1.5 other work "
             "shared the CPU). Memory is in binary units: MB are MiB (2^20 bytes) and the targets' GB are GiB "
             "(6 GB = 6,144 MB).", "", "## Targets (issue 13)", ""]
    lines += _table(["what", "measured", "floor / reference", "ratio", "target", "met", "load"], target_rows(ms))
    lines += ["", "## Stages of the whole runs", ""]
    stage_rows = []
    for name in ("sample", "run_1m", "run_5m"):
        if name in ms:
            for s in ms[name]["stages"]:
                stage_rows.append((name, s["name"], f"{s['seconds']:.2f}", f"{s['kernel_mb']:,.0f}",
                                   f"{s['helper_mb']:,.0f}" if s["helper_mb"] else "-"))
    lines += _table(["run", "stage", "seconds (median)", "kernel peak MB", "helpers peak MB"], stage_rows)
    lines += ["", "## Stage 1 alone", ""]
    stage1_rows = [(name, m["input"], f"{m['rows_read']:,}", _count(m, "rows_quarantined"),
                    _count(m, "rows_to_review"), m["files"], f"{m['seconds']:.2f}",
                    f"{m['empty_notebook_s']:.2f}", f"{m['read_s']:.2f}", f"{m['ratio']:.2f}x", f"{m['kernel_mb']:,.0f}",
                    f"{m['helper_mb']:,.0f}" if m["helper_mb"] else "-", len(m["runs"]), m["measured"])
                   for name, m in ms.items() if m["kind"] == "stage1"]
    lines += _table(["measurement", "input", "rows read", "quarantined", "to review", "files", "seconds",
                     "empty notebook", "read", "ratio",
                     "kernel peak MB", "helper peak MB", "runs", "measured"], stage1_rows)
    lines += ["", "## Every run", ""]
    for name, m in ms.items():
        each = ", ".join(f"{r['seconds']:.2f} s (load {r['load_at_start']:.2f})" for r in m["runs"])
        lines.append(f"- {name} ({m['measured']}; load after {m['load_after']:.2f}): {each}")
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    lines += ["", "## Machine", "",
              f"- Date: {machine['date']}; commit {machine['commit']}",
              f"- CPU: {machine['cpu']}, {machine['cores']} cores; RAM {machine['ram_gb']} GB "
              f"({machine['available_gb_at_start']} GB available when the results were written)",
              f"- {machine['os']}, Python {machine['python']}",
              f"- Packages: {versions}", "", NOTES_MARK, ""]
    if notes:
        lines += [notes, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
