"""Audit the report as published: read its tables back as an attacker would, and attack them.

The report's :class:`~kmc_analysis.report.table_model.Table` objects are exactly what the
HTML page and the workbook show. :func:`audit_report` reads every number they show below
city level (a shown cell is a number; ``<N`` and ``*`` are unknowns), adds the kategori
map (its hatched cells are unknowns), the city's published figures and the assumptions of
the suppression, and runs :func:`kmc_analysis.core.disclosure_audit.audit_model` on them.
A finding fails the run before anything is written.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import LAST_MONTH, RULES, SHOWN, THIS_MONTH, Penyamaran, primary_mark
from kmc_analysis.core.disclosure_audit import DisclosureError, Finding, audit_model
from kmc_analysis.core.disclosure_model import build_model
from kmc_analysis.core.overlap_integers import OverlapRow, narrowed_rows, programs_paid
from kmc_analysis.report.inputs import ProcessedData
from kmc_analysis.report.table_model import Table

#: Report tables read back by the audit (the kelurahan table grouped by kecamatan shows the same cells).
AUDITED = ("rekap_kecamatan", "rekap_kelurahan", "perubahan_kecamatan", "rekap_tumpang_tindih", "kombinasi_program")


def _number(cell) -> float:
    """The number a shown cell publishes (the workbook stores its raw value), NaN for a mark or a dash."""
    if cell.hidden or cell.value is None:
        return math.nan
    if isinstance(cell.value, (int, float, np.number)) and not isinstance(cell.value, bool):
        return float(cell.value)
    return math.nan


def table_frame(table: Table, key: str, min_cell: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A published table as numbers (NaN where not shown), which cells show a number, which show ``<N``."""
    rule = RULES[key]
    names = [c.name for c in table.columns]
    rows = [r for r in table.rows if r.kind == "data"]
    data: dict[str, list] = {c: [] for c in rule.unit}
    for name in names:
        if name not in data:
            data[name] = []
    shown = {n: [] for n in names if n not in rule.unit}
    marked = {n: [] for n in names if n not in rule.unit}
    mark = primary_mark(min_cell)
    for row in rows:
        parts = row.unit.split("|")
        for c, part in zip(rule.unit, parts):
            data[c].append(part)
        for name, cell in zip(names, row.cells):
            if name in rule.unit:
                continue
            measure = rule.column(name).hides or rule.column(name).kind == "rujukan"
            data[name].append(_number(cell) if measure else cell.text)
            shown[name].append(not cell.hidden and not math.isnan(_number(cell)))
            marked[name].append(cell.hidden and cell.text == mark)
    frame = pd.DataFrame(data)
    return frame, pd.DataFrame(shown), pd.DataFrame(marked)


def _kategori_map(data: ProcessedData, penyamaran: Penyamaran):
    """The kategori map as published: a rate where a kelurahan is drawn, an unknown where it is hatched."""
    frame = data.tables.get("rekap_kategori_kelurahan")
    if frame is None or not len(frame):
        return None
    key = "rekap_kategori_kelurahan"
    mask = penyamaran.mask(frame, key)
    hidden = penyamaran.hidden_rows(frame, key)
    codes = penyamaran.hidden
    primary = [codes.get((RULES[key].level, c, THIS_MONTH)) == "primary"
               for c in (frame["kategori"].astype(str) + "|" + frame["kode_kelurahan"].astype(str))]
    published = frame[["kategori", "kode_kecamatan", "kode_kelurahan", "penduduk"]].copy()
    published["penerima_unik"] = math.nan
    published["penerima_per_1000"] = frame["penerima_per_1000"].where(mask["penerima_per_1000"].eq(SHOWN))
    shown = pd.DataFrame({"penerima_unik": False, "penerima_per_1000": ~hidden.to_numpy()
                          & published["penerima_per_1000"].notna().to_numpy()}, index=frame.index)
    marked = pd.DataFrame({"penerima_unik": primary, "penerima_per_1000": False}, index=frame.index)
    return published, shown, marked


