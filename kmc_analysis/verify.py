"""``kmc verify``: check that a published month still matches its inputs and the contract's invariants.

Read-only (takes no lock): re-hashes the inputs the manifest lists against the raw dir,
re-checks ``rows_read = rows_accepted + rows_quarantined`` against the manifest, the rows of
``penerima.parquet`` and of ``karantina.csv``, and checks that every output the contract
lists is present, that the report folder holds no notebook and that the processed folder
is readable by its owner only. Every difference is one Indonesian line.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from kmc_analysis.core.errors import InputError
from kmc_analysis.core.paths import RunPaths, run_paths
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import (EVALUASI_RPJMD, KARANTINA, KETEPATAN_SASARAN, MANIFEST, MAPS, NOTEBOOKS,
                                     PENERIMA, REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_OPD, REKAP_PROGRAM, TINJAUAN,
                                     has, has_manifest, laporan_html, laporan_xlsx, read_manifest, read_table)

#: The processed tables the contract lists (section 3) that every run writes.
PROCESSED_TABLES = (PENERIMA, KARANTINA, REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_OPD, REKAP_PROGRAM, EVALUASI_RPJMD,
                    TINJAUAN)


def verify_period(period: str, raw_dir: Path, processed_dir: Path, reports_dir: Path) -> list[str]:
    """Every difference between a published month and its manifest and the contract; empty when all hold."""
    paths = run_paths(Period.parse(period), raw_dir, processed_dir, reports_dir)
    if not paths.processed.is_dir():
        raise InputError(f"Periode {paths.period} belum diolah: folder {paths.processed} tidak ada. "
                         f"Periksa --processed-dir, atau jalankan kmc run --period {paths.period} lebih dulu.")
    if not has_manifest(paths.processed):
        return [f"{MANIFEST} tidak ada di {paths.processed}: jalankan ulang kmc run --period {paths.period}."]
    try:
        manifest = read_manifest(paths.processed)
    except (OSError, ValueError):
        return [f"{paths.processed / MANIFEST} tidak dapat dibaca sebagai JSON: jalankan ulang kmc run "
                f"--period {paths.period}."]
    if not manifest.get("stages") and not paths.reports.is_dir():
        raise InputError(f"Periode {paths.period} baru dibersihkan (tahap 1) sebagai bulan sebelumnya untuk angka "
                         f"tahun berjalan; tahap 2-4 dan laporannya belum dijalankan. Jalankan kmc run --period "
                         f"{paths.period} lebih dulu, lalu periksa lagi.")
    return [*_input_differences(paths, manifest), *_count_differences(paths, manifest),
            *_missing_outputs(paths), *_privacy_differences(paths)]


def _input_differences(paths: RunPaths, manifest: dict) -> list[str]:
    """Inputs whose bytes changed or vanished since the run, and OPD files the run never saw."""
    found, listed = [], set()
    for entry in manifest.get("inputs") or []:
        relative = str(entry.get("path", ""))
        listed.add(relative)
        path = paths.raw_dir / relative
        if not path.is_file():
            found.append(f"Berkas masukan {relative} tidak ada lagi di {paths.raw_dir}: kembalikan berkas itu, "
                         f"atau jalankan ulang kmc run bila memang sengaja dihapus.")
            continue
        try:
            digest = _sha256(path)
        except OSError as problem:
            found.append(f"Berkas masukan {relative} tidak dapat dibaca ({problem.strerror or type(problem).__name__}): "
                         f"ubah izinnya agar dapat dibaca pengguna yang menjalankan kmc, lalu periksa lagi.")
            continue
        if digest != entry.get("sha256"):
            found.append(f"Berkas masukan {relative} berubah sejak diolah (sha256 berbeda): jalankan ulang kmc run "
                         f"--period {paths.period} agar hasilnya sesuai berkas sekarang.")
    named = {_entry_name(e) for key in ("ignored_files", "rejected_files", "superseded_files")
             for e in manifest.get(key) or []}
    if paths.opd_dir.is_dir():
        for path in sorted(p for p in paths.opd_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relative = path.relative_to(paths.raw_dir).as_posix()
            if relative not in listed and relative not in named and path.name not in named:
                found.append(f"Berkas {relative} belum diolah (tidak tercatat di manifest): jalankan ulang kmc run "
                             f"--period {paths.period}.")
    return found


def _count_differences(paths: RunPaths, manifest: dict) -> list[str]:
    """``rows_read = rows_accepted + rows_quarantined``, and the row counts of penerima and karantina."""
    counts = manifest.get("counts") or {}
    try:
        read, accepted, quarantined = (int(counts[k]) for k in ("rows_read", "rows_accepted", "rows_quarantined"))
    except (KeyError, TypeError, ValueError):
        return [f"{MANIFEST}: counts tidak memuat rows_read, rows_accepted dan rows_quarantined."]
    found = []
    if read != accepted + quarantined:
        found.append(f"{MANIFEST}: rows_read {read} tidak sama dengan rows_accepted {accepted} + rows_quarantined "
                     f"{quarantined}.")
    if has(paths.processed, PENERIMA):
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(paths.processed / PENERIMA.name).metadata.num_rows
        if rows != accepted:
            found.append(f"{PENERIMA.name} berisi {rows} baris, sedangkan rows_accepted di {MANIFEST} {accepted}.")
    if has(paths.processed, KARANTINA):
        rows = len(read_table(paths.processed, KARANTINA, columns=["sumber_baris"]))
        if rows != quarantined:
            found.append(f"{KARANTINA.name} berisi {rows} baris, sedangkan rows_quarantined di {MANIFEST} "
                         f"{quarantined}.")
    return found


def _missing_outputs(paths: RunPaths) -> list[str]:
    """Outputs the contract lists that are absent, and notebooks that must not be in the report folder."""
    found = [f"{paths.processed / t.name} tidak ada." for t in PROCESSED_TABLES if not has(paths.processed, t)]
    if paths.dtks_dir.is_dir() and not has(paths.processed, KETEPATAN_SASARAN):
        found.append(f"{paths.processed / KETEPATAN_SASARAN.name} tidak ada, padahal folder DTKS {paths.dtks_dir} ada.")
    if not any((paths.processed / NOTEBOOKS).glob("*.ipynb")):
        found.append(f"{paths.processed / NOTEBOOKS} tidak berisi notebook yang dieksekusi.")
    if not paths.reports.is_dir():
        return [*found, f"Folder laporan {paths.reports} tidak ada: periksa --reports-dir."]
    for name in (laporan_html(paths.period), laporan_xlsx(paths.period), MAPS["kecamatan"], MAPS["kelurahan"]):
        if not (paths.reports / name).is_file():
            found.append(f"{paths.reports / name} tidak ada.")
    found += [f"{path} adalah notebook: folder laporan tidak boleh memuat notebook (bisa berisi data pribadi); "
              f"hapus berkas itu." for path in sorted(paths.reports.rglob("*.ipynb"))]
    return found


def _privacy_differences(paths: RunPaths) -> list[str]:
    """Files of the processed month that users other than the owner may open."""
    open_to_others = [p for p in [paths.processed, *paths.processed.rglob("*")]
                      if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    if not open_to_others:
        return []
    return [f"{len(open_to_others)} berkas/folder di {paths.processed} dapat dibuka pengguna lain (misalnya "
            f"{open_to_others[0].name}): jalankan chmod -R go-rwx {paths.processed}."]


def _entry_name(entry) -> str:
    if isinstance(entry, dict):
        return str(entry.get("path") or entry.get("file") or entry.get("name") or "")
    return str(entry)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
