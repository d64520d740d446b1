"""Tests for core.suppression and core.disclosure_audit: each scenario is an attack the audit must see.

Small publications are built by hand (kelurahan within kecamatan within the city, persons
by number of programs, kategori within a kelurahan); the suppression must hide enough to
stop the attack, and the audit must name the cell when it does not.
"""

from __future__ import annotations

import math

import pandas as pd

from kmc_analysis.core.disclosure import LAST_MONTH, PRIMARY, SECONDARY, THIS_MONTH, Penyamaran
from kmc_analysis.core.disclosure_audit import Protection, audit_model
from kmc_analysis.core.disclosure_model import build_model
from kmc_analysis.core.suppression import suppress

NOMINAL = {"nominal_min": 100, "nominal_max": 500, "jumlah_bantuan_maks": 3, "program_katalog": 10}


def areas(kelurahan: list[tuple], only_kecamatan: dict[str, tuple] | None = None):
    """Kecamatan and kelurahan tables from (kecamatan, kelurahan, persons, rows) rows; value = 100 x rows.

    ``only_kecamatan`` adds persons and rows that give only a kecamatan. Kecamatan persons
    are the sum of their parts (nobody in two areas), like the city's.
    """
    kel = pd.DataFrame(kelurahan, columns=["kode_kecamatan", "kode_kelurahan", "penerima_unik", "jumlah_penyaluran"])
    kel["penduduk"] = 10_000
    kel["nilai_total"] = kel["jumlah_penyaluran"] * 100
    kel["penerima_per_1000"] = (kel["penerima_unik"] * 1000 / kel["penduduk"]).round(2)
    kel["program_aktif"] = (kel["penerima_unik"] > 0).astype(int)
    kec = kel.groupby("kode_kecamatan", as_index=False)[["penduduk", "penerima_unik", "jumlah_penyaluran",
                                                          "nilai_total"]].sum()
    for code, (persons, rows) in (only_kecamatan or {}).items():
        kec.loc[kec["kode_kecamatan"] == code, ["penerima_unik", "jumlah_penyaluran", "nilai_total"]] += \
            [persons, rows, rows * 100]
    kec["penerima_per_1000"] = (kec["penerima_unik"] * 1000 / kec["penduduk"]).round(2)
    kec["program_aktif"] = 1
    kota = {"penerima_unik": int(kec["penerima_unik"].sum()), "jumlah_penyaluran": int(kec["jumlah_penyaluran"].sum()),
            "nilai_total": int(kec["nilai_total"].sum()), "penduduk": int(kec["penduduk"].sum())}
    return {"rekap_kecamatan": kec, "rekap_kelurahan": kel}, {THIS_MONTH: kota}


def audit(frames, kota, record: Penyamaran, knowledge=NOMINAL):
    """The audit of a publication whose hidden cells are ``record``'s (values blanked as published)."""
    shown, marked, published = {}, {}, {}
    for key, frame in frames.items():
        if key == "rekap_program":
            published[key] = frame
            continue
        mask = record.mask(frame, key)
        published[key] = frame.copy()
        shown[key] = mask.eq("")
        marked[key] = mask.eq(PRIMARY)
        for column in mask.columns:
            published[key][column] = frame[column].where(mask[column].eq(""))
    model = build_model(published, kota, knowledge, shown, marked)
    return audit_model(model, record.min_cell)


def hidden_codes(record: Penyamaran, level: str, why: str | None = None) -> set[str]:
    return {code for (lvl, code, _), reason in record.hidden.items() if lvl == level and why in (None, reason)}


def test_small_kelurahan_is_not_recoverable_from_its_kecamatan_total():
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K2", "L3", 50, 50), ("K2", "L4", 60, 60)])
    record = suppress(frames, kota, NOMINAL, 5)
    assert hidden_codes(record, "kelurahan", PRIMARY) == {"L1"}
    assert hidden_codes(record, "kelurahan", SECONDARY) == {"L2"}  # K1 - L2 would give L1 back
    assert audit(frames, kota, record) == []


