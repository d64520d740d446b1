"""Measuring helpers for the benchmarks: peak memory of a process tree, a quiet machine, the machine itself."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import psutil

#: Packages whose versions results.md records.
PACKAGES = ("kmc-analysis", "pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "xlsxwriter", "papermill",
            "ipykernel", "jupyter_client", "nbclient", "geopandas", "shapely", "pyogrio", "matplotlib", "psutil")


def peak_rss_mb(pid: int) -> float | None:
    """The kernel's high-water mark of a process's resident set (VmHWM), in MB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def process_kind(cmdline: list[str]) -> str:
    """What a process of a run is: a notebook kernel, one of stage 1's helpers, or something else."""
    text = " ".join(cmdline)
    if "ipykernel_launcher" in text or "ipykernel" in text and "-f" in cmdline:
        return "kernel"
    if "kmc_analysis.clean.feedback" in text:
        return "feedback helper"
    if "kmc_analysis.clean.hmac_digests" in text:
        return "hashing helper"
    return "other"


#: The helper processes a stage's kernel starts, counted with it.
HELPER_KINDS = ("feedback helper", "hashing helper")


@dataclass
class WatchedProcess:
    """One process seen below the watched root: when it started, what it is, its peak resident set."""

    pid: int
    started: float
    kind: str
    parent: int
    peak_mb: float = 0.0
    last_seen: float = 0.0


@dataclass
class TreeWatch:
    """Record the peak resident set of every process below ``root`` while a measurement runs.

    A thread reads each descendant's ``VmHWM`` from /proc every ``interval`` seconds: the
    kernel keeps that high-water mark itself, so a short peak between two readings is not
    missed (only the last ``interval`` before a process exits can be). Use as a context
    manager; ``processes()`` lists what was seen, oldest first.
    """

    root: int = field(default_factory=os.getpid)
    interval: float = 0.25  # each sample walks /proc: sampled less often, it takes less CPU from the stage
    _seen: dict[int, WatchedProcess] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "TreeWatch":
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)
        self._sample()

    def _sample(self) -> None:
        try:
            children = psutil.Process(self.root).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for child in children:
            seen = self._seen.get(child.pid)
            if seen is None:
                try:
                    seen = WatchedProcess(child.pid, child.create_time(), process_kind(child.cmdline()), child.ppid())
                except psutil.Error:
                    continue
                self._seen[child.pid] = seen
            peak = peak_rss_mb(child.pid)
            if peak is not None:
                seen.peak_mb = max(seen.peak_mb, peak)
                seen.last_seen = time.monotonic()

    def processes(self, kind: str | None = None) -> list[WatchedProcess]:
        """The processes seen (of ``kind`` when given), in the order they started."""
        found = sorted(self._seen.values(), key=lambda p: p.started)
        return [p for p in found if kind is None or p.kind == kind]

    def stage_peaks(self) -> list[dict]:
        """Per notebook kernel, in stage order: its peak and its helpers' (each kind's largest, added), in MB.

        Stage order is the order the kernels ended in: a run starts a stage's kernel while the
        stage before runs, so it may start before that stage's own, but it ends after it.

        Adding the helpers' peaks to the kernel's overstates the peak of the whole stage a
        little (they do not all peak at once), which is the safe side of a memory limit.
        """
        out = []
        for kernel in sorted(self.processes("kernel"), key=lambda p: p.last_seen):
            helpers = 0.0
            for kind in HELPER_KINDS:
                mine = [h.peak_mb for h in self.processes(kind) if h.parent == kernel.pid]
                helpers += max(mine) if mine else 0.0
            out.append({"kernel_mb": round(kernel.peak_mb, 1), "helper_mb": round(helpers, 1)})
        return out


def load_average() -> float:
    """The one-minute load average."""
    return round(os.getloadavg()[0], 2)


def wait_until_quiet(max_load: float, max_wait: float, say=print) -> float:
    """Wait (at most ``max_wait`` seconds) for the one-minute load to drop below ``max_load``; return it."""
    deadline = time.monotonic() + max_wait
    load = load_average()
    if load >= max_load and max_wait > 0:
        say(f"  load {load:.2f} >= {max_load}: waiting up to {max_wait:.0f} s for a quieter machine")
    while load >= max_load and time.monotonic() < deadline:
        time.sleep(5)
        load = load_average()
    return load


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit(folder: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        # results.md itself is rewritten after every measurement of a run: it does not make the code measured dirty
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no", "--",
                                ".", ":(exclude)benchmarks/results.md"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_info(project: Path) -> dict:
    """The machine and software the figures were measured on."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    memory = psutil.virtual_memory()
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(memory.total / 2**30, 1),
        "available_gb_at_start": round(memory.available / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": _git_commit(project),
        "versions": versions,
    }
