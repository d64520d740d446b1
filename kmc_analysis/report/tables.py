"""Build every table of the report, each through the disclosure rule table.

One builder per part of the report (areas, OPDs, programs, overlap, RPJMD, monthly trend)
turns the processed aggregates into display :class:`Table` objects shared by the HTML page
and the workbook. Below city level (areas, persons by number of programs and their
combinations) cells are hidden by the run's :class:`~kmc_analysis.core.disclosure.Penyamaran`,
the one stage 2 decided and its maps use; city-level figures per program and OPD are
published in full (CONTRACT section 3). The data-quality tables are in
:mod:`kmc_analysis.report.quality`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kmc_analysis.core.disclosure import HIDDEN_MARK, RULES, Penyamaran, primary_mark, unit_codes
from kmc_analysis.core.overlap_publication import (
    OR_MORE,
    combinations_note,
    combinations_withheld,
    published_combinations,
    top_coded_overlap,
)
from kmc_analysis.core.periods import PERIOD_PATTERN, Period
from kmc_analysis.report.inputs import ProcessedData, column_total, rpjmd_current, with_predikat
from kmc_analysis.report.narrative import headline_figures
from kmc_analysis.report.quality import quality_tables
from kmc_analysis.report.table_model import Cell, Table, make_table

PROGRAM_NOTE = ("Capaian penerima = penerima unik / target penerima x 100; predikat memakai rentang "
                "Permendagri 86/2017 (lihat Catatan Metodologi). Target dan anggaran berasal dari katalog program. "
                "Angka per program dan per OPD adalah angka tingkat kota dan diterbitkan lengkap.")


def _legend(min_cell: int) -> str:
    """The suppression legend placed under every table with hidden cells."""
    return (f"{primary_mark(min_cell)} = 1 sampai {min_cell - 1} orang (disamarkan); {HIDDEN_MARK} = disamarkan agar "
            f"angka kecil tidak dapat dihitung ulang dari total, tabel lain, atau angka turunannya.")


def _masked(df: pd.DataFrame, key: str, penyamaran: Penyamaran) -> tuple[pd.DataFrame, list[str]]:
    """The mask of a below-city table and its rows' unit codes."""
    return penyamaran.mask(df, key), unit_codes(df, RULES[key]).tolist()


def _area_tables(t: dict, summary: dict, penyamaran: Penyamaran) -> dict[str, Table]:
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
        mask, units = _masked(kec, "rekap_kecamatan", penyamaran)
        table = make_table("rekap_kecamatan", "Cakupan penerima KMC per kecamatan", kec, names, mask,
                           penyamaran.min_cell, totals=totals, units=units)
        table.notes.append("Baris Kota Metro menghitung setiap penerima satu kali, sehingga dapat lebih kecil daripada "
                           "jumlah kecamatan bila seseorang tercatat di dua kecamatan.")
        table.sheet = "Rekap Kecamatan"
        tables[table.key] = table
        kec_rows = {str(code): row.cells for code, row in zip(kec["kode_kecamatan"], table.rows)}
    if kel is not None:
        names = ["kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "penduduk", "penerima_unik",
                 "penerima_per_1000", "jumlah_penyaluran", "nilai_total", "program_aktif"]
        mask, units = _masked(kel, "rekap_kelurahan", penyamaran)
        table = make_table("rekap_kelurahan", "Cakupan penerima KMC per kelurahan", kel, names, mask,
                           penyamaran.min_cell, units=units)
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
                             penyamaran.min_cell, group_by="kode_kecamatan" if "kode_kecamatan" in kel else None,
                             group_labels=groups, units=units)
        grouped.notes.append("Baris berlatar biru adalah total kecamatan. Total kecamatan dapat lebih besar daripada "
                             "jumlah kelurahannya karena sebagian baris data hanya mencantumkan kecamatan.")
        tables[grouped.key] = grouped
    if per is not None:
        names = ["kode_kecamatan", "kecamatan", "penerima_unik_bulan_lalu", "penerima_unik", "selisih",
                 "perubahan_persen", "nilai_total_bulan_lalu", "nilai_total", "selisih_nilai"]
        mask, units = _masked(per, "perubahan_kecamatan", penyamaran)
        table = make_table("perubahan_kecamatan", "Perubahan penerima unik dibanding bulan lalu per kecamatan",
                           per, names, mask, penyamaran.min_cell, units=units)
        for row in table.rows:  # a rise shows its sign
            for col, cell in zip(table.columns, row.cells):
                if col.name.startswith(("selisih", "perubahan")) and not cell.hidden \
                        and isinstance(cell.value, (int, float, np.number)) and cell.value > 0:
                    cell.text = "+" + cell.text
        table.sheet = "Perubahan Kecamatan"
        tables[table.key] = table
    return tables