def _program_counts(tables: dict[str, Table]) -> pd.DataFrame | None:
    """The city's program counts as the program table publishes them."""
    table = tables.get("rekap_program")
    if table is None:
        return None
    names = [c.name for c in table.columns]
    if not {"kode_bantuan", "kategori", "penerima_unik"} <= set(names):
        return None
    rows = [r for r in table.rows if r.kind == "data"]
    pick = {n: names.index(n) for n in ("kode_bantuan", "kategori", "penerima_unik")}
    return pd.DataFrame({
        "kode_bantuan": [r.cells[pick["kode_bantuan"]].text for r in rows],
        "kategori": [str(r.cells[pick["kategori"]].text) for r in rows],
        "penerima_unik": [_number(r.cells[pick["penerima_unik"]]) for r in rows],
    })


def audit_report(tables: dict[str, Table], data: ProcessedData, penyamaran: Penyamaran, summary: dict,
                 previous: dict | None) -> tuple[list[Finding], int]:
    """Attack the report's published numbers: every ``<N`` cell they narrow (``[]``: safe), and how many were tried."""
    min_cell = penyamaran.min_cell
    frames, shown, marked = {}, {}, {}
    for key in AUDITED:
        if key in tables and tables[key].rows:
            frames[key], shown[key], marked[key] = table_frame(tables[key], key, min_cell)
    kategori = _kategori_map(data, penyamaran)
    if kategori is not None:
        key = "rekap_kategori_kelurahan"
        frames[key], shown[key], marked[key] = kategori
        # the program table shows kategori with spaces for underscores: compare them the same way
        frames[key]["kategori"] = frames[key]["kategori"].astype(str).str.replace("_", " ")
    programs = _program_counts(tables)
    if programs is not None:
        frames["rekap_program"] = programs
    kota = {THIS_MONTH: {k: summary.get(k) for k in ("penerima_unik", "jumlah_penyaluran", "nilai_total",
                                                        "penduduk")},
            LAST_MONTH: {k: (previous or {}).get(k) for k in ("penerima_unik", "nilai_total")}}
    model = build_model(frames, kota, penyamaran.knowledge, shown, marked)
    findings = audit_model(model, min_cell)
    if "rekap_tumpang_tindih" in frames:
        findings += _whole_number_findings(frames["rekap_tumpang_tindih"], shown["rekap_tumpang_tindih"],
                                           marked["rekap_tumpang_tindih"], summary, penyamaran)
    return findings, len(model.marked_primary)


def _whole_number_findings(frame: pd.DataFrame, shown: pd.DataFrame, marked: pd.DataFrame, summary: dict,
                           penyamaran: Penyamaran) -> list[Finding]:
    """Small rows of persons by number of programs that whole numbers narrow (see ``core.overlap_integers``)."""
    persons, city_rows = summary.get("penerima_unik"), summary.get("jumlah_penyaluran")
    if persons is None or city_rows is None:
        return []
    most = programs_paid(penyamaran.knowledge)
    rows = [OverlapRow(str(label), int(count) if is_shown else None, small=bool(is_small))
            for label, count, is_shown, is_small in zip(frame["jumlah_bantuan"], frame["penerima"],
                                                       shown["penerima"], marked["penerima"])]
    return [Finding("rekap_tumpang_tindih", label, "penerima")
            for label in narrowed_rows(rows, int(persons), int(city_rows), most, penyamaran.min_cell)]


def check_report(tables: dict[str, Table], data: ProcessedData, penyamaran: Penyamaran, summary: dict,
                 previous: dict | None) -> int:
    """Raise :class:`DisclosureError` naming every unprotected cell; else return how many ``<N`` cells were tried."""
    findings, tried = audit_report(tables, data, penyamaran, summary, previous)
    if findings:
        raise DisclosureError(findings)
    return tried
