"""What stage 2 shows and publishes: the suppression rules of its tables, styled tables and sentences.

Nothing here computes coverage: the tables come from :mod:`kmc_analysis.coverage.rekap` and
are masked by :data:`PUBLICATION` (the maps hide exactly the rates the report's tables
hide), styled for the notebook or summarised in Bahasa Indonesia for a planner.
"""

from __future__ import annotations

import pandas as pd

from kmc_analysis.core.disclosure import SHOWN, apply_mask, suppression_mask
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.coverage.rekap import Coverage

#: How each published table is suppressed (disclosure.suppression_mask arguments). The
#: report (report.tables) and the maps use these rules, so both hide exactly the same cells.
PUBLICATION: dict[str, dict] = {
    "kecamatan": {"count_columns": ["penerima_unik", "jumlah_penyaluran"],
                  "derived": {"penerima_per_1000": "penerima_unik",
                              "nilai_total": ["penerima_unik", "jumlah_penyaluran"],
                              "program_aktif": "penerima_unik"}},
    "kelurahan": {"count_columns": ["penerima_unik", "jumlah_penyaluran"], "group_by": "kode_kecamatan",
                  "derived": {"penerima_per_1000": "penerima_unik",
                              "nilai_total": ["penerima_unik", "jumlah_penyaluran"],
                              "program_aktif": "penerima_unik"}},
    "kategori": {"count_columns": ["penerima_unik"], "group_by": ["kategori", ("kategori", "kode_kecamatan")],
                 "derived": {"penerima_per_1000": "penerima_unik", "nilai_total": "penerima_unik"},
                 "table_total": False},
    "program": {"count_columns": ["penerima_unik"], "group_by": "opd",
                "derived": {"capaian_penerima_persen": "penerima_unik", "nilai_total": "penerima_unik"}},
    "tumpang_tindih": {"count_columns": ["penerima"],
                       "derived": {"persen_penerima": "penerima", "nilai_total": "penerima",
                                   "nilai_rata_rata_per_penerima": "penerima"}},
    "kombinasi": {"count_columns": ["penerima"], "table_total": False},
    "perubahan": {"count_columns": ["penerima_unik_bulan_lalu", "penerima_unik"],
                  "derived": {"selisih": ["penerima_unik_bulan_lalu", "penerima_unik"],
                              "perubahan_persen": ["penerima_unik_bulan_lalu", "penerima_unik"],
                              "nilai_total_bulan_lalu": "penerima_unik_bulan_lalu",
                              "nilai_total": "penerima_unik",
                              "selisih_nilai": ["penerima_unik_bulan_lalu", "penerima_unik"]}},
}


def suppression(frame: pd.DataFrame, kind: str, min_cell: int) -> pd.DataFrame:
    """Why each cell of a published ``kind`` of table is hidden ("" = shown), per PUBLICATION."""
    rules = dict(PUBLICATION[kind])
    rules["derived"] = {k: v for k, v in rules.get("derived", {}).items() if k in frame.columns}
    return suppression_mask(frame.reset_index(drop=True), min_cell=min_cell, **rules).set_axis(frame.index)


def hidden_rates(rekap: pd.DataFrame, kind: str, min_cell: int) -> pd.Series:
    """True where an area's penerima_per_1000 must not be published (small count or its complement)."""
    return suppression(rekap, kind, min_cell)["penerima_per_1000"].ne(SHOWN)


def publish_table(frame: pd.DataFrame, kind: str, min_cell: int) -> pd.DataFrame:
    """The table as display text: small person counts as ``<min_cell``, what gives them away as ``*``."""
    return apply_mask(frame, suppression(frame, kind, min_cell), min_cell)


def styled_table(frame: pd.DataFrame, kind: str, min_cell: int):
    """The published table as a pandas Styler for notebooks: no index, text HTML-escaped (``<5``)."""
    return publish_table(frame, kind, min_cell).style.hide(axis="index").format(escape="html")


def _shown(rekap: pd.DataFrame, kind: str, min_cell: int) -> pd.DataFrame:
    return rekap[~hidden_rates(rekap, kind, min_cell) & rekap["penerima_per_1000"].notna()]