def _opd_tables(t: dict, summary: dict) -> dict[str, Table]:
    """Completeness per OPD (rekap_opd) and the OPD scorecard (evaluasi_opd): city level, in full."""
    tables: dict[str, Table] = {}
    opd, eopd = t["rekap_opd"], t["evaluasi_opd"]
    if opd is not None:
        names = ["opd", "program_katalog", "program_terisi", "kelengkapan_persen", "baris_dibaca", "baris_diterima",
                 "baris_karantina", "persen_valid"]
        totals = {"program_katalog": column_total(opd, "program_katalog"), "program_terisi": column_total(opd, "program_terisi"),
                  "kelengkapan_persen": summary["kelengkapan_program_persen"], "baris_dibaca": summary["baris_dibaca"],
                  "baris_diterima": summary["baris_diterima"], "baris_karantina": summary["baris_karantina"],
                  "persen_valid": summary["persen_baris_valid"]}
        table = make_table("rekap_opd", "Kelengkapan dan kualitas data per OPD", opd, names, None, 5,
                           totals=totals, total_label="Jumlah")
        table.notes.append("Kelengkapan program = program terisi / program dalam katalog x 100. Baris valid = baris "
                           "diterima / baris dibaca x 100. Baris dikarantina adalah catatan yang ditolak (bukan "
                           "penerima) dan dikembalikan ke OPD untuk diperbaiki.")
        table.sheet = "Rekap OPD"
        tables[table.key] = table
    if eopd is not None:
        names = [c for c in eopd.columns if c != "opd"]
        table = make_table("evaluasi_opd", f"Kinerja OPD pengelola bantuan KMC, tahun berjalan s.d. "
                           f"{summary['periode_teks']}", eopd, ["opd", *names], None, 5)
        table.notes.append("Rata-rata capaian penerima = rata-rata capaian penerima program-program OPD; predikat "
                           "memakai rentang yang sama dengan indikator RPJMD. Angka tingkat kota, diterbitkan lengkap.")
        table.sheet = "Evaluasi OPD"
        tables[table.key] = table
    return tables


def _program_columns(df: pd.DataFrame, first: list[str]) -> list[str]:
    """The program columns to show: the usual ones in order, then any column a stage added."""
    known = ["kode_bantuan", "nama_bantuan", "opd", "kategori", "penerima_unik", "target_penerima",
             "capaian_penerima_persen", "predikat_penerima", "nilai_total", "anggaran", "serapan_anggaran_persen",
             "target_serapan_persen", "capaian_serapan_persen", "predikat_serapan"]
    order = [c for c in first if c in df.columns] + [c for c in known if c in df.columns and c not in first]
    return order + [c for c in df.columns if c not in order]


def _program_tables(t: dict, summary: dict) -> dict[str, Table]:
    """Per-program tables (month: rekap_program; year to date: evaluasi_program): city level, in full."""
    tables: dict[str, Table] = {}
    frames: dict[str, pd.DataFrame] = {}
    titles = {"rekap_program": f"Penerima dan nilai per jenis bantuan, {summary['periode_teks']}",
              "evaluasi_program": f"Evaluasi kinerja program bantuan, tahun berjalan s.d. {summary['periode_teks']}"}
    for key in ("rekap_program", "evaluasi_program"):
        df = t[key]
        if df is None:
            continue
        df = with_predikat(df.reset_index(drop=True), "capaian_penerima_persen", "predikat_penerima")
        frames[key] = df
        table = make_table(key, titles[key], df, _program_columns(df, []), None, 5)
        table.sheet = "Rekap Program" if key == "rekap_program" else "Evaluasi Program"
        table.notes.append(PROGRAM_NOTE)
        tables[key] = table
    key = "evaluasi_program" if "evaluasi_program" in frames else "rekap_program"
    if key in frames:
        df = frames[key]
        short = [c for c in _program_columns(df, []) if c not in ("opd", "target_serapan_persen",
                                                                     "capaian_serapan_persen")]
        order = df.sort_values(["opd", "kode_bantuan"], kind="stable").index if "opd" in df else df.index
        html_table = make_table("program_html", titles[key], df.loc[order], short, None, 5,
                                group_by="opd" if "opd" in df else None)
        html_table.wide = True
        html_table.notes.append(PROGRAM_NOTE)
        if key == "evaluasi_program":
            html_table.notes.append("Penerima dan nilai dihitung sejak Januari (tahun berjalan). Program yang dibayar "
                                    "per bulan, triwulan atau semester dinilai dari penerima pada periode bayar "
                                    "terakhir; program sekali setahun dibandingkan dengan target yang diprorata. "
                                    "Program OPD yang belum mengirim data ditandai –.")
        tables["program_html"] = html_table
    return tables


