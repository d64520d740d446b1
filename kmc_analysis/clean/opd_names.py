"""Which OPD sent a file, told from its name: for files stage 1 could not read at all.

OPDs name their files with their full name or the short name they use for themselves
(``BNBA Dinsos Maret 2024.xlsx``, ``Bag_Kesra_2024-03.csv``, ``Kec Metro Pusat.xlsx``).
A name that fits exactly one catalogue OPD decides; otherwise the OPD stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

#: Short names Kota Metro's OPDs use for themselves (full name in lower case -> short names).
OPD_SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "dinas pendidikan dan kebudayaan": ("Disdikbud", "Dikbud"),
    "dinas sosial": ("Dinsos",),
    "dinas kesehatan": ("Dinkes",),
    "dinas pemberdayaan perempuan, perlindungan anak, pengendalian penduduk dan keluarga berencana":
        ("DP3AP2KB", "DPPPAPPKB"),
    "satuan polisi pamong praja": ("Satpol PP", "Satpol"),
    "bagian kesejahteraan rakyat": ("Bag Kesra", "Kesra"),
    "dinas koperasi, umkm dan perindustrian": ("Diskopukmperin", "Diskop"),
    "dinas perumahan dan kawasan permukiman": ("Disperkim",),
    "dinas ketahanan pangan, pertanian dan perikanan": ("DKP3", "DKPPP"),
    "dinas tenaga kerja": ("Disnaker",),
    "dinas kepemudaan dan olahraga": ("Dispora",),
    "dinas komunikasi dan informatika": ("Diskominfo", "Kominfo"),
}


def _words(text: str) -> str:
    """Lower-case words separated by single spaces, every other character a separator."""
    return " " + " ".join(re.split(r"[^0-9a-z]+", text.lower())).strip() + " "


def opd_of_file_name(file_name: str, opds: Iterable[str]) -> str | None:
    """The one catalogue OPD whose full or short name appears in ``file_name``, else None."""
    stem = _words(PurePath(file_name).stem)
    found = set()
    for opd in set(opds):
        names = [opd, *OPD_SHORT_NAMES.get(" ".join(opd.lower().split()), ())]
        if opd.lower().startswith("kecamatan "):
            names.append("Kec " + opd[len("kecamatan "):])
        if any(_words(name).strip() and _words(name) in stem for name in names):
            found.add(opd)
    return found.pop() if len(found) == 1 else None
