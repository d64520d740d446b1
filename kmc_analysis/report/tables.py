"""Build every table of the report, with small counts of persons suppressed.

One builder per part of the report (areas, OPDs, programs, overlap, RPJMD, monthly trend,
rejected data) turns the processed aggregates into display :class:`Table` objects shared
by the HTML page and the workbook. Every count of persons below city level goes through
:mod:`kmc_analysis.core.disclosure` by the rules in :data:`SUPPRESSION` before it is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kmc_analysis.clean.reasons import REASON_LABEL, REASON_SHORT
from kmc_analysis.core.disclosure import (
    DERIVED,
    HIDDEN_MARK,
    SHOWN,
    as_name_list,
    format_number,
    primary_mark,
    suppression_mask,
)
from kmc_analysis.core.periods import PERIOD_PATTERN, Period
from kmc_analysis.coverage.display import PUBLICATION
from kmc_analysis.report.inputs import ProcessedData, column_total, rpjmd_current, with_predikat
from kmc_analysis.report.narrative import headline_figures
from kmc_analysis.report.table_model import Cell, Table, make_table

#: Person counts and the columns derived from them, by column name.
PERSON_COUNTS = ("penerima_unik", "jumlah_penyaluran", "penerima", "penerima_unik_bulan_lalu", "baris_diterima")
BREAKDOWN_COLUMNS = ("kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "opd", "kode_bantuan",
                     "nama_bantuan", "kategori", "kombinasi")

#: How each published table is suppressed (arguments of disclosure.suppression_mask). The
#: area, program and overlap rules are stage 2's (coverage.display.PUBLICATION), so the maps hide
#: exactly what the tables hide; the report adds the columns only it shows.
_PROGRAM_DERIVED = ("capaian_penerima_persen", "predikat_penerima", "nilai_total", "serapan_anggaran_persen",
                    "capaian_serapan_persen", "predikat_serapan")
SUPPRESSION: dict[str, dict] = {
    **PUBLICATION,
    "program": {**PUBLICATION["program"],
                "derived": {**PUBLICATION["program"].get("derived", {}),
                            **{c: "penerima_unik" for c in _PROGRAM_DERIVED}}},
    # baris_dibaca = baris_diterima + baris_karantina: quarantined rows are records, shown as they are,
    # so a hidden baris_diterima takes baris_dibaca (and persen_valid) with it.
    "opd": {"count_columns": ["baris_diterima"], "row_totals": {"baris_dibaca": ["baris_diterima", "baris_karantina"]},
            "derived": {"persen_valid": ["baris_diterima", "baris_dibaca"]}},
}

PROGRAM_NOTE = ("Capaian penerima = penerima unik / target penerima x 100; predikat memakai rentang "
                "Permendagri 86/2017 (lihat Catatan Metodologi). Target dan anggaran berasal dari katalog program.")


def _legend(min_cell: int) -> str:
    """The suppression legend placed under every table with hidden cells."""
    return (f"{primary_mark(min_cell)} = 1 sampai {min_cell - 1} orang (disamarkan); {HIDDEN_MARK} = disamarkan agar "
            f"angka kecil tidak dapat dihitung ulang dari total.")


def _mask(df: pd.DataFrame, kind: str, min_cell: int) -> pd.DataFrame:
    """Suppress a table by the rules of its ``kind`` (the same rules the maps of stage 2 use)."""
    rules = {k: v for k, v in SUPPRESSION[kind].items()}
    rules["count_columns"] = [c for c in rules["count_columns"] if c in df.columns]
    rules["derived"] = {k: [c for c in as_name_list(v) if c in df.columns] for k, v in rules.get("derived", {}).items()
                        if k in df.columns}
    if "row_totals" in rules:
        rules["row_totals"] = {k: [c for c in v if c in df.columns] for k, v in rules["row_totals"].items()
                               if k in df.columns}
    groups = rules.get("group_by")
    if groups is not None:
        groups = [g for g in as_name_list(groups) if all(c in df.columns for c in as_name_list(g))]
        rules["group_by"] = groups or None
    return suppression_mask(df, min_cell=min_cell, **rules)


def _area_tables(t: dict, summary: dict, min_cell: int) -> dict[str, Table]:
    """Coverage per kecamatan and per kelurahan, and the change since last month."""
    tables: dict[str, Table] = {}
    kec, kel, per = t["rekap_kecamatan"], t["rekap_kelurahan"], t["perubahan_kecamatan"]
    kec_rows: dict[str, list[Cell]] = {}
    if kec is not None:
        names = ["kode_kecamatan", "kecamatan", "penduduk", "penerima_unik", "penerima_per_1000",
                 "jumlah_penyaluran", "nilai_total", "program_aktif"]
        totals = {"penduduk": summary["penduduk"], "penerima_unik": summary["penerima_unik"],
                  "penerima_per_1000": summary["penerima_per_1000"],
                  "jumlah_penyaluran": summary["jumlah_penyaluran"], "nilai_total": summary["nilai_total"],
                  "program_aktif": summary["program_tersalur"]}
        table = make_table("rekap_kecamatan", "Cakupan penerima KMC per kecamatan", kec, names,
                           _mask(kec, "kecamatan", min_cell), min_cell, totals=totals)
        table.notes.append("Baris Kota Metro menghitung setiap penerima satu kali, sehingga dapat lebih kecil daripada "
                           "jumlah kecamatan bila seseorang tercatat di dua kecamatan.")
        table.sheet = "Rekap Kecamatan"
        tables[table.key] = table
        kec_rows = {str(code): row.cells for code, row in zip(kec["kode_kecamatan"], table.rows)}
    if kel is not None:
        names = ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "penduduk", "penerima_unik",
                 "penerima_per_1000", "jumlah_penyaluran", "nilai_total", "program_aktif"]
        mask = _mask(kel, "kelurahan", min_cell)
        table = make_table("rekap_kelurahan", "Cakupan penerima KMC per kelurahan", kel, names, mask, min_cell)
        table.sheet = "Rekap Kelurahan"
        tables[table.key] = table
        # The HTML shows kelurahan under a kecamatan heading that carries the kecamatan's row.
        short = ["kelurahan", "penduduk", "penerima_unik", "penerima_per_1000", "jumlah_penyaluran", "nilai_total",
                 "program_aktif"]
        groups = {}
        if kec is not None and "kode_kecamatan" in kel:
            for code, name in zip(kec["kode_kecamatan"].astype(str), kec["kecamatan"].astype(str)):
                groups[code] = [Cell(f"Kecamatan {name}")] + kec_rows[code][2:]
        grouped = make_table("rekap_kelurahan_html", "Cakupan penerima KMC per kelurahan", kel, short, mask,
                             min_cell, group_by="kode_kecamatan" if "kode_kecamatan" in kel else None,
                             group_labels=groups)
        grouped.notes.append("Baris berlatar biru adalah total kecamatan. Total kecamatan dapat lebih besar daripada "
                             "jumlah kelurahannya karena sebagian baris data hanya mencantumkan kecamatan.")
        tables[grouped.key] = grouped
    if per is not None:
        names = ["kode_kecamatan", "kecamatan", "penerima_unik_bulan_lalu", "penerima_unik", "selisih",
                 "perubahan_persen", "nilai_total_bulan_lalu", "nilai_total", "selisih_nilai"]
        table = make_table("perubahan_kecamatan", "Perubahan penerima unik dibanding bulan lalu per kecamatan",
                           per, names, _mask(per, "perubahan", min_cell), min_cell)
        for row in table.rows:  # a rise shows its sign
            for col, cell in zip(table.columns, row.cells):
                if col.name.startswith(("selisih", "perubahan")) and not cell.hidden \
                        and isinstance(cell.value, (int, float, np.number)) and cell.value > 0:
                    cell.text = "+" + cell.text
        table.sheet = "Perubahan Kecamatan"
        tables[table.key] = table
    return tables


def _opd_tables(t: dict, summary: dict, min_cell: int, program_hidden: set[str]) -> dict[str, Table]:
    """Completeness per OPD (rekap_opd) and the OPD scorecard (evaluasi_opd) if present."""
    tables: dict[str, Table] = {}
    opd, eopd = t["rekap_opd"], t["evaluasi_opd"]
    hidden_valid: set[str] = set()
    if opd is not None:
        mask = _mask(opd, "opd", min_cell)
        if "persen_valid" in mask:
            hidden_valid = set(opd.loc[mask["persen_valid"] != SHOWN, "opd"].astype(str))
        names = ["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "baris_dibaca", "baris_diterima",
                 "baris_karantina", "persen_valid"]
        totals = {"program_katalog": column_total(opd, "program_katalog"), "program_terisi": column_total(opd, "program_terisi"),
                  "kelengkapan_persen": summary["kelengkapan_program_persen"], "baris_dibaca": summary["baris_dibaca"],
                  "baris_diterima": summary["baris_diterima"], "baris_karantina": summary["baris_karantina"],
                  "persen_valid": summary["persen_baris_valid"]}
        table = make_table("rekap_opd", "Kelengkapan dan kualitas data per OPD", opd, names, mask, min_cell,
                           totals=totals, total_label="Jumlah")
        table.notes.append("Kelengkapan program = program terisi / program dalam katalog x 100. Baris valid = baris "
                           "diterima / baris dibaca x 100. Baris dikarantina adalah catatan yang ditolak (bukan "
                           "penerima) dan dikembalikan ke OPD untuk diperbaiki.")
        table.sheet = "Rekap OPD"
        tables[table.key] = table
    if eopd is not None:
        # Hidden with the rekap_opd rows and the program counts they are computed from.
        cols = [c for c in ("persen_valid", "capaian_penerima_rata2", "predikat") if c in eopd]
        mask = pd.DataFrame(SHOWN, index=eopd.index, columns=cols, dtype=object)
        who = eopd["opd"].astype(str)
        if "persen_valid" in cols:
            mask.loc[who.isin(hidden_valid), "persen_valid"] = DERIVED
        for c in ("capaian_penerima_rata2", "predikat"):
            if c in cols:
                mask.loc[who.isin(program_hidden), c] = DERIVED
        names = ["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "persen_valid",
                 "capaian_penerima_rata2", "predikat"]
        table = make_table("evaluasi_opd", f"Kinerja OPD pengelola bantuan KMC, tahun berjalan s.d. "
                           f"{summary['periode_teks']}", eopd, names, mask, min_cell)
        table.notes.append("Rata-rata capaian penerima = rata-rata capaian penerima program-program OPD; predikat "
                           "memakai rentang yang sama dengan indikator RPJMD.")
        table.sheet = "Evaluasi OPD"
        tables[table.key] = table
    return tables


def _program_tables(t: dict, summary: dict, min_cell: int) -> tuple[dict[str, Table], set[str]]:
    """Per-program tables (month: rekap_program; year to date: evaluasi_program) and OPDs with hidden counts."""
    tables: dict[str, Table] = {}
    masks: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    titles = {"rekap_program": f"Penerima dan nilai per jenis bantuan, {summary['periode_teks']}",
              "evaluasi_program": f"Evaluasi kinerja program bantuan, tahun berjalan s.d. {summary['periode_teks']}"}
    names = ["kode_bantuan", "nama_bantuan", "opd", "kategori", "penerima_unik", "target_penerima",
             "capaian_penerima_persen", "predikat_penerima", "nilai_total", "anggaran", "serapan_anggaran_persen",
             "target_serapan_persen", "capaian_serapan_persen", "predikat_serapan"]
    for key in ("rekap_program", "evaluasi_program"):
        df = t[key]
        if df is None:
            continue
        df = with_predikat(df.reset_index(drop=True), "capaian_penerima_persen", "predikat_penerima")
        mask = _mask(df, "program", min_cell)
        masks[key] = (df, mask)
        table = make_table(key, titles[key], df, names, mask, min_cell)
        table.sheet = "Rekap Program" if key == "rekap_program" else "Evaluasi Program"
        table.notes.append(PROGRAM_NOTE)
        tables[key] = table
    hidden: set[str] = set()
    key = "evaluasi_program" if "evaluasi_program" in masks else "rekap_program"
    if key in masks:
        df, mask = masks[key]
        if "opd" in df:
            hidden = set(df.loc[mask["penerima_unik"] != SHOWN, "opd"].astype(str))
        short = ["kode_bantuan", "nama_bantuan", "kategori", "penerima_unik", "target_penerima",
                 "capaian_penerima_persen", "predikat_penerima", "nilai_total", "anggaran", "serapan_anggaran_persen",
                 "predikat_serapan"]
        order = df.sort_values(["opd", "kode_bantuan"], kind="stable").index if "opd" in df else df.index
        html_table = make_table("program_html", titles[key], df.loc[order], short, mask.loc[order], min_cell,
                                group_by="opd" if "opd" in df else None)
        html_table.wide = True
        html_table.notes.append(PROGRAM_NOTE)
        if key == "evaluasi_program":
            html_table.notes.append("Penerima dan nilai dihitung sejak Januari (tahun berjalan) dan dibandingkan dengan "
                                    "target dan anggaran setahun; predikat serapan membandingkan serapan dengan "
                                    "bagian anggaran yang semestinya terserap sampai bulan ini. Program OPD yang "
                                    "belum mengirim data ditandai –.")
        tables["program_html"] = html_table
    return tables, hidden


def _overlap_tables(t: dict, min_cell: int) -> dict[str, Table]:
    """Beneficiaries by number of kinds of bantuan received, and the most common combinations."""
    tables: dict[str, Table] = {}
    tt = t["rekap_tumpang_tindih"]
    if tt is not None and "penerima" in tt:
        tt = tt.copy()
        total = column_total(tt, "penerima")
        if "persen_penerima" not in tt:
            tt["persen_penerima"] = tt["penerima"] / total * 100 if total else np.nan
        names = ["jumlah_bantuan", "penerima", "persen_penerima", "nilai_total", "nilai_rata_rata_per_penerima"]
        table = make_table("rekap_tumpang_tindih", "Penerima menurut jumlah jenis bantuan yang diterima", tt, names,
                           _mask(tt, "tumpang_tindih", min_cell), min_cell,
                           totals={"penerima": total, "persen_penerima": 100.0 if total else None,
                                   "nilai_total": column_total(tt, "nilai_total") if "nilai_total" in tt else None},
                           total_label="Jumlah")
        table.sheet = "Tumpang Tindih"
        tables[table.key] = table
    kp = t["kombinasi_program"]
    if kp is not None and "penerima" in kp:
        kp = kp.sort_values("penerima", ascending=False, kind="stable").head(15).reset_index(drop=True)
        catalogue = t["rekap_program"] if t["rekap_program"] is not None else t["evaluasi_program"]
        if catalogue is not None and "kombinasi" in kp:
            names = dict(zip(catalogue["kode_bantuan"].astype(str), catalogue["nama_bantuan"].astype(str)))
            kp["kombinasi"] = [" + ".join(names.get(code.strip(), code.strip()) for code in str(combo).split("+"))
                               for combo in kp["kombinasi"]]
        table = make_table("kombinasi_program", "Kombinasi jenis bantuan yang paling sering diterima bersamaan", kp,
                           ["kombinasi", "jumlah_bantuan", "penerima"], _mask(kp, "kombinasi", min_cell), min_cell)
        table.sheet = "Kombinasi Program"
        tables[table.key] = table
    return tables


def _rpjmd_tables(data: ProcessedData, summary: dict, reference: Any, min_cell: int) -> dict[str, Table]:
    """The RPJMD evaluation of the period's year and the trend status of each indicator (city level)."""
    tables: dict[str, Table] = {}
    t = data.tables
    rp = t["evaluasi_rpjmd"]
    if rp is not None:
        rp = with_predikat(rp, "capaian_persen", "predikat")
        # The report evaluates the period's year; all years stay in the workbook.
        rp_year = rpjmd_current(data)
        notes = _reference_notes(reference, "rpjmd_indikator", "kode_indikator")
        names = ["kode_indikator", "indikator", "satuan", "polaritas", "tahun", "target", "realisasi",
                 "capaian_persen", "predikat"]
        formula = ("Capaian = realisasi / target x 100 (polaritas positif) atau (2 x target - realisasi) / target x "
                   "100 (polaritas negatif). Target atau realisasi yang belum tersedia membuat capaian dan predikat "
                   "kosong (–), bukan nol.")
        notes_table = [formula]
        if notes and "kode_indikator" in rp_year:
            ket = rp_year["kode_indikator"].astype(str).map(notes).fillna("")
            if ket.nunique() == 1 and ket.iloc[0]:
                notes_table.append(f"Keterangan semua indikator: {ket.iloc[0]}.")
            elif ket.ne("").any():
                rp_year = rp_year.assign(keterangan=ket)
                names.append("keterangan")
        table = make_table("evaluasi_rpjmd", f"Evaluasi indikator RPJMD tahun {data.period.year} "
                           f"(s.d. {summary['periode_teks']})", rp_year, names, None, min_cell, notes=notes_table)
        table.wide = True
        tables[table.key] = table
        full = make_table("evaluasi_rpjmd_xlsx", "Evaluasi indikator RPJMD 2021-2026", rp, names[:9], None, min_cell,
                          notes=[formula])
        full.sheet = "Evaluasi RPJMD"
        tables[full.key] = full
    tren = t["tren_rpjmd"]
    if tren is not None:
        status_col = next((c for c in tren.columns if c.startswith("status")), None)
        table = make_table("tren_rpjmd_xlsx", "Seri tahunan indikator RPJMD dan proyeksinya", tren,
                           list(tren.columns), None, min_cell)
        table.sheet = "Tren RPJMD"
        tables[table.key] = table
        if status_col and "kode_indikator" in tren:
            proj = next((c for c in tren.columns if c.startswith("proyeksi")), None)
            final = str(proj.split("_")[-1]) if proj else "2026"
            first = tren.drop_duplicates("kode_indikator").reset_index(drop=True)
            target = tren[tren["tahun"].astype(str) == final].set_index("kode_indikator")["target"] \
                if "tahun" in tren and "target" in tren else pd.Series(dtype=float)
            first[f"target_{final}"] = first["kode_indikator"].map(target)
            keep = ["kode_indikator", "indikator", "satuan", "polaritas", f"target_{final}"] + \
                   ([proj] if proj else []) + [status_col]
            table = make_table("tren_rpjmd", f"Proyeksi indikator RPJMD terhadap target {final}", first, keep, None,
                               min_cell)
            table.notes.append(f"Status \"sesuai jalur\" bila proyeksi tren realisasi mencapai target {final} "
                               "(indikator negatif: tidak melebihi target); \"data kurang\" bila realisasi kurang dari "
                               "dua tahun atau target tidak ada.")
            tables[table.key] = table
    return tables


