"""Assemble the published evaluation report: HTML page, Excel workbook and headline summary.

Stage 4 reads only aggregates from ``PROCESSED/YYYY-MM/`` (:mod:`kmc_analysis.report.inputs`);
no name, NIK or pseudonym is ever placed in a table, and every count of persons below city
level goes through :mod:`kmc_analysis.core.disclosure` before it is shown
(:mod:`kmc_analysis.report.tables`). This module gathers the tables, headline figures,
narrative, images and sources into one context and writes the HTML page
(:mod:`kmc_analysis.report.html`), the workbook (:mod:`kmc_analysis.report.xlsx`) and the
summary, under the names :mod:`kmc_analysis.core.store` gives them.

Entry points: :func:`build_report` (one period, called by notebooks/04_report.ipynb) and
:func:`kmc_analysis.report.build_index` (the index of every period, called by the runner
after it has moved a run's outputs into place).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kmc_analysis import __version__
from kmc_analysis.clean.reasons import REASON_LABEL
from kmc_analysis.core.disclosure import primary_mark
from kmc_analysis.core.formatting import date_in_words, format_number
from kmc_analysis.core.store import (
    CHART_BULANAN,
    CHART_RPJMD,
    MAP_DTKS,
    MAPS,
    laporan_html,
    laporan_xlsx,
    peta_interaktif_html,
    read_report_summary,
    write_report_summary,
)
from kmc_analysis.evaluation.capaian import PREDIKAT_RANGES
from kmc_analysis.report.audit import check_report
from kmc_analysis.report.html import render_html
from kmc_analysis.report.inputs import ProcessedData, load_processed, suppression_for
from kmc_analysis.report.quality import skipped_row_count
from kmc_analysis.report.synthetic import SYNTHETIC_LABEL, stamp_html, stamp_png
from kmc_analysis.report.narrative import findings, headline_changes, headline_figures, recommendations
from kmc_analysis.report.table_model import Table
from kmc_analysis.report.tables import build_tables
from kmc_analysis.report.targeting import TARGETING_TABLES, targeting_chapter, targeting_figures
from kmc_analysis.report.xlsx import write_workbook

#: Maps (stage 2) and charts (stage 3) embedded when present in the period's report folder:
#: the key the template names it by, its file and its caption.
IMAGES = [
    ("peta_kecamatan", MAPS["kecamatan"], "Peta cakupan penerima KMC per 1.000 penduduk menurut kecamatan"),
    ("peta_kelurahan", MAPS["kelurahan"], "Peta cakupan penerima KMC per 1.000 penduduk menurut kelurahan"),
    ("peta_kategori", MAPS["kategori"], "Peta cakupan menurut kategori bantuan"),
    ("grafik_rpjmd", CHART_RPJMD, "Tren capaian indikator RPJMD"),
    ("grafik_bulanan", CHART_BULANAN, "Tren bulanan penerima dan penyaluran KMC"),
    ("peta_dtks", MAP_DTKS, "Peta orang DTKS yang menerima program untuk rumah tangga miskin, menurut kecamatan"),
]

#: The report's sections: anchor and heading, in page order.
SECTIONS = [("ringkasan", "Ringkasan Eksekutif"), ("kelengkapan", "Kelengkapan Data OPD"),
            ("cakupan", "Cakupan Wilayah"), ("rpjmd", "Evaluasi RPJMD"), ("program", "Kinerja Program"),
            ("sasaran", "Ketepatan Sasaran"), ("ditolak", "Kualitas Data"), ("metodologi", "Catatan Metodologi")]

#: Tables in page order (numbered in this order).
HTML_ORDER = ["rekap_opd", "evaluasi_opd", "rekap_kecamatan", "rekap_kelurahan_html", "perubahan_kecamatan",
              "evaluasi_rpjmd", "tren_rpjmd", "program_html", "tren_bulanan", "rekap_tumpang_tindih",
              "kombinasi_program", *TARGETING_TABLES, "karantina_alasan", "karantina_berkas", "berkas_ditolak", "berkas_diabaikan",
              "berkas_diganti", "koreksi", "sheet_dilewati", "baris_dilewati"]

#: Reference tables named in the methodology: table, what the report uses it for, fixed status.
_REFERENCE_USES = [
    ("wilayah", "Kode dan nama kecamatan/kelurahan (kode Kemendagri)", "Resmi"),
    ("penduduk", "Jumlah penduduk per kelurahan (penyebut penerima per 1.000 penduduk)", None),
    ("program_bantuan", "Katalog jenis bantuan, OPD pengelola, target penerima dan anggaran", None),
    ("rpjmd_indikator", "Indikator dan target tahunan RPJMD 2021-2026", None),
    ("rpjmd_realisasi", "Realisasi indikator dari sumber di luar data KMC (mis. BPS)", None),
]


def _status_from_notes(df: pd.DataFrame | None) -> str | None:
    """Classify a reference table as Ilustratif / Perkiraan from its keterangan column."""
    if df is None or "keterangan" not in getattr(df, "columns", []):
        return None
    text = " ".join(df["keterangan"].astype(str).str.lower().tolist())
    if "ilustrasi" in text or "ilustratif" in text:
        return "Ilustratif"
    if any(w in text for w in ("perkiraan", "estimasi", "proyeksi", "taksiran")):
        return "Perkiraan"
    return None


def source_rows(reference: Any, data: ProcessedData) -> list[dict[str, str]]:
    """Describe each data source with its use and status: official, estimated or illustrative."""
    rows = [{"data": "Daftar penerima (BNBA) dari OPD",
             "guna": "Penerima, penyaluran dan nilai bantuan periode ini",
             "sumber": f"Dikirim OPD melalui Dinas Kominfo ({format_number(len(data.manifest.get('inputs', [])))} berkas)",
             "status": "Data administrasi OPD"}]
    if reference is None:
        rows.append({"data": "Tabel rujukan", "guna": "Wilayah, penduduk, katalog program, target RPJMD",
                     "sumber": "Informasi sumber tidak tersedia", "status": "Tidak diketahui"})
        return rows
    sources = getattr(reference, "sources", {}) or {}
    for name, use, fixed in _REFERENCE_USES:
        df = getattr(reference, name, None)
        origin = sources.get(name, "bawaan")
        own = str(origin) != "bawaan"
        status = _status_from_notes(df) or fixed or ("Dari pengguna" if own else "Bawaan (periksa)")
        sumber = f"Berkas pengguna {Path(str(origin)).name}" if own else "Bawaan workbook"
        if name == "rpjmd_realisasi" and df is not None and "sumber" in df.columns:
            cited = sorted({s for s in df["sumber"].astype(str) if s.strip() and s != "<NA>"})
            if cited:
                sumber += "; " + ", ".join(cited[:4]) + (" dll." if len(cited) > 4 else "")
        rows.append({"data": name + ".csv", "guna": use, "sumber": sumber, "status": status})
    return rows


def _data_uri(path: Path) -> str:
    """Embed a PNG as a base64 data URI."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@dataclass
