"""Tests for kmc_analysis.core.personal_data: the personal-data scan of a published folder."""

from __future__ import annotations

import json
import random

import pytest

from kmc_analysis.core.personal_data import (
    _LETTERS,
    MAX_NAME_WORDS,
    PseudonymPrefixes,
    name_keys,
    names_a_person,
    normalise_name,
    scan_for_personal_data,
)

NIK = "1872015708900001"
NAME = "Siti O'Rahmawati"
PSEUDO = "a3f1" * 16


def test_scan_is_clean_on_clean_files(tmp_path):
    from openpyxl import Workbook

    (tmp_path / "laporan.html").write_text("<p>Penerima unik 1.657; capaian 12,34%</p>")
    wb = Workbook()
    wb.active.append(["Kelurahan", "Capaian"])
    wb.active.append(["Metro", 0.9876543210987654])  # a fraction with 16 decimals is not a NIK
    wb.save(tmp_path / "laporan.xlsx")
    assert scan_for_personal_data(tmp_path, [NIK], [NAME], [PSEUDO]) == []


def test_scan_finds_leaks_in_every_format(tmp_path):
    from openpyxl import Workbook

    (tmp_path / "a.html").write_text("<td>Siti O&#39;Rahmawati</td>")  # escaped name
    wb = Workbook()
    wb.active.append(["NIK", int(NIK)])  # NIK stored as a number
    wb.save(tmp_path / "b.xlsx")
    nb = {"cells": [{"outputs": [{"text": f"id {PSEUDO[:16]}"}]}]}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "c.ipynb").write_text(json.dumps(nb))
    (tmp_path / "d.csv").write_text("x\n9999999999999999\n")  # an unknown 16-digit number
    findings = scan_for_personal_data(tmp_path, [NIK], [NAME], [PSEUDO])
    joined = "\n".join(findings)
    assert "a.html: nama" in joined
    assert "b.xlsx: NIK" in joined
    assert "c.ipynb: pseudonim" in joined.replace("notebooks/", "")
    assert "d.csv: 1 angka 16 digit" in joined
    assert NIK not in joined and PSEUDO not in joined  # findings do not repeat what they found


def test_a_pseudonym_is_found_whether_given_whole_padded_upper_case_or_already_cut(tmp_path):
    (tmp_path / "catatan.md").write_text(f"lihat {PSEUDO[:20]}")
    for given in ([PSEUDO], [f"  {PSEUDO.upper()} "], PseudonymPrefixes.of([PSEUDO])):
        assert scan_for_personal_data(tmp_path, pseudonyms=given) == ["catatan.md: pseudonim a3f1…"]
    assert PseudonymPrefixes.of([f" {PSEUDO.upper()}", "a3f1", None]) == {PSEUDO[:16]}  # too short: never matched
    assert scan_for_personal_data(tmp_path, pseudonyms=PseudonymPrefixes.of(["b" * 64])) == []


def test_a_nik_or_pseudonym_written_in_groups_in_a_program_or_opd_name_is_found(tmp_path):
    # Black-box attack 13: a catalogue program "Bantuan 1872 0101 0190 0000" (and dots, dashes) or "Beasiswa B893
    # 4300 65D1 3B7C" was published with exit 0: the scan looked for 16 digits or hex characters in a row only.
    for number, separator in enumerate([" ", ".", "-", "_", "&nbsp;"]):
        written = separator.join(NIK[i:i + 4] for i in range(0, 16, 4))  # 1872 0157 0890 0001
        (tmp_path / f"program{number}.html").write_text(f"<td>Bantuan {written}</td>")
    (tmp_path / "opd.html").write_text("<td>Beasiswa " + " ".join(PSEUDO[i:i + 4].upper() for i in range(0, 16, 4))
                                       + "</td><td>Rp1.500.000</td><td>2024-03-31 2024-04-01</td>")
    findings = scan_for_personal_data(tmp_path, [NIK], [], [PSEUDO])
    assert sorted(findings) == sorted([*(f"program{n}.html: NIK 1872…" for n in range(5)), "opd.html: pseudonim a3f1…"])