def coverage_sentences(
    rekap_kec: pd.DataFrame,
    rekap_kel: pd.DataFrame,
    perubahan: pd.DataFrame | None,
    min_cell: int,
    period: Period,
) -> list[str]:
    """Plain Bahasa Indonesia sentences on the highest and lowest coverage and the biggest change.

    Only publishable figures are quoted: an area whose rate or change is suppressed is
    never named with its value.
    """
    sentences = []
    for kind, rekap, name in (("kecamatan", rekap_kec, "kecamatan"), ("kelurahan", rekap_kel, "kelurahan")):
        shown = _shown(rekap, kind, min_cell).sort_values(["penerima_per_1000", f"kode_{kind}"])
        hidden = int(hidden_rates(rekap, kind, min_cell).sum())
        if len(shown) >= 2:
            low, high = shown.iloc[0], shown.iloc[-1]
            sentences.append(
                f"Cakupan tertinggi per {kind}: {high[name]} ({format_number(high['penerima_per_1000'], 2)} "
                f"penerima per 1.000 penduduk); terendah: {low[name]} "
                f"({format_number(low['penerima_per_1000'], 2)})."
            )
        elif len(shown) == 1:
            row = shown.iloc[0]
            sentences.append(f"Hanya {row[name]} yang cakupannya dapat ditampilkan "
                             f"({format_number(row['penerima_per_1000'], 2)} per 1.000 penduduk).")
        else:
            sentences.append(f"Belum ada cakupan per {kind} yang dapat ditampilkan.")
        if hidden:
            sentences.append(f"{hidden} {kind} disamarkan karena jumlah penerimanya kecil (kurang dari {min_cell}) "
                             f"atau dapat dihitung ulang dari total.")
    previous = period.previous().in_words()
    if perubahan is None:
        sentences.append(f"Data olahan {previous} belum ada, sehingga perubahan dibanding bulan lalu tidak dihitung.")
        return sentences
    mask = suppression(perubahan, "perubahan", min_cell)
    shown = perubahan[mask["selisih"].eq(SHOWN)]
    if not len(shown) or not shown["selisih"].abs().max():
        sentences.append(f"Tidak ada perubahan penerima unik per kecamatan yang dapat ditampilkan "
                         f"dibanding {previous}.")
        return sentences
    biggest = shown.assign(besar=shown["selisih"].abs()).sort_values(["besar", "kode_kecamatan"],
                                                                      ascending=[False, True]).iloc[0]
    arah = "naik" if biggest["selisih"] > 0 else "turun"
    persen = biggest["perubahan_persen"]
    tambahan = f" ({arah} {format_number(abs(persen), 2)}%)" if pd.notna(persen) else ""
    sentences.append(
        f"Perubahan terbesar dibanding {previous}: Kecamatan {biggest['kecamatan']}, {arah} "
        f"{format_number(abs(biggest['selisih']))} penerima unik{tambahan}."
    )
    return sentences


def _rupiah(value) -> str:
    return "Rp" + format_number(value)


def summary_markdown(result: Coverage, min_cell: int, period: Period, population_note: str) -> str:
    """A short Bahasa Indonesia summary of the period's coverage as Markdown bullets."""
    kota = result.ringkasan
    lines = [
        f"- {period.in_words()}: **{format_number(kota['penerima_unik'])} penerima unik** menerima "
        f"{format_number(kota['jumlah_penyaluran'])} penyaluran senilai **{_rupiah(kota['nilai_total'])}** dari "
        f"{format_number(kota['program_aktif'])} jenis bantuan.",
    ]
    if kota["penerima_per_1000"] is not None:
        lines.append(f"- Cakupan kota: **{format_number(kota['penerima_per_1000'], 2)} penerima per 1.000 penduduk** "
                     f"(penduduk {format_number(kota['penduduk'])} jiwa; {population_note}).")
    if kota["nilai_rata_rata_per_penerima"] is not None:
        lines.append(f"- Nilai bantuan per penerima: rata-rata {_rupiah(kota['nilai_rata_rata_per_penerima'])}, "
                     f"median {_rupiah(kota['nilai_median_per_penerima'])}.")
    overlap = result.tumpang_tindih
    if kota["penerima_unik"]:
        several = int(overlap.loc[overlap["jumlah_bantuan"] >= 2, "penerima"].sum())
        lines.append(f"- {format_number(several * 100 / kota['penerima_unik'], 1)}% penerima menerima lebih dari satu "
                     f"jenis bantuan.")
    lines += [f"- {s}" for s in coverage_sentences(result.kecamatan, result.kelurahan, result.perubahan, min_cell,
                                                   period)]
    return "\n".join(lines)


def population_note(penduduk: pd.DataFrame, population: pd.DataFrame, source: str) -> str:
    """Say where the population figures come from and whether they are estimates (for maps and notes).

    ``penduduk`` is the reference table (with ``keterangan``), ``population`` the rows used
    (``population_by_kelurahan``: kode_kelurahan, penduduk, tahun), ``source`` the
    ReferenceData source of penduduk ("bawaan" for the bundled estimate).
    """
    years = sorted({int(y) for y in population.get("tahun", pd.Series(dtype="int64")).dropna()})
    used = penduduk
    if "tahun" in penduduk.columns and years:
        used = penduduk[penduduk["tahun"].isin(years)]
    remarks = used.get("keterangan", pd.Series(dtype="string")).astype("string").fillna("").str.lower()
    estimated = source == "bawaan" or remarks.str.contains("perkiraan|estimasi|ilustratif|proyeksi").any()
    year_text = f"tahun {', '.join(map(str, years))}" if years else "tahun tidak diketahui"
    if estimated:
        return f"angka perkiraan {year_text} dari penduduk.csv, bukan angka resmi"
    return f"penduduk.csv, {year_text}"
