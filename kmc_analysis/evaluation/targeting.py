"""Targeting against DTKS (``ketepatan_sasaran.csv``): do KMC benefits for the poor reach DTKS persons?

CONTRACT 2.4 and 3. Inputs are the period's accepted rows (``penerima.parquet`` of the
report month: id_penerima, kode_bantuan, kode_kecamatan) and the DTKS persons read again
from ``RAW/dtks/`` with the same key (:func:`kmc_analysis.clean.dtks.read_dtks`), so a
recipient and a DTKS person match by pseudonym and no NIK is ever compared or kept.

Only programs with ``sasaran_miskin = ya`` count. Rows of :func:`targeting_table`:

- ``kota`` (the city), one ``kecamatan`` row per kecamatan of wilayah.csv (zeros included)
  and one ``program`` row per poor-targeted catalogue program:
  penerima_unik = distinct recipients of those programs this month (in the kecamatan the
  row names; for a program, of that program); penerima_dtks = those of them who are in
  DTKS (anywhere in the extract); persen_penerima_dtks = their share (inclusion);
  dtks_unik = DTKS persons of the area (for a program: of the city); dtks_menerima = those
  of them receiving such a program (for a program: that program) anywhere in the city;
  persen_dtks_terjangkau = their share (coverage). A DTKS person whose place matched no
  kecamatan counts in the city only.
- ``kota_rumah_tangga``: the same coverage by household. penerima.parquet carries no
  No KK, so households are counted on the DTKS side only: dtks_unik = DTKS households
  (distinct NOMOR KK), dtks_menerima = those with at least one member receiving a
  poor-targeted program this month; the three penerima columns stay empty. Written only
  when the extract has KK numbers.

Percentages have two decimals and are empty when their base is zero. Publication follows
CONTRACT 3: city and program rows in full; kecamatan person counts 1..min_cell-1 are shown
as ``<min_cell`` with secondary suppression (:func:`kecamatan_mask`), including the
unpublished differences (recipients not in DTKS, DTKS persons not reached), which could
otherwise be worked out from two published cells. :func:`targeting_summary` gives the
report's chapter as tables and sentences; the DTKS coverage map is drawn by
:mod:`kmc_analysis.evaluation.targeting_map`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmc_analysis.clean.dtks import poor_targeted_codes
from kmc_analysis.clean.review import TANDA, TANDA_LABEL
from kmc_analysis.core.disclosure import SHOWN, apply_mask
from kmc_analysis.core.formatting import format_number, format_percent
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import KETEPATAN_SASARAN
from kmc_analysis.core.table_suppression import suppression_mask
from kmc_analysis.evaluation.capaian import round_half_up

KOTA, KECAMATAN, PROGRAM, KOTA_RUMAH_TANGGA = "kota", "kecamatan", "program", "kota_rumah_tangga"
#: Values of ``tingkat``, in the order rows are written.
TINGKAT = (KOTA, KOTA_RUMAH_TANGGA, KECAMATAN, PROGRAM)
CITY_NAME = "Kota Metro"
PERSON_COUNTS = ["penerima_unik", "penerima_dtks", "dtks_unik", "dtks_menerima"]
#: Column labels of the published tables.
LABELS = {
    "tingkat": "Tingkat", "kode": "Kode", "nama": "Wilayah / program", "penerima_unik": "Penerima program miskin",
    "penerima_dtks": "Penerima terdaftar di DTKS", "persen_penerima_dtks": "% penerima di DTKS",
    "dtks_unik": "Orang DTKS", "dtks_menerima": "Orang DTKS yang menerima", "persen_dtks_terjangkau": "% DTKS terjangkau",
}


def _share(part, whole) -> np.ndarray:
    part, whole = np.asarray(part, dtype="float64"), np.asarray(whole, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(whole > 0, part * 100 / whole, np.nan)
    return round_half_up(value).to_numpy()


def targeting_table(penerima: pd.DataFrame, dtks_persons: pd.DataFrame, catalogue: pd.DataFrame,
                    wilayah: pd.DataFrame, city_name: str = CITY_NAME) -> pd.DataFrame:
    """ketepatan_sasaran.csv for one month (columns of CONTRACT 3, rows as the module says).

    ``penerima``: the period's accepted rows with id_penerima, kode_bantuan, kode_kecamatan;
    ``dtks_persons``: ``DtksExtract.persons`` (id_penerima, id_kk, kode_kecamatan).
    """
    poor = poor_targeted_codes(catalogue)
    rows = penerima.loc[penerima["kode_bantuan"].isin(poor), ["id_penerima", "kode_bantuan", "kode_kecamatan"]]
    dtks = dtks_persons.drop_duplicates("id_penerima")
    in_dtks = rows["id_penerima"].isin(dtks["id_penerima"])
    reached = dtks["id_penerima"].isin(rows["id_penerima"])
    city_codes = wilayah["kode_kecamatan"].astype("str").str.rsplit(".", n=1).str[0].unique()
    out = [{"tingkat": KOTA, "kode": city_codes[0] if len(city_codes) == 1 else "", "nama": city_name,
            "penerima_unik": rows["id_penerima"].nunique(), "penerima_dtks": rows.loc[in_dtks, "id_penerima"].nunique(),
            "dtks_unik": len(dtks), "dtks_menerima": int(reached.sum())}]
    households = dtks.loc[dtks["id_kk"] != ""]
    if len(households):
        reached_households = households.loc[households["id_penerima"].isin(rows["id_penerima"]), "id_kk"]
        out.append({"tingkat": KOTA_RUMAH_TANGGA, "kode": out[0]["kode"], "nama": f"{city_name} (rumah tangga)",
                    "penerima_unik": pd.NA, "penerima_dtks": pd.NA, "dtks_unik": households["id_kk"].nunique(),
                    "dtks_menerima": reached_households.nunique()})
    kecamatan = wilayah[["kode_kecamatan", "kecamatan"]].drop_duplicates("kode_kecamatan").sort_values("kode_kecamatan")
    paid_in = rows.drop_duplicates(["id_penerima", "kode_kecamatan"])
    by_kec = pd.DataFrame({
        "penerima_unik": paid_in.groupby("kode_kecamatan").size(),
        "penerima_dtks": paid_in.loc[paid_in["id_penerima"].isin(dtks["id_penerima"])].groupby("kode_kecamatan").size(),
        "dtks_unik": dtks.groupby("kode_kecamatan").size(),
        "dtks_menerima": dtks.loc[reached].groupby("kode_kecamatan").size(),
    }).reindex(kecamatan["kode_kecamatan"]).fillna(0).astype("int64")
    out += [{"tingkat": KECAMATAN, "kode": code, "nama": name, **by_kec.loc[code].to_dict()}
            for code, name in zip(kecamatan["kode_kecamatan"], kecamatan["kecamatan"])]
    programs = catalogue.loc[catalogue["kode_bantuan"].isin(poor), ["kode_bantuan", "nama_bantuan"]]
    per_program = rows.drop_duplicates(["id_penerima", "kode_bantuan"]).assign(_dtks=lambda f: f["id_penerima"].isin(
        dtks["id_penerima"])).groupby("kode_bantuan")["_dtks"].agg(["size", "sum"])
    for code, name in zip(programs["kode_bantuan"], programs["nama_bantuan"]):
        size, in_both = (per_program.loc[code].tolist() if code in per_program.index else (0, 0))
        out.append({"tingkat": PROGRAM, "kode": code, "nama": name, "penerima_unik": size, "penerima_dtks": in_both,
                    "dtks_unik": len(dtks), "dtks_menerima": in_both})
    table = pd.DataFrame(out)
    for column in PERSON_COUNTS:
        table[column] = pd.array(table[column].tolist(), dtype="Int64")
    table["persen_penerima_dtks"] = _share(table["penerima_dtks"].astype("Float64").fillna(np.nan),
                                           table["penerima_unik"].astype("Float64").fillna(np.nan))
    table["persen_dtks_terjangkau"] = _share(table["dtks_menerima"].astype("Float64").fillna(np.nan),
                                             table["dtks_unik"].astype("Float64").fillna(np.nan))
    return table[KETEPATAN_SASARAN.column_names].astype({"tingkat": "str", "kode": "str", "nama": "str"})


# --- publication ------------------------------------------------------------------------------


def kecamatan_mask(kecamatan_rows: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Why each published cell of the kecamatan rows is hidden ("" shown; core.disclosure codes).

    The differences penerima_unik - penerima_dtks and dtks_unik - dtks_menerima are counts
    of persons too: they take part in the suppression (as row relations) though they are
    not printed, so no small count can be recovered by subtracting two printed cells.
    """
    frame = kecamatan_rows.reset_index(drop=True).copy()
    frame["_penerima_bukan_dtks"] = frame["penerima_unik"].astype("Float64") - frame["penerima_dtks"].astype("Float64")
    frame["_dtks_belum_menerima"] = frame["dtks_unik"].astype("Float64") - frame["dtks_menerima"].astype("Float64")
    mask = suppression_mask(
        frame, [*PERSON_COUNTS, "_penerima_bukan_dtks", "_dtks_belum_menerima"], min_cell,
        derived={"persen_penerima_dtks": ["penerima_dtks", "penerima_unik"],
                 "persen_dtks_terjangkau": ["dtks_menerima", "dtks_unik"]},
        row_totals={"penerima_unik": ["penerima_dtks", "_penerima_bukan_dtks"],
                    "dtks_unik": ["dtks_menerima", "_dtks_belum_menerima"]})
    return mask.drop(columns=["_penerima_bukan_dtks", "_dtks_belum_menerima"]).set_axis(kecamatan_rows.index)


