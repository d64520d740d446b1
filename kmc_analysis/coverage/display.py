"""What stage 2 publishes and shows: which cells its tables and maps hide, styled tables and sentences.

Nothing here computes coverage: the tables come from :mod:`kmc_analysis.coverage.rekap`.
:func:`suppress_coverage` decides, once per run, which units of stage 2's published tables
(kecamatan, kelurahan, kategori x kelurahan on the map, change since last month, persons
by number of programs and their combinations) are hidden, by the rule table of
:mod:`kmc_analysis.core.disclosure` and the relations between every published number
(:mod:`kmc_analysis.core.suppression`). The result is written to the processed folder; the
maps, the interactive map, the notebook and the report (stage 4) all hide exactly those
cells (:func:`hidden_rates`, :func:`publish_table`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kmc_analysis.core.disclosure import LAST_MONTH, RULES, SHOWN, THIS_MONTH, Penyamaran, apply_mask
from kmc_analysis.core.overlap_publication import (
    OR_MORE,
    combinations_note,
    published_combinations,
    top_coded_overlap,
)
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import (
    KOMBINASI_PROGRAM,
    PENERIMA,
    PERUBAHAN_KECAMATAN,
    REKAP_KATEGORI_KELURAHAN,
    REKAP_KECAMATAN,
    REKAP_KELURAHAN,
    REKAP_PROGRAM,
    REKAP_TUMPANG_TINDIH,
    has_city_summary,
    read_city_summary,
    read_suppression,
    read_table,
)
from kmc_analysis.core.suppression import suppress
from kmc_analysis.coverage.rekap import Coverage

#: The short names of stage 2's published tables, and their rule in core.disclosure.RULES.
KINDS = {"kecamatan": "rekap_kecamatan", "kelurahan": "rekap_kelurahan", "kategori": "rekap_kategori_kelurahan",
         "perubahan": "perubahan_kecamatan", "tumpang_tindih": "rekap_tumpang_tindih",
         "kombinasi": "kombinasi_program", "program": "rekap_program"}
#: The combinations table lists at most this many (coverage.rekap.kombinasi_program's default).
KOMBINASI_TOP = 15
#: The columns of the kategori x kelurahan rekap the kategori map shows or derives from.
_KATEGORI_USED = ["kategori", "kode_kecamatan", "kode_kelurahan", "penduduk", "penerima_unik", "penerima_per_1000"]


def _nominal_range(nominal: pd.Series | None) -> tuple[int | None, int | None]:
    values = pd.to_numeric(nominal, errors="coerce").dropna() if nominal is not None else pd.Series(dtype=float)
    return (int(values.min()), int(values.max())) if len(values) else (None, None)


def _previous(folder: Path | None) -> tuple[dict, dict, list]:
    """Last month's city figures, nominal range and hidden kecamatan (they reappear in the change table)."""
    if folder is None or not Path(folder).is_dir():
        return {}, {}, []
    folder = Path(folder)
    kota = {}
    if has_city_summary(folder):
        summary = read_city_summary(folder)
        kota = {"penerima_unik": summary.get("penerima_unik"), "nilai_total": summary.get("nilai_total")}
    rows = read_table(folder, PENERIMA, columns=["nominal"], missing_ok=True)
    low, high = _nominal_range(rows["nominal"] if rows is not None else None)
    knowledge = {"nominal_min_lalu": low, "nominal_max_lalu": high} if low is not None else {}
    record = read_suppression(folder)
    forced = []
    if record:
        forced = [("kecamatan", unit["kode"], LAST_MONTH) for unit in Penyamaran.from_json(record).to_json()["disamarkan"]
                  if unit["tingkat"] == "kecamatan" and unit["bulan"] == THIS_MONTH]
    return kota, knowledge, forced


