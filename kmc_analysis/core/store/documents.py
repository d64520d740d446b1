"""The JSON files of the processed and report folders: manifest, city and report summaries, suppression, DTKS."""

from __future__ import annotations

import json
from pathlib import Path

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.store.layout import (
    MANIFEST,
    PENYAMARAN,
    RINGKASAN,
    RINGKASAN_DTKS,
    RINGKASAN_KOTA,
    STAGE_NAMES,
    SYNTHETIC_MARKER,
)


def _write_json(path: Path, data: dict, sort_keys: bool) -> Path:
    """Write ``data`` as indented UTF-8 JSON with a final line end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n", encoding="utf-8")
    return path


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def has_manifest(folder: Path) -> bool:
    """Whether a processed period folder holds its manifest (stage 1 finished there)."""
    return (Path(folder) / MANIFEST).is_file()


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write a period's manifest.json, keys in the order given."""
    return _write_json(Path(folder) / MANIFEST, manifest, sort_keys=False)


def read_manifest(folder: Path) -> dict:
    """Read a period's manifest.json."""
    return _read_json(Path(folder) / MANIFEST)


def update_manifest(folder: Path, **keys) -> dict:
    """Set ``keys`` in a period's existing manifest.json (a later stage adds what it used); return it."""
    if not has_manifest(folder):
        raise InputError(f"{Path(folder) / MANIFEST} tidak ada: jalankan {STAGE_NAMES[1]} untuk periode ini lebih "
                         f"dulu (`kmc run --period` untuk bulan itu).")
    manifest = read_manifest(folder)
    manifest.update(keys)
    write_manifest(folder, manifest)
    return manifest


def record_stages(folder: Path, stages: list[dict], finished: str) -> None:
    """Add the runner's stage timings and finishing time to an existing manifest."""
    manifest = read_manifest(folder)
    manifest["stages"] = stages
    manifest["finished"] = finished
    write_manifest(folder, manifest)


def write_city_summary(folder: Path, summary: dict) -> Path:
    """Write stage 2's city-level headline figures of a processed period folder (keys sorted)."""
    return _write_json(Path(folder) / RINGKASAN_KOTA, summary, sort_keys=True)


def has_city_summary(folder: Path) -> bool:
    """Whether a processed period folder holds stage 2's city-level headline figures."""
    return (Path(folder) / RINGKASAN_KOTA).is_file()


def read_city_summary(folder: Path) -> dict:
    """Read stage 2's city-level headline figures of a processed period folder."""
    return _read_json(Path(folder) / RINGKASAN_KOTA)


def write_suppression(folder: Path, record: dict) -> Path:
    """Write stage 2's suppression record (hidden units and the assumptions behind them)."""
    return _write_json(Path(folder) / PENYAMARAN, record, sort_keys=True)


def read_suppression(folder: Path) -> dict | None:
    """Read a processed period's suppression record; None when stage 2 did not write one."""
    path = Path(folder) / PENYAMARAN
    return _read_json(path) if path.is_file() else None


def is_synthetic(opd_folder: Path) -> bool:
    """Whether a month's OPD folder holds the synthesiser's marker."""
    return (Path(opd_folder) / SYNTHETIC_MARKER).is_file()


def write_dtks_summary(folder: Path, summary: dict) -> Path:
    """Write what stage 3 read from RAW/dtks/ (file names, hashes, row counts; keys sorted)."""
    return _write_json(Path(folder) / RINGKASAN_DTKS, summary, sort_keys=True)


def read_dtks_summary(folder: Path) -> dict | None:
    """Read what stage 3 read from RAW/dtks/; None when targeting was not assessed."""
    path = Path(folder) / RINGKASAN_DTKS
    return _read_json(path) if path.is_file() else None


def remove_dtks_summary(folder: Path) -> None:
    """Delete a stale DTKS summary (a rerun without RAW/dtks/)."""
    (Path(folder) / RINGKASAN_DTKS).unlink(missing_ok=True)


def write_report_summary(folder: Path, summary: dict) -> Path:
    """Write a report period's ringkasan.json (keys sorted)."""
    return _write_json(Path(folder) / RINGKASAN, summary, sort_keys=True)


def read_report_summary(folder: Path) -> dict | None:
    """Read a report period's ringkasan.json; None when the period has none (ValueError if unreadable)."""
    path = Path(folder) / RINGKASAN
    return _read_json(path) if path.is_file() else None