def _room_left_by_the_marks(frames, record: Penyamaran, min_cell: int) -> dict[str, float]:
    """An attacker's most rows for each ``<N`` kelurahan: its shown kecamatan's rows minus the shown
    kelurahan, minus N for each other ``*`` one (zeros are shown, 1 to N - 1 are ``<N``) and 1 for each ``<N``."""
    kec, kel = frames["rekap_kecamatan"], frames["rekap_kelurahan"]
    kec_mask, kel_mask = record.mask(kec, "rekap_kecamatan"), record.mask(kel, "rekap_kelurahan")
    most = {}
    for k, total, hidden in zip(kec["kode_kecamatan"], kec["jumlah_penyaluran"], kec_mask["jumlah_penyaluran"]):
        if hidden:
            continue
        members = kel.index[kel["kode_kecamatan"].eq(k)]
        room = total - sum(kel.loc[m, "jumlah_penyaluran"] for m in members if not kel_mask.loc[m, "jumlah_penyaluran"])
        marks = {kel.loc[m, "kode_kelurahan"]: kel_mask.loc[m, "penerima_unik"] for m in members
                 if kel_mask.loc[m, "penerima_unik"]}
        for code, mark in marks.items():
            if mark == PRIMARY:
                most[code] = room - sum(min_cell if other == SECONDARY else 1
                                        for c, other in marks.items() if c != code)
    return most


def test_a_small_kelurahan_is_not_pinned_by_reading_the_marks_of_its_complement():
    # Black-box attack 10: 1 and 5 persons in a kecamatan of 6 rows, its other kelurahan 0. Hiding the 5 alone
    # gave both away: a `*` count is neither 0 (shown) nor 1-4 (`<5`), so the 5 is at least 5 and the 1 at most 1.
    frames, kota = areas([("K1", "L1", 1, 1), ("K1", "L2", 5, 5), ("K1", "L3", 0, 0), ("K1", "L4", 0, 0),
                          ("K2", "L5", 50, 50), ("K2", "L6", 60, 60), ("K3", "L7", 70, 70)])
    hand = Penyamaran(5, {("kelurahan", "L1", THIS_MONTH): PRIMARY, ("kelurahan", "L2", THIS_MONTH): SECONDARY})
    assert _room_left_by_the_marks(frames, hand, 5) == {"L1": 1}
    assert ("rekap_kelurahan", "L1", "penerima_unik") in {(f.table, f.code, f.column)
                                                          for f in audit(frames, kota, hand)}
    record = suppress(frames, kota, NOMINAL, 5)
    assert all(rows >= 4 for rows in _room_left_by_the_marks(frames, record, 5).values())
    assert not {code for (_, code, _), why in record.hidden.items() if why == SECONDARY} & {"L3", "L4"}
    assert audit(frames, kota, record) == []


def test_audit_names_the_cell_when_secondary_suppression_is_off():
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K2", "L3", 50, 50), ("K2", "L4", 60, 60)])
    leaky = suppress(frames, kota, NOMINAL, 5, secondary=False)
    findings = audit(frames, kota, leaky)
    assert [(f.table, f.code, f.column) for f in findings] == [("rekap_kelurahan", "L1", "penerima_unik")]
    sentence = findings[0].sentence()
    assert "rekap_kelurahan" in sentence and "L1" in sentence and "penerima_unik" in sentence
    assert not any(ch.isdigit() for ch in sentence.replace("L1", ""))  # never a value


def test_small_kecamatan_is_not_recoverable_from_the_city_total():
    # --min-cell 10, one kecamatan with 4 persons, one with 52, the rest 0 (the hostile D04 case).
    frames, kota = areas([("K1", "L1", 4, 4), ("K2", "L2", 52, 52), ("K3", "L3", 0, 0), ("K4", "L4", 0, 0)])
    record = suppress(frames, kota, NOMINAL, 10)
    assert "K1" in hidden_codes(record, "kecamatan", PRIMARY)
    assert "K2" in hidden_codes(record, "kecamatan", SECONDARY)
    # K2 hidden alone would still be pinned by its shown kelurahan: one of them hides too.
    assert "L2" in hidden_codes(record, "kelurahan")
    assert audit(frames, kota, record) == []


