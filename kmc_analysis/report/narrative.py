"""The report's headline figures and its narrative: key findings, recommendations, changes.

:func:`headline_figures` gives the city-level aggregates (also the published summary, safe to
publish); :func:`findings` and :func:`recommendations` turn them into short Bahasa
Indonesia sentences for the executive summary.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from markupsafe import Markup

from kmc_analysis.clean.reasons import REASON_LABEL
from kmc_analysis.core.formatting import format_number, format_percent, format_rupiah, format_rupiah_words, is_missing
from kmc_analysis.core.store import PENERIMA
from kmc_analysis.evaluation.in_year import behind_plan, programs_behind_plan, provisional
from kmc_analysis.report.inputs import ProcessedData, column_total, rpjmd_current
from kmc_analysis.report.table_model import Table


def headline_figures(data: ProcessedData) -> dict[str, Any]:
    """Return the city-level headline aggregates (safe to publish; also the report summary file).

    Persons, payments, value, population and coverage per 1,000 are stage 2's city summary,
    taken as written; rows, OPDs and programs come from the manifest and rekap_opd.
    """
    t = data.tables
    counts = data.manifest.get("counts", {})
    opd, prog, kota = t["rekap_opd"], t["rekap_program"], data.kota
    read = int(counts.get("rows_read", column_total(opd, "baris_dibaca")))
    accepted = int(counts.get("rows_accepted", column_total(opd, "baris_diterima")))
    quarantined = int(counts.get("rows_quarantined", column_total(opd, "baris_karantina")))
    if opd is not None and len(opd):
        catalogue = opd[pd.to_numeric(opd.get("program_katalog", 0), errors="coerce").fillna(0) > 0]
        submitted = catalogue[pd.to_numeric(catalogue.get("baris_dibaca", 0), errors="coerce").fillna(0) > 0]
        opd_katalog, opd_mengirim = len(catalogue), len(submitted)
        belum = sorted(catalogue.loc[~catalogue.index.isin(submitted.index), "opd"].astype(str))
    else:
        opd_katalog, opd_mengirim, belum = 0, 0, []
    katalog = column_total(opd, "program_katalog")
    rp = rpjmd_current(data)
    predikat = Counter()
    if rp is not None:
        predikat = Counter(p if p else "Belum dapat dinilai" for p in rp["predikat"].astype(str).replace("<NA>", ""))
    return {
        "period": str(data.period),
        "periode_teks": data.period.in_words(),
        "penerima_unik": kota["penerima_unik"],
        "penerima_unik_sumber": PENERIMA.name,
        "jumlah_penyaluran": kota["jumlah_penyaluran"],
        "nilai_total": kota["nilai_total"],
        "penduduk": kota["penduduk"],
        "penerima_per_1000": kota["penerima_per_1000"],
        "baris_dibaca": read,
        "baris_diterima": accepted,
        "baris_karantina": quarantined,
        "persen_baris_valid": round(accepted / read * 100, 4) if read else None,
        "opd_katalog": opd_katalog,
        "opd_mengirim": opd_mengirim,
        "opd_belum_mengirim": belum,
        "kelengkapan_opd_persen": round(opd_mengirim / opd_katalog * 100, 4) if opd_katalog else None,
        "kelengkapan_program_persen": round(column_total(opd, "program_terisi") / katalog * 100, 4) if katalog else None,
        "program_katalog": int(len(prog)) if prog is not None else 0,
        "program_tersalur": kota["program_aktif"],
        "berkas_masuk": len(data.manifest.get("inputs", [])),
        "berkas_ditolak": len(data.manifest.get("rejected_files", [])),
        "sheet_dilewati": len(data.manifest.get("skipped_sheets", [])),
        "predikat_rpjmd": dict(sorted(predikat.items())),
    }


def _change_phrase(now: float, before: float, unit: str = "", money: bool = False) -> Markup:
    """Describe a change in words: ``naik 312 orang (3,27%)``."""
    diff = now - before
    if diff == 0:
        return Markup("tetap")
    word = "naik" if diff > 0 else "turun"
    amount = format_rupiah(abs(diff)) if money else f"{format_number(abs(diff))}{unit}"
    pct = f" ({format_percent(abs(diff) / before * 100)})" if before else ""
    return Markup("{} <strong>{}</strong>{}").format(word, amount, pct)


def findings(summary: dict, tables: dict[str, Table], data: ProcessedData, previous: dict | None) -> list[Markup]:
    """Write the executive summary's key findings as short Indonesian sentences."""
    out: list[Markup] = []
    s = summary
    rate = "" if s["penerima_per_1000"] is None else Markup(", atau <strong>{}</strong> penerima per 1.000 penduduk").format(
        format_number(s["penerima_per_1000"], 2))
    out.append(Markup("Pada {}, KMC menyalurkan <strong>{}</strong> bantuan senilai <strong>{}</strong> kepada "
                      "<strong>{}</strong> penerima unik{}.").format(
        s["periode_teks"], format_number(s["jumlah_penyaluran"]), format_rupiah(s["nilai_total"]),
        format_number(s["penerima_unik"]), rate))
    prev_text = data.period.previous().in_words()
    if previous:
        out.append(Markup("Dibanding {}, penerima unik {}, jumlah penyaluran {} dan nilai bantuan {}.").format(
            prev_text, _change_phrase(s["penerima_unik"], previous.get("penerima_unik", 0), " orang"),
            _change_phrase(s["jumlah_penyaluran"], previous.get("jumlah_penyaluran", 0)),
            _change_phrase(s["nilai_total"], previous.get("nilai_total", 0), money=True)))
    elif data.tables["perubahan_kecamatan"] is not None:
        per = data.tables["perubahan_kecamatan"]
        before, now = column_total(per, "penerima_unik_bulan_lalu"), column_total(per, "penerima_unik")
        out.append(Markup("Dibanding {}, jumlah penerima unik seluruh kecamatan {}.").format(
            prev_text, _change_phrase(now, before, " orang")))
    else:
        out.append(Markup("Perbandingan dengan {} tidak tersedia (belum ada laporan bulan tersebut).").format(prev_text))
    kec = data.tables["rekap_kecamatan"]
    table = tables.get("rekap_kecamatan")
    if kec is not None and table is not None and "penerima_per_1000" in kec:
        idx = [c.name for c in table.columns].index("penerima_per_1000")
        visible = [(kec["kecamatan"].iloc[i], kec["penerima_per_1000"].iloc[i])
                   for i, row in enumerate(table.rows[:-1]) if not row.cells[idx].hidden
                   and not is_missing(kec["penerima_per_1000"].iloc[i])]
        if len(visible) >= 2:
            hi, lo = max(visible, key=lambda x: x[1]), min(visible, key=lambda x: x[1])
            out.append(Markup("Cakupan tertinggi di Kecamatan <strong>{}</strong> ({} per 1.000 penduduk) dan terendah "
                              "di Kecamatan <strong>{}</strong> ({} per 1.000 penduduk).").format(
                hi[0], format_number(hi[1], 2), lo[0], format_number(lo[1], 2)))
    if s["opd_katalog"]:
        text = Markup("<strong>{} dari {}</strong> OPD pengelola bantuan ({}) telah mengirim data").format(
            s["opd_mengirim"], s["opd_katalog"], format_percent(s["kelengkapan_opd_persen"]))
        if s["opd_belum_mengirim"]:
            names = s["opd_belum_mengirim"]
            more = f" dan {len(names) - 6} OPD lain" if len(names) > 6 else ""
            text += Markup("; belum mengirim: {}{}.").format(", ".join(names[:6]), more)
        else:
            text += Markup(".")
        out.append(text)
    if s["baris_dibaca"]:
        counts = data.manifest.get("counts", {}).get("quarantine_by_reason") or {}
        top = max(sorted(counts.items()), key=lambda kv: kv[1]) if counts else None
        text = Markup("<strong>{}</strong> dari {} baris data valid; {} baris dikarantina").format(
            format_percent(s["persen_baris_valid"]), format_number(s["baris_dibaca"]),
            format_number(s["baris_karantina"]))
        if top and top[1] and s["baris_karantina"]:
            text += Markup(" (alasan terbanyak: {}, {} baris)").format(
                REASON_LABEL.get(top[0], "alasan lain").lower(), format_number(top[1]))
        skipped = s.get("baris_dilewati") or 0
        if skipped:
            text += Markup(". {} baris bukan data (baris jumlah, nomor kolom, catatan) dilewati dan tidak "
                           "dihitung").format(format_number(skipped))
        out.append(text + Markup("."))
    if s["predikat_rpjmd"]:
        p = s["predikat_rpjmd"]
        total = sum(p.values())
        good = p.get("Sangat Tinggi", 0) + p.get("Tinggi", 0)
        low = p.get("Rendah", 0) + p.get("Sangat Rendah", 0)
        text = Markup("Dari <strong>{}</strong> indikator RPJMD yang dievaluasi, {} berpredikat Tinggi atau Sangat "
                      "Tinggi, {} Sedang, {} Rendah atau Sangat Rendah").format(total, good, p.get("Sedang", 0), low)
        if p.get("Belum dapat dinilai"):
            text += Markup(", dan {} belum dapat dinilai karena target atau realisasi belum tersedia").format(
                p["Belum dapat dinilai"])
        rp = rpjmd_current(data)
        if low and rp is not None:
            behind = behind_plan(rp)["indikator"].astype(str).tolist()
            waiting = provisional(rp)
            if behind:
                text += Markup(". Tertinggal dari rencana: {}").format("; ".join(behind[:5]))
            if len(waiting):
                text += Markup(". {} indikator di bawah target masih bersifat sementara karena tahun belum "
                               "berakhir").format(len(waiting))
        out.append(text + Markup("."))
    program = data.tables.get("evaluasi_program")
    if program is not None and "predikat_penerima" in program:
        behind, waiting = programs_behind_plan(program), provisional(program, "predikat_penerima")
        text = Markup("<strong>{}</strong> jenis bantuan tertinggal dari rencana penyalurannya").format(len(behind))
        if len(behind):
            text += Markup(" ({})").format(", ".join(behind["nama_bantuan"].astype(str).head(5))
                                           + (f" dan {len(behind) - 5} lainnya" if len(behind) > 5 else ""))
        if len(waiting):
            text += Markup("; {} lainnya masih di bawah target periode bayarnya yang belum selesai (penilaian "
                           "sementara)").format(len(waiting))
        out.append(text + Markup("."))
    if s["program_katalog"]:
        out.append(Markup("<strong>{} dari {}</strong> jenis bantuan dalam katalog telah tersalur pada periode "
                          "ini.").format(s["program_tersalur"], s["program_katalog"]))
    return out