def suppress_coverage(
    result: Coverage,
    min_cell: int,
    nominal: pd.Series,
    program_katalog: int,
    previous_folder: str | Path | None = None,
    secondary: bool = True,
) -> Penyamaran:
    """Decide which cells of stage 2's publication are hidden (write it with ``store.write_suppression``).

    ``nominal`` is the month's accepted rows' nominal column (its range is assumed known),
    ``program_katalog`` the number of programs in the catalogue, ``previous_folder`` last
    month's processed folder (its city figures, nominal range and hidden kecamatan, which
    this month's change table must keep hidden). ``secondary=False`` only exists to test
    that the audit catches a publication built to leak.
    """
    frames = {
        "rekap_kecamatan": result.kecamatan, "rekap_kelurahan": result.kelurahan,
        "rekap_kategori_kelurahan": result.kategori[[c for c in _KATEGORI_USED if c in result.kategori.columns]],
        "perubahan_kecamatan": result.perubahan,
        "rekap_tumpang_tindih": top_coded_overlap(result.tumpang_tindih, min_cell), "rekap_program": result.program,
    }
    frames["kombinasi_program"] = published_combinations(result.kombinasi, min_cell, result.tumpang_tindih)
    kota_now = {k: result.ringkasan.get(k) for k in ("penerima_unik", "jumlah_penyaluran", "nilai_total", "penduduk")}
    kota_before, knowledge_before, forced = _previous(previous_folder)
    low, high = _nominal_range(nominal)
    sizes = frames["rekap_tumpang_tindih"]["jumlah_bantuan"]
    # the most programs a person holds is published unless the top rows are joined ("k atau lebih")
    most = None if sizes.str.endswith(OR_MORE).any() else (int(sizes.astype(int).max()) if len(sizes) else 1)
    knowledge = {"nominal_min": low, "nominal_max": high, "program_katalog": int(program_katalog),
                 "jumlah_bantuan_maks": most,
                 # every combination is listed (none beyond the top, none held by fewer than min_cell persons)
                 "kombinasi_lengkap": bool(len(frames["kombinasi_program"]) == len(result.kombinasi) < KOMBINASI_TOP),
                 # a person holds at most every program paid this month (the program table is published in full)
                 "program_tersalur": int((result.program["penerima_unik"] > 0).sum()), **knowledge_before}
    if result.perubahan is None:
        forced = []
    return suppress(frames, {THIS_MONTH: kota_now, LAST_MONTH: kota_before}, knowledge, min_cell, forced,
                    secondary=secondary)


def load_coverage(folder: str | Path) -> Coverage:
    """Stage 2's tables as written to a processed period folder (for the report and by hand)."""
    folder = Path(folder)
    tables = {t: read_table(folder, t, missing_ok=True) for t in (
        REKAP_KECAMATAN, REKAP_KELURAHAN, REKAP_PROGRAM, REKAP_KATEGORI_KELURAHAN, REKAP_TUMPANG_TINDIH,
        KOMBINASI_PROGRAM, PERUBAHAN_KECAMATAN)}
    empty = pd.DataFrame({"jumlah_bantuan": pd.Series(dtype="int64"), "penerima": pd.Series(dtype="int64")})
    return Coverage(
        kecamatan=tables[REKAP_KECAMATAN], kelurahan=tables[REKAP_KELURAHAN], program=tables[REKAP_PROGRAM],
        kategori=tables[REKAP_KATEGORI_KELURAHAN] if tables[REKAP_KATEGORI_KELURAHAN] is not None
        else pd.DataFrame(columns=_KATEGORI_USED),
        tumpang_tindih=tables[REKAP_TUMPANG_TINDIH] if tables[REKAP_TUMPANG_TINDIH] is not None else empty,
        kombinasi=tables[KOMBINASI_PROGRAM] if tables[KOMBINASI_PROGRAM] is not None
        else pd.DataFrame({"kombinasi": [], "jumlah_bantuan": [], "penerima": []}),
        perubahan=tables[PERUBAHAN_KECAMATAN], ringkasan=read_city_summary(folder),
    )


def _standalone(frame: pd.DataFrame, kind: str, min_cell: int) -> Penyamaran:
    """The suppression of one table published on its own, with its column totals assumed published."""
    key = KINDS[kind]
    frames = {key: frame.reset_index(drop=True)}
    totals = {}
    if key == "rekap_kecamatan":
        totals = {m: float(pd.to_numeric(frame[m], errors="coerce").sum()) for m in ("jumlah_penyaluran", "nilai_total")
                  if m in frame}
    elif key == "rekap_kelurahan" and "kode_kecamatan" in frame:
        sums = frame.groupby("kode_kecamatan", as_index=False)[[c for c in ("penduduk", "jumlah_penyaluran",
                                                                          "nilai_total") if c in frame]].sum()
        frames["rekap_kecamatan"] = sums
        totals = {m: float(sums[m].sum()) for m in ("jumlah_penyaluran", "nilai_total") if m in sums}
    elif key == "rekap_tumpang_tindih":
        totals = {"penerima_unik": float(frame["penerima"].sum())}
    return suppress(frames, {THIS_MONTH: totals}, {}, min_cell, constant_tables=["rekap_kecamatan"]
                    if key == "rekap_kelurahan" else [])