def _trend_table(t: dict, min_cell: int) -> dict[str, Table]:
    """The monthly city-level trend (the tren_bulanan table); suppressed if it ever carries a breakdown."""
    df = t["tren_bulanan"]
    if df is None:
        return {}
    df = df.copy()
    mask = None
    counts = [c for c in df.columns if c in PERSON_COUNTS]
    if counts and any(c in df.columns for c in BREAKDOWN_COLUMNS):
        period_col = next((c for c in ("bulan", "periode", "tahun") if c in df.columns), None)
        dependent = [c for c in df.columns if c.startswith(("nilai", "penerima_per", "capaian", "predikat"))]
        mask = suppression_mask(df, counts, min_cell, group_by=period_col, derived={c: counts for c in dependent})
    if "bulan" in df and df["bulan"].astype(str).str.match(PERIOD_PATTERN).all():
        df["bulan"] = [Period.parse(month).in_words() for month in df["bulan"].astype(str)]
    table = make_table("tren_bulanan", "Tren bulanan penyaluran KMC tahun berjalan", df, list(df.columns), mask,
                       min_cell)
    table.sheet = "Tren Bulanan"
    return {table.key: table}


def _reference_notes(reference: Any, table: str, key: str) -> dict[str, str]:
    """Map a reference table's key to its ``keterangan`` (e.g. ``ilustratif``), if any."""
    df = getattr(reference, table, None) if reference is not None else None
    if df is None or key not in df.columns or "keterangan" not in df.columns:
        return {}
    ket = df[[key, "keterangan"]].astype(str)
    ket = ket[ket["keterangan"].str.strip().ne("") & ket["keterangan"].ne("<NA>")]
    # The first clause ("target ilustratif"), without its explanation: that is in the methodology.
    short = (ket["keterangan"].str.split(r"[;:]", n=1, regex=True).str[0].str.replace(r"\s*\(.*?\)", "", regex=True)
             .str.strip())
    return {k: v for k, v in zip(ket[key], short) if v}