def recommendations(summary: dict, data: ProcessedData) -> list[str]:
    """Suggest follow-up actions from the period's figures (plain Indonesian sentences)."""
    s = summary
    out = []
    if s["opd_belum_mengirim"]:
        out.append(f"Dinas Kominfo menagih daftar penerima {data.period.in_words()} dari "
                   f"{len(s['opd_belum_mengirim'])} OPD yang belum mengirim data.")
    if s["baris_karantina"]:
        out.append(f"OPD pengirim memperbaiki {format_number(s['baris_karantina'])} baris yang dikarantina memakai "
                   "berkas umpan balik masing-masing, lalu mengirim ulang sebelum periode berikutnya diolah.")
    rp = rpjmd_current(data)
    if rp is not None:
        low = behind_plan(rp)
        if len(low):
            out.append(f"Bappeda menelaah penyebab capaian rendah pada {len(low)} indikator RPJMD bersama OPD "
                       "pengampu dan menyesuaikan rencana kerja tahun berjalan.")
        empty = int((rp["predikat"].astype(str).str.strip() == "").sum())
        if empty:
            out.append(f"Melengkapi target atau realisasi untuk {empty} indikator RPJMD yang belum dapat dinilai.")
    program = data.tables.get("evaluasi_program")
    if program is not None and "predikat_penerima" in program:
        behind = programs_behind_plan(program)
        if len(behind):
            opds = sorted(behind["opd"].astype(str).unique()) if "opd" in behind else []
            out.append(f"OPD pengelola {len(behind)} jenis bantuan yang tertinggal dari rencana penyalurannya "
                       f"({', '.join(opds[:4])}{' dan lainnya' if len(opds) > 4 else ''}) menjelaskan penyebabnya "
                       "kepada Bappeda dan menyusun jadwal penyaluran sisa tahun ini.")
    if s["program_katalog"] and s["program_tersalur"] < s["program_katalog"]:
        out.append(f"Memastikan {s['program_katalog'] - s['program_tersalur']} jenis bantuan yang belum ada "
                   "penyalurannya memang belum dijadwalkan, bukan belum dilaporkan.")
    return out


def headline_changes(summary: dict, previous: dict | None) -> dict[str, dict[str, str]]:
    """Month-on-month change of the headline cards: text and direction (naik/turun)."""
    out = {}
    if not previous:
        return out
    for key, money in (("penerima_unik", False), ("jumlah_penyaluran", False), ("nilai_total", True)):
        before, now = previous.get(key), summary.get(key)
        if before is None or now is None:
            continue
        diff = now - before
        sign = "+" if diff > 0 else "−" if diff < 0 else "±"
        amount = format_rupiah_words(abs(diff)) if money else format_number(abs(diff))
        pct = f" ({format_percent(abs(diff) / before * 100, 1)})" if before else ""
        out[key] = {"teks": f"{sign}{amount}{pct}", "arah": "naik" if diff > 0 else "turun" if diff < 0 else ""}
    return out