def test_complement_kecamatan_with_all_kelurahan_shown_does_not_protect():
    frames, kota = areas([("K1", "L1", 3, 3), ("K2", "L2a", 60, 60), ("K2", "L2b", 40, 40), ("K3", "L3", 70, 70)])
    hand = Penyamaran(5, {("kecamatan", "K1", THIS_MONTH): PRIMARY, ("kelurahan", "L1", THIS_MONTH): PRIMARY,
                          ("kecamatan", "K2", THIS_MONTH): SECONDARY})
    assert ("rekap_kecamatan", "K1", "penerima_unik") in {(f.table, f.code, f.column)
                                                          for f in audit(frames, kota, hand)}
    record = suppress(frames, kota, NOMINAL, 5)
    assert audit(frames, kota, record) == []
    assert hidden_codes(record, "kelurahan") & {"L2a", "L2b", "L3"}


def test_kecamatan_only_rows_protect_a_single_hidden_kelurahan():
    # 30 rows give only kecamatan K1: K1 - L2 leaves L1 plus those 30, which hides L1 well enough.
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K2", "L3", 50, 50)],
                         only_kecamatan={"K1": (30, 30)})
    record = suppress(frames, kota, NOMINAL, 5)
    assert hidden_codes(record, "kelurahan") == {"L1"}
    assert audit(frames, kota, record) == []


def test_shown_rate_with_published_population_gives_a_hidden_count_away():
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K2", "L3", 50, 50), ("K2", "L4", 60, 60)])
    record = suppress(frames, kota, NOMINAL, 5)
    kel = frames["rekap_kelurahan"]
    mask = record.mask(kel, "rekap_kelurahan")
    shown = {"rekap_kelurahan": mask.eq(""), "rekap_kecamatan": record.mask(frames["rekap_kecamatan"],
                                                                             "rekap_kecamatan").eq("")}
    shown["rekap_kelurahan"]["penerima_per_1000"] = True  # a map that labels every area
    published = {"rekap_kecamatan": frames["rekap_kecamatan"],
                 "rekap_kelurahan": kel.assign(penerima_unik=kel["penerima_unik"].where(mask["penerima_unik"].eq("")))}
    marked = {"rekap_kelurahan": mask.eq(PRIMARY)}
    model = build_model(published, kota, NOMINAL, shown, marked)
    assert [f.code for f in audit_model(model, 5)] == ["L1"]


def test_value_shown_with_a_single_nominal_gives_hidden_rows_away():
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K2", "L3", 50, 50), ("K2", "L4", 60, 60)])
    record = suppress(frames, kota, {**NOMINAL, "nominal_max": 100}, 5)
    kel = frames["rekap_kelurahan"]
    mask = record.mask(kel, "rekap_kelurahan")
    shown = {"rekap_kelurahan": mask.eq("").assign(nilai_total=True)}
    published = {"rekap_kecamatan": frames["rekap_kecamatan"],
                 "rekap_kelurahan": kel.assign(**{c: kel[c].where(mask[c].eq("")) for c in
                                                  ("penerima_unik", "jumlah_penyaluran", "penerima_per_1000")})}
    model = build_model(published, kota, {**NOMINAL, "nominal_max": 100}, shown,
                        {"rekap_kelurahan": mask.eq(PRIMARY)})
    assert [f.code for f in audit_model(model, 5)] == ["L1"]  # rows = value / 100, persons <= rows


def overlap_month(persons: list[int]):
    """Persons with 1, 2, 3, ... programs, every row Rp200: the overlap table, the city and what is known."""
    tt = pd.DataFrame({"jumlah_bantuan": range(1, len(persons) + 1), "penerima": persons})
    tt["nilai_total"] = tt["penerima"] * tt["jumlah_bantuan"] * 200
    tt["persen_penerima"] = (tt["penerima"] * 100 / sum(persons)).round(2)
    tt["nilai_rata_rata_per_penerima"] = tt["jumlah_bantuan"] * 200
    rows = int((tt["penerima"] * tt["jumlah_bantuan"]).sum())
    kota = {THIS_MONTH: {"penerima_unik": sum(persons), "jumlah_penyaluran": rows, "nilai_total": rows * 200}}
    return {"rekap_tumpang_tindih": tt}, kota, {**NOMINAL, "nominal_min": 200, "nominal_max": 200}


