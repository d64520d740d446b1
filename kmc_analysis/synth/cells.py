"""The cells of every synthetic row: values in the forms OPDs write, and the defects written into them.

``render_cells`` writes each row in its sheet's dominant forms with row-by-row variation
(CONTRACT 2.1 and 2.2); ``apply_defects`` then overwrites the cells of defective rows so
that each breaks exactly the rules it is meant to.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmc_analysis.core.periods import NAMA_BULAN
from kmc_analysis.synth.people import STREETS, People
from kmc_analysis.synth.plan import Plan
from kmc_analysis.synth.rows import BIT, Rows
from kmc_analysis.synth.sheets import CODE_FORMS, DATE_FORMS, NIK_FORMS, NOMINAL_FORMS
from kmc_analysis.synth.world import World

_STR = "str"
_EPOCH = dt.date(1970, 1, 1)

#: Words written where a nominal should be (nominal_tidak_valid).
_BAD_NOMINAL_TEXT = ("belum cair", "menunggu SK", "nihil", "-", "susulan")


@dataclass
class Cells:
    """The cells of every row: text (what a CSV holds) and, for xlsx, typed values."""

    text: dict[str, pd.Series]
    typed: dict[str, np.ndarray]   # bool mask: write the typed value instead of the text
    values: dict[str, np.ndarray]  # the typed values (int or datetime64[D])


def _take(table, idx: np.ndarray) -> pd.Series:
    """Look ``idx`` up in a small table of strings, as a string Series."""
    return pd.Series(np.asarray(table, dtype=object)[idx], dtype=_STR)


def _by_value(values: np.ndarray, render) -> pd.Series:
    """Render each distinct value once in Python and spread the results (few distinct values)."""
    unique, inverse = np.unique(values, return_inverse=True)
    return _take([render(v) for v in unique.tolist()], inverse)


def _choose(rng: np.random.Generator, dominant: np.ndarray, n_forms: int, mix: float) -> np.ndarray:
    """Each row's form: its sheet's dominant one, or now and then any other."""
    n = len(dominant)
    return np.where(rng.random(n) < mix, rng.integers(n_forms, size=n), dominant)


def _rupiah(value: int, form: str) -> str:
    grouped = f"{abs(value):,}".replace(",", ".")
    sign = "-" if value < 0 else ""
    return {"digit": f"{value}", "rp_desimal": f"{sign}Rp{grouped},00", "rp_spasi": f"{sign}Rp {grouped}",
            "rp_titik_strip": f"{sign}Rp. {grouped},-", "koma_ribuan": f"{value:,}"}[form]


def _date_text(day: dt.date, form: str) -> str:
    if form == "yyyy-mm-dd":
        return day.isoformat()
    if form == "kata":
        return f"{day.day} {NAMA_BULAN[day.month - 1]} {day.year}"
    return day.strftime("%d/%m/%Y")


def render_cells(world: World, plan: Plan, people: People, rows: Rows, rng: np.random.Generator) -> Cells:
    """Write every row's cells in the forms of its sheet, with row-by-row variation."""
    n = len(rows)
    sheets = plan.sheets
    xlsx = np.array([plan.files[s.file].kind == "xlsx" for s in sheets])[rows.sheet]
    style = {k: np.array([s.style.get(k, 0) for s in sheets], dtype=np.int64)[rows.sheet]
             for k in ("nik", "nominal", "tanggal_salur", "tanggal_lahir", "case", "upper_names", "jk", "rt", "code")}
    person = rows.person
    text: dict[str, pd.Series] = {}
    typed: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}

    # NIK
    form = _choose(rng, style["nik"], len(NIK_FORMS), 0.06)
    plain = pd.Series(rows.nik.astype(str), dtype=_STR)
    nik = plain.copy()
    for f, render in ((2, lambda s: s.str.slice(0, 2) + "." + s.str.slice(2, 4) + "." + s.str.slice(4, 6) + "."
                       + s.str.slice(6, 12) + "." + s.str.slice(12, 16)),
                      (3, lambda s: s.str.slice(0, 4) + " " + s.str.slice(4, 8) + " " + s.str.slice(8, 12) + " "
                       + s.str.slice(12, 16)),
                      (4, lambda s: s.str.slice(0, 4) + "-" + s.str.slice(4, 8) + "-" + s.str.slice(8, 12) + "-"
                       + s.str.slice(12, 16)),
                      (5, lambda s: "'" + s)):
        m = form == f
        if m.any():
            nik[m] = render(plain[m])
    text["nik"], typed["nik"], values["nik"] = nik, (form == 1) & xlsx, rows.nik

    # Name, family card, sex, birth date, address
    names = _take(people.name, person)
    upper = style["upper_names"].astype(bool)
    names[upper] = names[upper].str.upper()
    text["nama"] = names
    text["no_kk"] = _take(people.no_kk, person)
    female = people.female[person]
    jk_form = _choose(rng, style["jk"], 3, 0.03)
    jk_table = np.array([["L", "P"], ["LAKI-LAKI", "PEREMPUAN"], ["Laki-laki", "Perempuan"]], dtype=object)
    text["jenis_kelamin"] = pd.Series(jk_table[jk_form, female.astype(int)], dtype=_STR)
    birth_form = _choose(rng, style["tanggal_lahir"], len(DATE_FORMS), 0.05)
    _dates(text, typed, values, "tanggal_lahir", people.birth[person], birth_form, xlsx)
    house = pd.Series(people.house[person].astype(str), dtype=_STR)
    alamat = _take(STREETS, people.street[person]) + " No. " + house
    alamat[upper] = alamat[upper].str.upper()
    text["alamat"] = alamat
    for key, numbers in (("rt", people.rt[person]), ("rw", people.rw[person])):   # "003", "3" or "03"
        text[key] = _by_value(numbers * 10 + style["rt"],
                              lambda v: (f"{v // 10:03d}", f"{v // 10}", f"{v // 10:02d}")[v % 10])

    # Places
    kel = people.kel[person]
    kel_text = _place_text(rng, world, kel, style["case"])
    kec_text = _kecamatan_text(rng, world.kec_name, world.kel_kec[kel], style["case"])
    both = np.array([{"kelurahan", "kecamatan"} <= set(s.columns) for s in sheets])[rows.sheet]
    r = rng.random(n)
    kec_text[both & (r < 0.06)] = ""                      # kelurahan known, kecamatan left empty
    kel_text[both & (r >= 0.06) & (r < 0.085)] = ""      # only the kecamatan given
    text["kelurahan"], text["kecamatan"] = kel_text, kec_text
    needed = {c for s in sheets for c in s.columns}
    if "kode_kelurahan" in needed:
        text["kode_kelurahan"] = _code_text(rng, world, kel, style["code"])

    # Program
    programs = world.programs
    code = _take(programs["kode_bantuan"].to_numpy(dtype=object), rows.program)
    lower = rng.random(n) < 0.05
    code[lower] = code[lower].str.lower()
    text["kode_bantuan"] = code
    pname = _take(programs["nama_bantuan"].to_numpy(dtype=object), rows.program)
    r = rng.random(n)
    pname[upper] = pname[upper].str.upper()
    pname[r < 0.03] = pname[r < 0.03].str.lower()
    pname[(r >= 0.03) & (r < 0.05)] = pname[(r >= 0.03) & (r < 0.05)].str.replace(" ", "  ", n=1, regex=False)
    pname[(r >= 0.05) & (r < 0.07)] = pname[(r >= 0.05) & (r < 0.07)] + " "
    text["nama_bantuan"] = pname
    if "program_id" in needed:   # OpenDK's own number for the program
        text["program_id"] = _take([str(17 + 3 * p) for p in range(len(programs))], rows.program)

    # Money and payment date
    form = _choose(rng, style["nominal"], len(NOMINAL_FORMS), 0.06)
    form = np.where((form == 0) & ~xlsx, 1, form)
    text["nominal"] = _by_value(rows.nominal * 8 + form,
                                lambda v: _rupiah(v // 8, NOMINAL_FORMS[v % 8] if v % 8 else "digit"))
    typed["nominal"], values["nominal"] = (form == 0) & xlsx, rows.nominal.copy()
    salur_form = _choose(rng, style["tanggal_salur"], len(DATE_FORMS), 0.05)
    _dates(text, typed, values, "tanggal_salur", rows.salur, salur_form, xlsx)

    ket = np.where(rows.nominal > programs["nominal"].to_numpy()[rows.program], "Rapel", "")
    ket = np.where((rng.random(n) < 0.03) & (ket == ""), "Tahap I", ket)
    text["keterangan"] = pd.Series(ket.astype(object), dtype=_STR)
    for key in text:
        typed.setdefault(key, np.zeros(n, dtype=bool))
    return Cells(text, typed, values)


def _dates(text, typed, values, key: str, days: np.ndarray, form: np.ndarray, xlsx: np.ndarray) -> None:
    """Date cells: an Excel date (xlsx), DD/MM/YYYY, YYYY-MM-DD or ``4 Maret 2024``."""
    form = np.where((form == 0) & ~xlsx, 1, form)
    stamp = days.astype(np.int64) * 4 + form
    text[key] = _by_value(stamp, lambda v: _date_text(_EPOCH + dt.timedelta(days=v // 4), DATE_FORMS[v % 4]))
    typed[key], values[key] = (form == 0) & xlsx, days


def _code_text(rng: np.random.Generator, world: World, kel: np.ndarray, form: np.ndarray) -> pd.Series:
    """Kelurahan codes: dotted Kemendagri, plain, or BPS, where that form names one kelurahan only."""
    table = [[forms[f] if f < len(forms) else forms[0] for f in range(len(CODE_FORMS))]
             for forms in world.kel_code_forms]
    form = _choose(rng, form, len(CODE_FORMS), 0.1)
    flat = [code for codes in table for code in codes]
    return _take(flat, kel * len(CODE_FORMS) + form)


def _place_text(rng: np.random.Generator, world: World, kel: np.ndarray, case: np.ndarray) -> pd.Series:
    """Kelurahan as OPDs write it: other spellings, typos, capitals, Kel. prefixes, stray spaces."""
    n = len(kel)
    table: list[str] = []
    start, count_sp, count_ty = [], [], []
    for name, spellings, typos in zip(world.kel_name, world.kel_spellings, world.kel_typos):
        start.append(len(table))
        table += [name, *spellings, *typos]
        count_sp.append(len(spellings))
        count_ty.append(len(typos))
    start, count_sp, count_ty = np.array(start), np.array(count_sp), np.array(count_ty)
    r = rng.random(n)
    pick = rng.random(n)
    use_sp = (r < 0.25) & (count_sp[kel] > 0)
    use_ty = (r >= 0.25) & (r < 0.28) & (count_ty[kel] > 0)
    idx = start[kel].copy()
    idx[use_sp] += 1 + (pick[use_sp] * count_sp[kel][use_sp]).astype(int)
    idx[use_ty] += 1 + count_sp[kel][use_ty] + (pick[use_ty] * count_ty[kel][use_ty]).astype(int)
    out = _take(table, idx)
    return _decorate(rng, out, case, ("Kel. ", "Kelurahan ", "KEL. ", "Kel."))


def _kecamatan_text(rng: np.random.Generator, kec_name: np.ndarray, kec: np.ndarray, case: np.ndarray) -> pd.Series:
    """Kecamatan as OPDs write it: capitals, Kec. prefixes, stray spaces."""
    return _decorate(rng, _take(kec_name, kec), case, ("Kec. ", "Kecamatan ", "KEC. "))


def _decorate(rng: np.random.Generator, out: pd.Series, case: np.ndarray, prefixes) -> pd.Series:
    n = len(out)
    case = _choose(rng, case, 3, 0.05)
    out[case == 1] = out[case == 1].str.upper()
    out[case == 2] = out[case == 2].str.lower()
    r = rng.random(n)
    with_prefix = r < 0.08
    out[with_prefix] = _take(prefixes, rng.integers(len(prefixes), size=int(with_prefix.sum()))).to_numpy() \
        + out[with_prefix]
    spaced = (r >= 0.08) & (r < 0.1)
    out[spaced] = " " + out[spaced].str.replace(" ", "  ", regex=False) + " "
    return out


def apply_defects(world: World, plan: Plan, people: People, rows: Rows, cells: Cells) -> None:
    """Overwrite the cells of defective rows so that each breaks exactly the rules it is meant to.

    The forms of each defect are dealt in turn (the n-th row with a reason gets its n-th
    form), so that every form shows up as soon as a reason has a handful of rows.
    """
    text, typed, values = cells.text, cells.typed, cells.values
    xlsx_sheet = np.array([plan.files[s.file].kind == "xlsx" for s in plan.sheets])
    columns = [set(s.columns) for s in plan.sheets]
    edits: dict[str, dict[int, str]] = {k: {} for k in ("nik", "nama", "kelurahan", "kecamatan", "kode_bantuan",
                                                         "nama_bantuan", "nominal", "kode_kelurahan")}
    number_cells: dict[int, int] = {}
    turns: Counter = Counter()

    def turn(reason: str) -> int:
        turns[reason] += 1
        return turns[reason] - 1

    for i in np.flatnonzero(rows.reasons):
        bits, v, cols = int(rows.reasons[i]), int(rows.variant[i]), columns[rows.sheet[i]]
        nik = str(int(rows.nik[i]))
        if bits & BIT["nik_kosong"]:
            edits["nik"][i] = ""
        if bits & BIT["nik_format"]:
            sci = f"{int(nik):.5E}"   # 1.87201E+15, as Excel shows a NIK typed as a number
            forms = (sci, sci.replace(".", ","), nik[:15], nik + str(v % 10), nik[:14] + "OIlB"[v % 4] + nik[15])
            edits["nik"][i] = forms[turn("nik_format") % len(forms)]
        if bits & BIT["nama_kosong"]:
            edits["nama"][i] = ""
        if bits & BIT["wilayah_tidak_dikenal"]:
            if "kode_kelurahan" in cols:    # the code decides (CONTRACT 2.2)
                kinds = ["kode_asing"] + (["kode_lain_nama"] if "kelurahan" in cols else [])
            else:
                kinds = [k for k, need in (("asing", {"kelurahan"}), ("salah_kec", {"kelurahan", "kecamatan"}),
                                           ("kec_asing", {"kecamatan"})) if need <= cols]
            kind = kinds[turn("wilayah_tidak_dikenal") % len(kinds)]
            kel = int(people.kel[rows.person[i]])
            if kind == "kode_asing":     # a code of no kelurahan of the city
                edits["kode_kelurahan"][i] = world.foreign_kel_codes[v % len(world.foreign_kel_codes)]
            elif kind == "kode_lain_nama":   # a valid code, and the name of another kelurahan beside it
                edits["kelurahan"][i] = world.kel_name[(kel + 1 + v % (len(world.kel_name) - 1)) % len(world.kel_name)]
            elif kind == "asing":          # a kelurahan that is not in Kota Metro
                edits["kelurahan"][i] = world.foreign_kel[v % len(world.foreign_kel)]
            elif kind == "salah_kec":    # a Metro kelurahan in the wrong kecamatan
                other = [k for k in range(len(world.kec_name)) if k != int(world.kel_kec[kel])]
                edits["kelurahan"][i] = world.kel_name[kel]
                edits["kecamatan"][i] = world.kec_name[other[v % len(other)]]
            else:                        # no kelurahan, and a kecamatan that is not in Kota Metro
                edits["kelurahan"][i] = ""
                edits["kecamatan"][i] = world.foreign_kec[v % len(world.foreign_kec)]
        if bits & BIT["program_tidak_dikenal"]:
            edits["kode_bantuan"][i] = world.foreign_codes[v % len(world.foreign_codes)]
            edits["nama_bantuan"][i] = world.foreign_programs[v % len(world.foreign_programs)]
        if bits & BIT["nominal_tidak_valid"]:
            n = turn("nominal_tidak_valid")
            kind, as_number = n % 4, xlsx_sheet[rows.sheet[i]] and n // 4 % 2 == 1
            if kind == 0:
                edits["nominal"][i] = ""
            elif kind == 1:
                edits["nominal"][i] = _BAD_NOMINAL_TEXT[n // 4 % len(_BAD_NOMINAL_TEXT)]
            elif kind == 2:
                edits["nominal"][i] = ("0", "Rp 0", "Rp0,00")[n // 4 % 3]
                if as_number:
                    number_cells[i] = 0
            else:
                edits["nominal"][i] = "-" + str(int(rows.nominal[i]))
                if as_number:
                    number_cells[i] = -int(rows.nominal[i])
    for key, changes in edits.items():
        if changes:
            idx = np.fromiter(changes, dtype=np.int64)
            text[key].iloc[idx] = list(changes.values())
            typed[key][idx] = False
    for i, value in number_cells.items():   # zero or negative as a number cell
        typed["nominal"][i] = True
        values["nominal"][i] = value