def test_an_accepted_niks_digits_in_any_grouping_are_found_by_their_pseudonym(tmp_path):
    # Black-box recheck 14: an accepted recipient's NIK (kept only as its pseudonym) written with commas, slashes,
    # non-breaking spaces, soft hyphens or zero-width spaces in a program name was published with exit 0.
    import hmac

    def pseudonym_of(number: str) -> str:
        return hmac.new(b"kunci-uji-0123456789", number.encode(), "sha256").hexdigest()

    def pseudonyms_of(numbers: list[str]) -> list[str]:
        return [pseudonym_of(number) for number in numbers]

    for number, separator in enumerate([",", "/", "\u00a0", "\u00ad", "\u200b", ", ", "."]):
        written = separator.join(NIK[i:i + 4] for i in range(0, 16, 4))
        (tmp_path / f"program{number}.html").write_text(f"<td>Bantuan {written}</td>", encoding="utf-8")
    (tmp_path / "opd.html").write_text("<td>Dinas " + "\u200b".join(PSEUDO[i:i + 4] for i in range(0, 24, 4))
                                       + "</td>", encoding="utf-8")
    (tmp_path / "tabel.html").write_text("<td>1872</td><td>0157</td><td>0890</td><td>0001</td><td>Rp1.500.000 2024 "
                                         "2025 2026 2027</td>", encoding="utf-8")  # cells and years: no NIK
    findings = scan_for_personal_data(tmp_path, [], [], [pseudonym_of(NIK), PSEUDO], pseudonyms_of=pseudonyms_of)
    assert sorted(findings) == sorted([*(f"program{n}.html: NIK 1872…" for n in range(7)), "opd.html: pseudonim a3f1…"])


def test_a_placeholder_nik_of_the_quarantine_is_not_found_in_sixteen_zeros_of_a_table(tmp_path):
    # Joining digit groups for the month's NIKs must not stop a run because a quarantined row held the
    # placeholder 0000000000000000 and a map's data or a table row shows sixteen zeros side by side.
    (tmp_path / "peta.html").write_text("<script>var n = [" + ", ".join(["0"] * 20) + "];</script>")
    assert scan_for_personal_data(tmp_path, ["0000000000000000", "1111111111111111"]) == []
    (tmp_path / "catatan.html").write_text("<p>0000000000000000</p>")
    findings = scan_for_personal_data(tmp_path, ["0000000000000000"])
    assert "catatan.html: NIK 0000…" in findings and not [f for f in findings if f.startswith("peta.html")]


def test_a_formula_of_digits_typed_as_a_name_does_not_stop_a_clean_report(tmp_path):
    # A quarantined row's Nama cell "=1+1" became the "name" "1 1", found in any row of numbers.
    (tmp_path / "laporan.html").write_text("<p>Santunan Kematian 1 1 penerima</p>")
    assert scan_for_personal_data(tmp_path, names=["=1+1", "+1+1", "\t=1+1"]) == []
    assert scan_for_personal_data(tmp_path, names=["=Kematian+1"]) != []  # letters still count


@pytest.mark.parametrize("text, person", [
    ("Susulan Bpk Hartono Wijayakusuma", True), ("Ibu Ratna Dewi Anggraini", True),
    ("KTP Sri Handayani Prawirodirjo", True), ("KTP_1872**********99_Suparjo", True), ("Santunan a.n. Budi", True),
    ("SUSULAN BPK HARTONO", True), ("Hj Siti Aminah", True),
    ("Dinkes_Bantuan_Transportasi_Rujukan_Ibu_2024-03", False), ("Rujukan Ibu Hamil", False),
    ("KTP dan KK", False), ("BNBA Dinsos Maret 2024", False), ("Surat Pengantar Dinas Sosial", False),
    ("KK_Miskin", False), ("Insentif Ketua RT", False), ("Data Bantuan Hibah", False),
])
def test_a_file_name_with_an_honorific_or_identity_paper_before_a_word_names_a_person(text, person):
    # OPDs name files after people not in the month's rows ("Susulan Bpk Hartono.csv"): the report printed them
    assert names_a_person(text) is person


HOSTILE_NAMES = ["Budi Santoso", "budi  santoso", " Budi", "O'Neil Ratna", "Siti Nur'aini", "ÉDOUARD Lefèvre",
                 "İbrahim", "ab", "a b", "12 34", "=1+1", "Ani_Budi", "Budi\tSantoso", "Sri", "S r i", "a b c d e f",
                 "a b c d e f g", "Metro Pusat", "metro pusat", "Hj. Siti", "ß Straße", "ǅemal", "Ω Ωmega", "xxx",
                 "Ka", "KA Ri", "", "  ", "Dewi 5", "5 5 5", "Ⅻ king", "ﬁona", "AB1", "1ab", "Budi Santoso'",
                 "Rahmat\u00a0Hidayat", "Budi\u200bSantoso", 1872, None]