def test_two_hidden_rows_of_persons_by_number_of_programs_are_solved_exactly():
    # persons add up to the city and persons x programs to its rows: two unknowns, two equations.
    frames, kota, knowledge = overlap_month([100, 3, 2])
    leaky = suppress(frames, kota, knowledge, 5, secondary=False)
    assert {f.code for f in audit(frames, kota, leaky, knowledge)} == {"2", "3"}
    record = suppress(frames, kota, knowledge, 5)
    assert hidden_codes(record, "jumlah_bantuan") == {"1", "2", "3"}
    assert audit(frames, kota, record, knowledge) == []


def test_small_rows_of_persons_by_number_of_programs_are_never_left_to_a_subtraction_from_the_total():
    # Black-box attack 11: 440 persons with 1 program, 1 with 2, 1 with 3. The city's persons and rows with the
    # rows' marks pin the two small rows however much is hidden, so the audit asked nothing more and the 440 stayed
    # shown: 442 - 440 = 2 persons in two `<5` rows of at least 1 each. The largest row is hidden beside them.
    frames, kota, knowledge = overlap_month([440, 1, 1])
    record = suppress(frames, kota, knowledge, 5)
    assert hidden_codes(record, "jumlah_bantuan", PRIMARY) == {"2", "3"}
    assert hidden_codes(record, "jumlah_bantuan", SECONDARY) == {"1"}
    assert audit(frames, kota, record, knowledge) == []


def _kategori(counts: dict[str, int]) -> pd.DataFrame:
    frame = pd.DataFrame({"kategori": list(counts), "kode_kecamatan": "K1", "kode_kelurahan": "L1",
                          "penduduk": 10_000, "penerima_unik": list(counts.values())})
    frame["penerima_per_1000"] = (frame["penerima_unik"] * 1000 / 10_000).round(2)
    return frame


def test_kategori_cell_is_not_recoverable_from_its_kelurahan_when_nobody_is_in_two_kategori():
    frames, kota = areas([("K1", "L1", 200, 200), ("K2", "L2", 300, 300)])
    frames["rekap_kategori_kelurahan"] = _kategori({"beasiswa": 190, "santunan": 3, "insentif": 7})
    leaky = suppress(frames, kota, NOMINAL, 5, secondary=False)
    assert [f.code for f in audit(frames, kota, leaky)] == ["santunan|L1"]
    record = suppress(frames, kota, NOMINAL, 5)
    assert hidden_codes(record, "kategori_kelurahan") == {"santunan|L1", "insentif|L1"}
    assert audit(frames, kota, record) == []


def test_city_level_program_counts_cap_what_a_kategori_cell_needs():
    # The city has 3 persons of the only santunan program (published in full): no hiding can
    # make a kelurahan's santunan count look larger than 3, so that is not a disclosure.
    frames, kota = areas([("K1", "L1", 200, 200), ("K2", "L2", 300, 300)])
    frames["rekap_kategori_kelurahan"] = _kategori({"beasiswa": 197, "santunan": 3, "insentif": 60})
    frames["rekap_program"] = pd.DataFrame({"kode_bantuan": ["B", "S", "I"], "kategori": ["beasiswa", "santunan",
                                                                                            "insentif"],
                                            "penerima_unik": [400, 3, 100]})
    record = suppress(frames, kota, NOMINAL, 5)
    assert hidden_codes(record, "kategori_kelurahan") == {"santunan|L1"}
    assert audit(frames, kota, record) == []


