"""The synthetic population of Kota Metro: NIKs, family cards, birth dates, names and addresses.

The same city for every seed and month (its own random streams, block by block), so
recipients recur from month to month as they do in real data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from kmc_analysis.synth.names import draw_names
from kmc_analysis.synth.world import World

#: Share of people first registered (NIK prefix) outside the city.
OUTSIDE_SHARE = 0.08
#: The synthetic city is the same for every seed: its random stream, reference day and block size.
_CITY_SEED = 1872
_CITY_DATE = np.datetime64("2024-01-01")
_BLOCK = 20_000

#: Streets of Kota Metro and common alleys.
STREETS = (
    "Jl. Jend. Sudirman", "Jl. A.H. Nasution", "Jl. Ki Hajar Dewantara", "Jl. Brigjen Sutiyoso",
    "Jl. Imam Bonjol", "Jl. Ahmad Yani", "Jl. Soekarno-Hatta", "Jl. Pattimura", "Jl. Hasanudin",
    "Jl. Diponegoro", "Jl. Kartini", "Jl. Raya Stadion", "Jl. Veteran", "Jl. Sumbawa", "Jl. Bali",
    "Jl. Pramuka", "Jl. Budi Utomo", "Jl. Ki Arsyad", "Jl. Dr. Sutomo", "Jl. Wolter Monginsidi",
    "Jl. Kenanga", "Jl. Mawar", "Jl. Melati", "Jl. Cempaka", "Jl. Anggrek", "Jl. Flamboyan",
    "Jl. Sriwijaya", "Jl. Jambu", "Jl. Manggis", "Jl. Durian", "Gg. Masjid", "Gg. Mushola",
    "Gg. Kenari", "Gg. Sawo", "Gg. Pepaya", "Jl. Kemiri", "Jl. Merbabu", "Jl. Semeru",
)

#: Kab/kota codes (NIK digits 1-4) where people now in Metro were first registered,
#: with weights: neighbouring Lampung kabupaten first, then the Javanese home regions
#: of the colonisation settlers (Bantul, Gunungkidul, Kebumen ...).
_OUTSIDE_REGIONS = (
    (1802, 12), (1807, 12), (1871, 8), (1801, 4), (1803, 3), (1804, 2), (1805, 2), (1806, 2),
    (1808, 2), (1809, 2), (1810, 2), (1811, 1), (1812, 1), (1813, 1),
    (3402, 6), (3403, 4), (3305, 3), (3306, 3), (3309, 2), (3311, 2), (3312, 3), (3313, 2),
    (3504, 2), (3507, 2), (3201, 2), (3204, 1), (3171, 1), (3174, 1),
)


@dataclass
class People:
    """The synthetic population: one entry per person."""

    nik: np.ndarray
    female: np.ndarray
    birth: np.ndarray       # datetime64[D]
    kel: np.ndarray
    name: np.ndarray        # object array of str
    no_kk: np.ndarray       # object array of str
    street: np.ndarray
    house: np.ndarray
    rt: np.ndarray
    rw: np.ndarray
    key: np.ndarray         # a random uint64 per person: their place on every program's roster

    def age_at(self, day: np.datetime64) -> np.ndarray:
        """Age in whole years on ``day`` (negative for people not yet born)."""
        return np.floor((day - self.birth).astype(np.int64) / 365.25).astype(np.int64)


def draw_people(world: World, size: int) -> People:
    """The city's first ``size`` residents, with unique, structurally valid NIKs.

    The population does not depend on the seed or the period: every month of every seed
    is paid out to the same synthetic city, so recipients recur from month to month as
    they do in real data. It is built in blocks with their own random streams, so a
    larger population extends a smaller one instead of replacing it.
    """
    blocks = [_people_block(world, b) for b in range(-(-size // _BLOCK))]
    nik = np.concatenate([b["nik"] for b in blocks])
    for attempt in itertools.count():   # unique NIKs: the first occurrence keeps its serial, later ones redraw
        _, first = np.unique(nik, return_index=True)
        repeat = np.ones(len(nik), dtype=bool)
        repeat[first] = False
        if not repeat.any():
            break
        for b in np.unique(np.flatnonzero(repeat) // _BLOCK).tolist():
            idx = b * _BLOCK + np.flatnonzero(repeat[b * _BLOCK:(b + 1) * _BLOCK])
            rng = np.random.default_rng([_CITY_SEED, b, 1, attempt])
            nik[idx] = nik[idx] - nik[idx] % 10_000 + rng.integers(1, 10_000, len(idx))
    fields = {k: np.concatenate([b[k] for b in blocks])[:size] for k in blocks[0] if k != "nik"}
    return People(nik=nik[:size], **fields)


def _people_block(world: World, block: int) -> dict[str, np.ndarray]:
    """One block of ``_BLOCK`` residents drawn from the block's own random stream."""
    rng = np.random.default_rng([_CITY_SEED, block])
    size = _BLOCK
    kel = rng.choice(len(world.kel_name), size=size, p=world.kel_weight)
    kec = world.kel_kec[kel]
    female = rng.random(size) < 0.5
    age_weight = np.where(np.arange(90) < 40, 1.0, 1.0 - (np.arange(90) - 40) / 60)
    age = rng.choice(90, size=size, p=age_weight / age_weight.sum())
    birth = _CITY_DATE - (age * 365.25 + rng.integers(1, 365, size)).astype(np.int64).astype("timedelta64[D]")
    day, month, year = _dmy(birth)

    local = rng.random(size) >= OUTSIDE_SHARE
    moved = rng.random(size) < 0.15
    own_kec = np.where(moved, rng.integers(len(world.kec_name), size=size), kec)
    prefix = world.kec_prefix[own_kec]
    local_kab = {int(p) // 100 for p in world.kec_prefix}
    regions = [(r, w) for r, w in _OUTSIDE_REGIONS if r not in local_kab]
    region_w = np.array([w for _, w in regions], dtype=float)
    region = rng.choice(len(regions), size, p=region_w / region_w.sum())
    outside = np.array([r for r, _ in regions], dtype=np.int64)[region]
    prefix = np.where(local, prefix, outside * 100 + rng.integers(1, 21, size))
    nik = (prefix * 10**10 + (day + 40 * female) * 10**8 + month * 10**6 + (year % 100) * 10**4
           + rng.integers(1, 3000, size))

    issue = np.datetime64("2005-01-01") + rng.integers(0, 365 * 18, size).astype("timedelta64[D]")
    iday, imonth, iyear = _dmy(issue)
    kk = (world.kec_prefix[kec] * 10**10 + iday * 10**8 + imonth * 10**6 + (iyear % 100) * 10**4
          + rng.integers(1, 9999, size))
    return {
        "nik": nik, "female": female, "birth": birth, "kel": kel, "name": draw_names(rng, female, year, age),
        "no_kk": kk.astype(str).astype(object), "street": rng.integers(len(STREETS), size=size),
        "house": rng.integers(1, 160, size), "rt": rng.integers(1, 25, size), "rw": rng.integers(1, 9, size),
        "key": rng.integers(0, np.iinfo(np.int64).max, size, dtype=np.int64).astype(np.uint64),
    }


def _dmy(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, month and year of datetime64[D] values as int64 arrays."""
    y = days.astype("datetime64[Y]")
    m = days.astype("datetime64[M]")
    day = (days - m).astype(np.int64) + 1
    month = (m - y).astype(np.int64) + 1
    year = y.astype(np.int64) + 1970
    return day, month, year