class ReportResult:
    """The files one report run wrote and its headline figures."""

    html: Path
    xlsx: Path
    ringkasan: Path
    summary: dict
    audited: int = 0  # cells published as <N that the disclosure audit attacked


def _number_tables(tables: dict[str, Table], order: list[str]) -> None:
    """Number the tables in the order they appear in the HTML."""
    n = 0
    for key in order:
        if key in tables:
            n += 1
            tables[key].number = n


def build_report(paths: Any, min_cell: int = 5, reference: Any = None) -> ReportResult:
    """Write the report page, the report workbook and the summary of one period.

    Args:
        paths: the run's :class:`~kmc_analysis.core.paths.RunPaths`; reads ``paths.processed``
            and the PNGs already in ``paths.reports``, writes into ``paths.reports``, and
            looks up last month's summary under ``paths.reports_dir``.
        min_cell: smallest count of persons shown below city level.
        reference: the run's ``ReferenceData`` (for the sources and the illustrative /
            estimated notes in the methodology); None leaves those notes out.

    Raises:
        DisclosureError: the audit of the tables as published found a hidden small count
            that other published numbers give away; nothing is written then.
    """
    data = load_processed(paths.processed, paths.period)
    out = Path(paths.reports)
    summary = headline_figures(data)
    summary["min_cell"] = int(min_cell)
    summary["data_sintetis"] = data.synthetic
    summary["baris_dilewati"] = skipped_row_count(data.manifest)
    penyamaran = suppression_for(data, min_cell)
    tables = build_tables(data, penyamaran, reference, summary)
    targeting = targeting_chapter(data.tables["ketepatan_sasaran"], data.review, paths.period, min_cell, data.dtks)
    tables.update(targeting.tables)
    summary.update(targeting_figures(data.tables["ketepatan_sasaran"], data.review))
    _number_tables(tables, HTML_ORDER)
    previous = read_report_summary(Path(paths.reports_dir) / str(paths.period.previous()))
    audited = check_report(tables, data, penyamaran, summary, previous)
    out.mkdir(parents=True, exist_ok=True)
    interactive = peta_interaktif_html(paths.period)
    if data.synthetic:
        for _, name, _ in IMAGES:
            if (out / name).exists():
                stamp_png(out / name)
        if (out / interactive).exists():
            stamp_html(out / interactive)
    images = {key: {"src": _data_uri(out / name), "caption": caption}
              for key, name, caption in IMAGES if (out / name).exists()}
    for number, key in enumerate(images, 1):
        images[key]["number"] = number
    manifest = data.manifest
    sources = source_rows(reference, data)
    status = {r["data"]: r["status"] for r in sources}
    estimated = ("Ilustratif", "Perkiraan")
    context = {
        "period": paths.period,
        "periode_teks": summary["periode_teks"],
        "summary": summary,
        "previous": previous,
        "previous_text": paths.period.previous().in_words(),
        "findings": findings(summary, tables, data, previous),
        "tables": tables,
        "images": images,
        "interactive_map": interactive if (out / interactive).exists() else "",
        "synthetic": SYNTHETIC_LABEL if data.synthetic else "",
        "min_cell": int(min_cell),
        "min_mark": primary_mark(min_cell),
        "sources": sources,
        "predikat_bands": list(PREDIKAT_RANGES),
        "tanggal_data": date_in_words(manifest.get("finished") or manifest.get("started")),
        "key_id": str(manifest.get("key_id", ""))[:12],
        "version": __version__,
        "versions": {k: v for k, v in (manifest.get("versions") or {}).items() if isinstance(v, str)},
        "alasan": REASON_LABEL,
        "file_html": laporan_html(paths.period),
        "file_xlsx": laporan_xlsx(paths.period),
        "illustrative": [r for r in sources if r["status"] in estimated],
        "penduduk_status": status.get("penduduk.csv", "") if status.get("penduduk.csv") in estimated else "",
        "rpjmd_status": status.get("rpjmd_indikator.csv", "") if status.get("rpjmd_indikator.csv") in estimated else "",
        "delta": headline_changes(summary, previous),
        "recommendations": recommendations(summary, data),
        "sections": SECTIONS,
        "targeting": targeting,
    }
    html_path = out / laporan_html(paths.period)
    html_path.write_text(render_html(context), encoding="utf-8")
    xlsx_path = out / laporan_xlsx(paths.period)
    write_workbook(tables, summary, context, xlsx_path)
    public = {**summary, "files": {"html": html_path.name, "xlsx": xlsx_path.name}, "kmc_analysis": __version__}
    ringkasan = write_report_summary(out, public)
    return ReportResult(html_path, xlsx_path, ringkasan, summary, audited)