def _published(rows: pd.DataFrame, mask: pd.DataFrame | None, min_cell: int) -> pd.DataFrame:
    """Rows as display text (Indonesian numbers, percentages with %), hidden cells replaced, labelled columns."""
    shown = rows.drop(columns=["tingkat"]).reset_index(drop=True)
    formatters = {c: (lambda v: format_number(v)) for c in PERSON_COUNTS}
    formatters.update({c: (lambda v: "" if pd.isna(v) else str(v)) for c in ("kode", "nama")})
    formatters.update({c: format_percent for c in ("persen_penerima_dtks", "persen_dtks_terjangkau")})
    empty = pd.DataFrame(SHOWN, index=shown.index, columns=[])
    text = apply_mask(shown, empty if mask is None else mask.reset_index(drop=True), min_cell, formatters)
    return text.rename(columns=LABELS)


def targeting_summary(ketepatan: pd.DataFrame | None, tinjauan_counts: pd.DataFrame | None, period: Period,
                      min_cell: int = 5, dtks: dict | None = None) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The report's "Ketepatan Sasaran" chapter: tables to print and sentences, in Bahasa Indonesia.

    ``ketepatan``: ketepatan_sasaran.csv (None when RAW/dtks/ was absent: the sentences say
    targeting was not assessed); ``tinjauan_counts``: ``clean.review.review_counts`` of
    tinjauan.csv (None or empty: no review flags); ``dtks``: the DTKS read summary
    (``DtksExtract.summary()``, store's ringkasan_dtks.json). Tables (display text, column
    labels in Indonesian): ``kota`` and ``program`` in full, ``kecamatan`` suppressed,
    ``tinjauan_opd`` (flagged rows per OPD, in full). No row-level data.
    """
    tables: dict[str, pd.DataFrame] = {}
    sentences: list[str] = []
    if ketepatan is None:
        sentences.append(f"Ketepatan sasaran {period.in_words()} tidak dinilai: tidak ada ekstrak DTKS (folder "
                         f"dtks/ di folder data mentah). Letakkan ekspor DTKS dari SIKS-NG di sana untuk menilainya.")
    else:
        tables, sentences = _targeting_chapter(ketepatan, period, min_cell, dtks)
    if tinjauan_counts is not None and len(tinjauan_counts):
        counts = tinjauan_counts.sort_values(["baris_ditinjau", "opd"], ascending=[False, True])
        tables["tinjauan_opd"] = counts.rename(columns={"opd": "OPD", "baris_ditinjau": "Baris ditinjau",
                                                        **TANDA_LABEL}).reset_index(drop=True)
        kinds = ", ".join(f"{format_number(counts[code].sum())} {TANDA_LABEL[code].lower()}" for code in TANDA
                          if counts[code].sum())
        sentences.append(f"{format_number(counts['baris_ditinjau'].sum())} baris penerima ditandai untuk ditinjau "
                         f"ulang oleh OPD ({kinds}); tanda ini bukan kesalahan dan tidak mengeluarkan baris dari "
                         f"data. Terbanyak pada {counts['opd'].iloc[0]} "
                         f"({format_number(counts['baris_ditinjau'].iloc[0])} baris).")
    elif tinjauan_counts is not None:
        sentences.append("Tidak ada baris penerima yang perlu ditinjau ulang (usia, nominal, banyak program).")
    return tables, sentences


def _targeting_chapter(ketepatan: pd.DataFrame, period: Period, min_cell: int,
                       dtks: dict | None) -> tuple[dict[str, pd.DataFrame], list[str]]:
    by = {level: ketepatan.loc[ketepatan["tingkat"] == level] for level in TINGKAT}
    kecamatan = by[KECAMATAN].reset_index(drop=True)
    mask = kecamatan_mask(kecamatan, min_cell)
    tables = {"kota": _published(pd.concat([by[KOTA], by[KOTA_RUMAH_TANGGA]]), None, min_cell),
              "kecamatan": _published(kecamatan, mask, min_cell),
              "program": _published(by[PROGRAM], None, min_cell)}
    sentences = []
    if dtks:
        sentences.append(f"Ekstrak DTKS: {format_number(dtks['baris_dibaca'])} baris dibaca dari "
                         f"{len(dtks['berkas'])} berkas; {format_number(dtks['baris_nik_valid'])} baris dengan NIK "
                         f"yang dapat dipakai, {format_number(dtks['orang_unik'])} orang.")
    city = by[KOTA].iloc[0]
    if by[PROGRAM].empty:
        sentences.append("Katalog program_bantuan.csv tidak menandai satu program pun dengan sasaran_miskin = ya, "
                         "sehingga tidak ada penerima yang dibandingkan dengan DTKS: isi kolom sasaran_miskin (ya atau "
                         "tidak) pada katalog.")
    sentences.append(f"Dari {format_number(city['penerima_unik'])} penerima program untuk rumah tangga miskin pada "
                     f"{period.in_words()}, {format_number(city['penerima_dtks'])} "
                     f"({format_percent(city['persen_penerima_dtks'])}) terdaftar di DTKS.")
    not_in = int(city["penerima_unik"]) - int(city["penerima_dtks"])
    if not_in:
        sentences.append(f"{format_number(not_in)} penerima tidak ditemukan di DTKS: OPD pengelola diminta "
                         f"memverifikasinya (daftar barisnya ada di berkas umpan balik masing-masing OPD).")
    text = (f"{format_number(city['dtks_menerima'])} dari {format_number(city['dtks_unik'])} orang DTKS "
            f"({format_percent(city['persen_dtks_terjangkau'])}) menerima setidaknya satu program tersebut")
    if len(by[KOTA_RUMAH_TANGGA]):
        home = by[KOTA_RUMAH_TANGGA].iloc[0]
        text += (f"; menurut rumah tangga, {format_number(home['dtks_menerima'])} dari "
                 f"{format_number(home['dtks_unik'])} ({format_percent(home['persen_dtks_terjangkau'])})")
    sentences.append(text + ".")
    visible = kecamatan.loc[(mask["persen_dtks_terjangkau"] == SHOWN) & kecamatan["persen_dtks_terjangkau"].notna()]
    if len(visible) >= 2:
        high = visible.loc[visible["persen_dtks_terjangkau"].idxmax()]
        low = visible.loc[visible["persen_dtks_terjangkau"].idxmin()]
        sentences.append(f"Cakupan DTKS tertinggi di Kecamatan {high['nama']} "
                         f"({format_percent(high['persen_dtks_terjangkau'])}) dan terendah di Kecamatan "
                         f"{low['nama']} ({format_percent(low['persen_dtks_terjangkau'])}).")
    programs = by[PROGRAM].loc[by[PROGRAM]["persen_penerima_dtks"].notna()]
    if len(programs):
        worst = programs.sort_values(["persen_penerima_dtks", "kode"]).iloc[0]
        sentences.append(f"Porsi penerima yang terdaftar di DTKS paling rendah pada {worst['nama']} "
                         f"({format_percent(worst['persen_penerima_dtks'])} dari "
                         f"{format_number(worst['penerima_unik'])} penerima).")
    if (mask != SHOWN).any().any():
        small = "1" if min_cell == 2 else f"1–{min_cell - 1}"
        sentences.append(f"Pada tabel kecamatan, jumlah orang {small} ditulis <{min_cell} dan angka yang dapat "
                         f"membukanya ditulis *.")
    return tables, sentences