def _name_keys_one_by_one(names, public_words=()):
    """name_keys as it was written before the month's names were keyed in Arrow (the definition)."""
    public = {normalise_name(w) for w in public_words}
    return {key: str(n) for n in names if len(key := normalise_name(n)) >= 3 and key not in public
            and len(key.split()) <= MAX_NAME_WORDS and _LETTERS.search(key)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_name_keys_equal_normalising_name_by_name_whatever_the_names(seed):
    rng = random.Random(seed)
    names = [rng.choice(HOSTILE_NAMES) for _ in range(300)]
    names += [f"{rng.choice(HOSTILE_NAMES)}{rng.choice(['', ' X', 's', ' 7'])}" for _ in range(300)]
    public = ["Metro Pusat", "Sri", "Dinas Sosial"]
    keyed = name_keys(names, public)
    assert list(keyed.items()) == list(_name_keys_one_by_one(names, public).items())
    # keyed once, then asked again with public words: the same as keying with them
    assert list(name_keys(name_keys(names), public).items()) == list(keyed.items())
    assert name_keys([]) == {} and name_keys(iter(["Ñoño Pérez"])) == _name_keys_one_by_one(["Ñoño Pérez"])


@pytest.mark.parametrize("written", [
    "Sin\u200bta Sundari", "Sin\u00adta Sundari", "Sínta Sundari", "Si\u0301nta Sundari", "\u0405inta Sundari",
    "Ｓｉｎｔａ Sundari", "SINTA\u00a0\u00a0sundari", "Sinta_Sundari"])
def test_a_recipients_name_written_to_look_the_same_is_still_found(tmp_path, written):
    # attack 20: a program or file name holding a recipient's name with a zero-width space, a soft hyphen, an
    # accent (composed or not), a Cyrillic look-alike or full-width letters was published with exit 0
    (tmp_path / "laporan.html").write_text(f"<td>{written}</td>", encoding="utf-8")
    assert scan_for_personal_data(tmp_path, names=["Sinta Sundari"]) == ["laporan.html: nama S…"]
    for apostrophe in ("Ma\u2019ruf Syarif", "Maruf Syarif", "SintaSundari"):  # curly, left out, camel case
        (tmp_path / "laporan.html").write_text(f"<td>{apostrophe}</td>", encoding="utf-8")
        found = scan_for_personal_data(tmp_path, names=["Ma'ruf Syarif", "Sinta Sundari"])
        assert len(found) == 1 and found[0].startswith("laporan.html: nama"), apostrophe


def test_a_recipient_named_like_part_of_a_published_place_is_found_only_outside_it(tmp_path):
    # attack 20: a recipient called "Agung" made every report naming the kelurahan Ganjar Agung a finding
    places = ["Ganjar Agung", "Metro Pusat"]
    (tmp_path / "laporan.html").write_text("<td>Ganjar Agung</td><td>Metro Pusat</td>", encoding="utf-8")
    assert scan_for_personal_data(tmp_path, names=["Agung", "Pusat"], place_names=places) == []
    (tmp_path / "catatan.html").write_text("<p>Penerima Agung, Ganjar Agung</p>", encoding="utf-8")
    assert scan_for_personal_data(tmp_path, names=["Agung"], place_names=places) == ["catatan.html: nama A…"]
    # a program's name is typed by people: a recipient's name inside one is found
    (tmp_path / "program.html").write_text("<td>Bantuan Sinta Sundari</td>", encoding="utf-8")
    found = scan_for_personal_data(tmp_path, names=["Sinta Sundari"], place_names=places,
                                   public_words=[*places, "Bantuan Sinta Sundari"])
    assert found == ["program.html: nama S…"]


def test_a_file_named_after_a_recipient_in_camel_case_holds_the_name():
    # attack 20: Disdikbud_SintaSundari_2024-03.csv was published in the quality tables
    from kmc_analysis.core.personal_data import contains_name

    keys = name_keys(["Sinta Sundari"])
    assert contains_name("Disdikbud_SintaSundari_2024-03.csv", keys)
    assert contains_name("Disdikbud_Sinta_Sundari_2024-03.csv", keys)
    assert not contains_name("Disdikbud_Maret_2024-03.csv", keys)


def test_a_recipients_name_of_several_words_typed_as_one_is_found():
    # attack 21: a program "Bantuan sintamaharani" was published for the recipient Sinta Maharani
    from kmc_analysis.core.personal_data import contains_name

    keys = name_keys(["Sinta Maharani", "Ali Asa"])
    assert contains_name("Bantuan sintamaharani", keys) and contains_name("Disdikbud_SINTAMAHARANI.csv", keys)
    assert not contains_name("Bantuan aliasa", keys)  # too short to be told from a word
    # and the last check refuses it in a published file
    assert scan_for_personal_data_in_text("<td>Bantuan sintamaharani</td>", ["Sinta Maharani"]) == ["a.html: nama S…"]


def scan_for_personal_data_in_text(text: str, names: list[str]) -> list[str]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "a.html").write_text(text, encoding="utf-8")
        return scan_for_personal_data(folder, names=names)