def _overlap_tables(t: dict, penyamaran: Penyamaran) -> dict[str, Table]:
    """Beneficiaries by number of kinds of bantuan received, and the most common combinations."""
    tables: dict[str, Table] = {}
    exact = t["rekap_tumpang_tindih"] if t["rekap_tumpang_tindih"] is not None and "penerima" in t[
        "rekap_tumpang_tindih"] else None
    # as stage 2 decided what to hide: small top rows joined
    tt = top_coded_overlap(exact, penyamaran.min_cell) if exact is not None else None
    if tt is not None:
        total = column_total(tt, "penerima")
        names = ["jumlah_bantuan", "penerima", "persen_penerima", "nilai_total", "nilai_rata_rata_per_penerima"]
        mask, units = _masked(tt, "rekap_tumpang_tindih", penyamaran)
        table = make_table("rekap_tumpang_tindih", "Penerima menurut jumlah jenis bantuan yang diterima", tt, names,
                           mask, penyamaran.min_cell, units=units,
                           totals={"penerima": total, "persen_penerima": 100.0 if total else None,
                                   "nilai_total": column_total(tt, "nilai_total") if "nilai_total" in tt else None},
                           total_label="Jumlah")
        table.sheet = "Tumpang Tindih"
        joined = tt["jumlah_bantuan"].astype(str).str.endswith(OR_MORE)
        if joined.any():
            table.notes.append(f"Baris \"{tt.loc[joined, 'jumlah_bantuan'].iloc[0]}\" menggabungkan jumlah jenis "
                               f"bantuan yang penerimanya sedikit, agar jumlah kecil tidak dapat dihitung dari total "
                               f"kota.")
        tables[table.key] = table
    kp = t["kombinasi_program"]
    if kp is not None and "penerima" in kp:
        kp = kp.sort_values("penerima", ascending=False, kind="stable").head(15)
        withheld = combinations_withheld(exact, penyamaran.min_cell)
        kp = published_combinations(kp, penyamaran.min_cell, exact)  # as stage 2 decided what to hide
        mask, units = _masked(kp, "kombinasi_program", penyamaran)
        catalogue = t["rekap_program"] if t["rekap_program"] is not None else t["evaluasi_program"]
        if catalogue is not None and "kombinasi" in kp:
            names = dict(zip(catalogue["kode_bantuan"].astype(str), catalogue["nama_bantuan"].astype(str)))
            kp["kombinasi"] = [" + ".join(names.get(code.strip(), code.strip()) for code in str(combo).split("+"))
                               for combo in kp["kombinasi"]]
        table = make_table("kombinasi_program", "Kombinasi jenis bantuan yang paling sering diterima bersamaan", kp,
                           ["kombinasi", "jumlah_bantuan", "penerima"], mask, penyamaran.min_cell, units=units)
        table.sheet = "Kombinasi Program"
        table.withheld = withheld
        note = combinations_note(exact, penyamaran.min_cell)
        if note:
            table.notes.append(note)
        tables[table.key] = table
    return tables


def _rpjmd_tables(data: ProcessedData, summary: dict, reference: Any) -> dict[str, Table]:
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
        names += [c for c in rp_year.columns if c not in names]  # columns a stage added (in-year rule)
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
                           f"(s.d. {summary['periode_teks']})", rp_year, names, None, 5, notes=notes_table)
        table.wide = True
        tables[table.key] = table
        full = make_table("evaluasi_rpjmd_xlsx", "Evaluasi indikator RPJMD 2021-2026", rp,
                          names[:9] + [c for c in rp.columns if c not in names[:9]], None, 5, notes=[formula])
        full.sheet = "Evaluasi RPJMD"
        tables[full.key] = full
    tren = t["tren_rpjmd"]
    if tren is not None:
        status_col = next((c for c in tren.columns if c.startswith("status")), None)
        table = make_table("tren_rpjmd_xlsx", "Seri tahunan indikator RPJMD dan proyeksinya", tren,
                           list(tren.columns), None, 5)
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
            table = make_table("tren_rpjmd", f"Proyeksi indikator RPJMD terhadap target {final}", first, keep, None, 5)
            table.notes.append(f"Status \"sesuai jalur\" bila proyeksi tren realisasi mencapai target {final} "
                               "(indikator negatif: tidak melebihi target); \"data kurang\" bila realisasi kurang dari "
                               "dua tahun atau target tidak ada.")
            tables[table.key] = table
    return tables


def _trend_table(t: dict) -> dict[str, Table]:
    """The monthly city-level trend (the tren_bulanan table): city level, in full."""
    df = t["tren_bulanan"]
    if df is None:
        return {}
    df = df.copy()
    if "bulan" in df and df["bulan"].astype(str).str.match(PERIOD_PATTERN).all():
        df["bulan"] = [Period.parse(month).in_words() for month in df["bulan"].astype(str)]
    table = make_table("tren_bulanan", "Tren bulanan penyaluran KMC tahun berjalan", df, list(df.columns), None, 5)
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


def build_tables(data: ProcessedData, penyamaran: Penyamaran, reference: Any = None,
                 summary: dict | None = None) -> dict[str, Table]:
    """Build every report table, below city level hidden by ``penyamaran``, keyed by table name.

    ``summary`` is the period's headline figures (``headline_figures``), read when not given.
    """
    t = data.tables
    summary = summary or headline_figures(data)
    tables: dict[str, Table] = {}
    tables.update(_area_tables(t, summary, penyamaran))
    tables.update(_opd_tables(t, summary))
    tables.update(_program_tables(t, summary))
    tables.update(_overlap_tables(t, penyamaran))
    tables.update(_rpjmd_tables(data, summary, reference))
    tables.update(_trend_table(t))
    tables.update(quality_tables(data))
    legend = _legend(penyamaran.min_cell)
    for table in tables.values():
        if table.has_hidden and legend not in table.notes:
            table.notes.append(legend)
    return tables