def _penyamaran(frame: pd.DataFrame, kind: str, min_cell: int, penyamaran: Penyamaran | None) -> Penyamaran:
    if penyamaran is not None and penyamaran.min_cell == int(min_cell):
        return penyamaran
    if not RULES[KINDS[kind]].below_city:
        return Penyamaran(int(min_cell))  # city level: published in full
    return _standalone(frame, kind, min_cell)


def suppression(frame: pd.DataFrame, kind: str, min_cell: int, penyamaran: Penyamaran | None = None) -> pd.DataFrame:
    """Why each cell of a published ``kind`` of table is hidden ("" = shown).

    ``penyamaran`` is the run's suppression (:func:`suppress_coverage`); without it the
    table is treated as published on its own.
    """
    record = _penyamaran(frame, kind, min_cell, penyamaran)
    return record.mask(frame, KINDS[kind])


def hidden_rates(rekap: pd.DataFrame, kind: str, min_cell: int, penyamaran: Penyamaran | None = None) -> pd.Series:
    """True where an area's penerima_per_1000 must not be published (the map hatches it)."""
    return suppression(rekap, kind, min_cell, penyamaran)["penerima_per_1000"].ne(SHOWN)


def publish_table(frame: pd.DataFrame, kind: str, min_cell: int, penyamaran: Penyamaran | None = None,
                  overlap: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table as display text: small person counts as ``<min_cell``, what gives them away as ``*``.

    The overlap tables are shown as published: small top rows joined (``top_coded_overlap``), rare
    combinations left out and, when a number of programs in ``overlap`` (stage 2's persons by
    number of programs) is held by 1 to N-1 persons, none shown (``published_combinations``).
    """
    if KINDS.get(kind) == "rekap_tumpang_tindih":
        frame = top_coded_overlap(frame, min_cell)
    elif KINDS.get(kind) == "kombinasi_program":
        frame = published_combinations(frame, min_cell, overlap)
    return apply_mask(frame, suppression(frame, kind, min_cell, penyamaran), min_cell)


def styled_table(frame: pd.DataFrame, kind: str, min_cell: int, penyamaran: Penyamaran | None = None,
                 overlap: pd.DataFrame | None = None):
    """The published table as a pandas Styler for notebooks: no index, text HTML-escaped (``<5``).

    The combinations table carries the report's note on what it lists (or why nothing) as its caption.
    """
    styler = publish_table(frame, kind, min_cell, penyamaran, overlap).style.hide(axis="index").format(escape="html")
    if KINDS.get(kind) == "kombinasi_program":
        note = combinations_note(overlap, min_cell)
        if note:
            styler = styler.set_caption(note)
    return styler


def _shown(rekap: pd.DataFrame, kind: str, min_cell: int, penyamaran: Penyamaran | None) -> pd.DataFrame:
    return rekap[~hidden_rates(rekap, kind, min_cell, penyamaran) & rekap["penerima_per_1000"].notna()]


def coverage_sentences(
    rekap_kec: pd.DataFrame,
    rekap_kel: pd.DataFrame,
    perubahan: pd.DataFrame | None,
    min_cell: int,
    period: Period,
    penyamaran: Penyamaran | None = None,
) -> list[str]:
    """Plain Bahasa Indonesia sentences on the highest and lowest coverage and the biggest change.

    Only publishable figures are quoted: an area whose rate or change is suppressed is
    never named with its value.
    """
    sentences = []
    for kind, rekap, name in (("kecamatan", rekap_kec, "kecamatan"), ("kelurahan", rekap_kel, "kelurahan")):
        shown = _shown(rekap, kind, min_cell, penyamaran).sort_values(["penerima_per_1000", f"kode_{kind}"])
        hidden = int(hidden_rates(rekap, kind, min_cell, penyamaran).sum())
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
    mask = suppression(perubahan, "perubahan", min_cell, penyamaran)
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


def summary_markdown(result: Coverage, min_cell: int, period: Period, population_note: str,
                     penyamaran: Penyamaran | None = None) -> str:
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
    published = top_coded_overlap(overlap, min_cell)
    all_shown = suppression(published, "tumpang_tindih", min_cell, penyamaran)["penerima"].eq(SHOWN).all()
    if kota["penerima_unik"] and all_shown:
        # only when every row of the table is shown: the share would otherwise give a hidden row away
        several = int(overlap.loc[overlap["jumlah_bantuan"] >= 2, "penerima"].sum())
        lines.append(f"- {format_number(several * 100 / kota['penerima_unik'], 1)}% penerima menerima lebih dari satu "
                     f"jenis bantuan.")
    lines += [f"- {s}" for s in coverage_sentences(result.kecamatan, result.kelurahan, result.perubahan, min_cell,
                                                   period, penyamaran)]
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