def _rejected_tables(data: ProcessedData) -> dict[str, Table]:
    """Tables of quarantined rows by reason and by file, rejected files and skipped sheets."""
    tables: dict[str, Table] = {}
    counts = data.manifest.get("counts", {})
    by_reason = counts.get("quarantine_by_reason")
    if not by_reason and len(data.quarantine):
        by_reason = data.quarantine.groupby("alasan")["jumlah_baris"].sum().to_dict()
    read = counts.get("rows_read") or 0
    df = pd.DataFrame({"kode_alasan": list(REASON_LABEL)})
    df["alasan"] = df["kode_alasan"].map(REASON_LABEL)
    df["jumlah_baris"] = df["kode_alasan"].map(lambda c: int((by_reason or {}).get(c, 0)))
    extra = sorted(set(by_reason or {}) - set(REASON_LABEL))
    if extra:
        df = pd.concat([df, pd.DataFrame({"kode_alasan": extra, "alasan": extra,
                                          "jumlah_baris": [int(by_reason[c]) for c in extra]})], ignore_index=True)
    df["persen_dibaca"] = df["jumlah_baris"] / read * 100 if read else np.nan
    table = make_table("karantina_alasan", "Baris yang dikarantina menurut alasan (tingkat kota)", df,
                       ["alasan", "kode_alasan", "jumlah_baris", "persen_dibaca"], None, 5,
                       totals={"jumlah_baris": counts.get("rows_quarantined", int(data.quarantine_rows["jumlah_baris"].sum())
                                                          if len(data.quarantine_rows) else 0)},
                       total_label="Baris dikarantina")
    table.notes.append("Satu baris dapat memiliki lebih dari satu alasan, sehingga jumlah per alasan dapat melebihi "
                       "jumlah baris yang dikarantina.")
    table.sheet = "Data Ditolak"
    tables[table.key] = table

    if len(data.quarantine_rows):
        rows = data.quarantine_rows.copy()
        rows["opd"] = rows["sumber_file"].map(lambda f: data.file_opd.get(f, "(tidak dapat ditentukan)"))
        detail: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for f, sh, code, n in data.quarantine.itertuples(index=False):
            detail.setdefault((f, sh), []).append((int(n), REASON_SHORT.get(code, code)))
        rows["rincian_alasan"] = [
            "; ".join(f"{label}: {format_number(n)}" for n, label in sorted(detail.get((f, sh), []),
                                                                           key=lambda x: (-x[0], x[1])))
            for f, sh in zip(rows["sumber_file"], rows["sumber_sheet"])]
        rows["sumber_file"] = rows["sumber_file"].map(lambda p: Path(str(p)).name)
        rows = rows.sort_values(["opd", "sumber_file", "sumber_sheet"], kind="stable")
        table = make_table("karantina_berkas", "Baris yang dikarantina menurut OPD dan berkas", rows,
                           ["opd", "sumber_file", "sumber_sheet", "jumlah_baris", "rincian_alasan"], None, 5)
        table.notes.append("OPD ditentukan dari baris berkas yang sama yang diterima; berkas yang seluruh barisnya "
                           "ditolak ditandai \"(tidak dapat ditentukan)\". Rincian baris dikirim ke masing-masing "
                           "OPD dalam berkas umpan balik, bukan dalam laporan ini.")
        table.sheet = "Data Ditolak per Berkas"
        tables[table.key] = table

    rejected = pd.DataFrame([{"sumber_file": Path(str(r.get("path", ""))).name, "sumber_sheet": r.get("sheet") or "",
                              "alasan": r.get("reason", "")} for r in data.manifest.get("rejected_files", [])],
                            columns=["sumber_file", "sumber_sheet", "alasan"])
    tables["berkas_ditolak"] = make_table("berkas_ditolak", "Berkas atau sheet yang tidak dapat dibaca", rejected,
                                          ["sumber_file", "sumber_sheet", "alasan"], None, 5)
    skipped = pd.DataFrame([{"sumber_file": Path(str(r.get("path", ""))).name, "sumber_sheet": r.get("sheet") or ""}
                            for r in data.manifest.get("skipped_sheets", [])], columns=["sumber_file", "sumber_sheet"])
    tables["sheet_dilewati"] = make_table("sheet_dilewati", "Sheet yang dilewati (tidak berisi daftar penerima)",
                                          skipped, ["sumber_file", "sumber_sheet"], None, 5)
    return tables


def build_tables(data: ProcessedData, min_cell: int, reference: Any = None,
                 summary: dict | None = None) -> dict[str, Table]:
    """Build every report table with small counts suppressed, keyed by table name.

    ``summary`` is the period's headline figures (``headline_figures``), read when not given.
    """
    t = data.tables
    summary = summary or headline_figures(data)
    tables: dict[str, Table] = {}
    tables.update(_area_tables(t, summary, min_cell))
    program_tables, program_hidden = _program_tables(t, summary, min_cell)
    tables.update(_opd_tables(t, summary, min_cell, program_hidden))
    tables.update(program_tables)
    tables.update(_overlap_tables(t, min_cell))
    tables.update(_rpjmd_tables(data, summary, reference, min_cell))
    tables.update(_trend_table(t, min_cell))
    tables.update(_rejected_tables(data))
    legend = _legend(min_cell)
    for table in tables.values():
        if table.has_hidden and legend not in table.notes:
            table.notes.append(legend)
    return tables