def with_change_table(last_month: list[int]):
    """Kecamatan of 50, 60 and 70 persons and their change table from ``last_month``'s persons (100 Rupiah each)."""
    frames, kota = areas([("K1", "L1", 50, 50), ("K2", "L2", 60, 60), ("K3", "L3", 70, 70)])
    change = frames["rekap_kecamatan"][["kode_kecamatan", "penerima_unik", "nilai_total"]].copy()
    change["kecamatan"] = change["kode_kecamatan"]
    change["penerima_unik_bulan_lalu"] = last_month
    change["nilai_total_bulan_lalu"] = change["penerima_unik_bulan_lalu"] * 100
    change["selisih"] = change["penerima_unik"] - change["penerima_unik_bulan_lalu"]
    change["perubahan_persen"] = (change["selisih"] * 100 / change["penerima_unik_bulan_lalu"]).round(2)
    change["selisih_nilai"] = change["nilai_total"] - change["nilai_total_bulan_lalu"]
    frames["perubahan_kecamatan"] = change
    kota[LAST_MONTH] = {"penerima_unik": sum(last_month), "nilai_total": sum(last_month) * 100}
    return frames, kota, change


def test_last_months_hidden_kecamatan_stay_hidden_in_the_change_table():
    frames, kota, change = with_change_table([2, 40, 70])
    record = suppress(frames, kota, NOMINAL, 5, forced=[("kecamatan", "K3", LAST_MONTH)])
    mask = record.mask(change, "perubahan_kecamatan")
    assert mask.loc[0, "penerima_unik_bulan_lalu"] == PRIMARY  # 2 persons last month
    assert mask.loc[2, "penerima_unik_bulan_lalu"] == SECONDARY  # hidden in last month's report
    assert mask.loc[0, "penerima_unik"] == "" and mask.loc[0, "selisih"] != ""
    assert audit(frames, kota, record) == []


def test_last_months_small_kecamatan_is_not_pinned_by_reading_the_marks_of_the_change_table():
    # As the attack on this month's marks, for last month's figures in the change table: 2 and 5 persons last
    # month beside a shown 70 under a published city value. Hiding the 5 alone leaves 700 Rupiah for both,
    # and a `*` reads as at least 5 persons of at least 100 each: the 2 would be at most 2.
    frames, kota, change = with_change_table([2, 5, 70])
    knowledge = {**NOMINAL, "nominal_min_lalu": 100, "nominal_max_lalu": 500}
    record = suppress(frames, kota, knowledge, 5)
    mask = record.mask(change, "perubahan_kecamatan")
    marks = mask["penerima_unik_bulan_lalu"].tolist()
    assert marks[0] == PRIMARY
    room = 7_700 - sum(v for v, m in zip(change["nilai_total_bulan_lalu"], mask["nilai_total_bulan_lalu"]) if not m)
    others = sum(5 * 100 if m == SECONDARY else 100 for m in marks[1:] if m)
    assert (room - others) // 100 >= 4  # the most persons of 100 Rupiah the 2 could be: all its `<5` allows
    assert audit(frames, kota, record, knowledge) == []


def test_suppression_is_the_same_every_run():
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K1", "L5", 41, 41), ("K2", "L3", 3, 3),
                          ("K2", "L4", 60, 60)])
    first = suppress(frames, kota, NOMINAL, 5).to_json()
    assert all(suppress(frames, kota, NOMINAL, 5).to_json() == first for _ in range(3))


def test_protection_wants_one_and_min_cell_minus_one_inside_the_interval():
    frames, kota = areas([("K1", "L1", 2, 2), ("K1", "L2", 40, 40), ("K2", "L3", 50, 50)])
    model = build_model(frames, kota, NOMINAL)
    fact = model.get("penerima_unik", "kelurahan", "L1")
    protection = Protection(model, 5)
    everything = model.shown_for(set())
    assert protection.failing_sides(model.compile(everything), fact) == ["lo", "hi"]  # shown: known exactly
    hidden = model.shown_for({("kelurahan", "L1", THIS_MONTH), ("kelurahan", "L2", THIS_MONTH)})
    lo, hi = model.compile(hidden).interval(fact)
    assert lo <= 0 and (hi >= 5 or math.isinf(hi))  # the totals alone
    assert protection.system(hidden).interval(fact) == (1.0, 4.0)  # and the `<5` mark: all it says, no less
    assert protection.failing_sides(protection.system(hidden), fact) == []
