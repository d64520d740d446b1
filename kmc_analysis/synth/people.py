"""The synthetic population of Kota Metro: households, NIKs, family cards, birth dates, names, addresses.

People live in households (one family card, NOMOR KK, shared by all its members: a head,
often a spouse, children, now and then an elderly parent) at one address in one
kelurahan. About 7 % of the residents live in poor households, the ones the city's DTKS
lists. The population is the same for every seed and month (its own random streams,
block by block), so recipients recur from month to month as they do in real data.
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
CITY_SEED = 1872
CITY_DATE = np.datetime64("2024-01-01")
_BLOCK = 20_000
#: Household roles.
HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 3
#: Share of households that are poor (DTKS), per kecamatan in wilayah order, cycled.
_POOR_SHARE = (0.055, 0.07, 0.085, 0.06, 0.075)

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

#: Kab/kota codes (NIK digits 1-4) where people now in Metro were first registered, with
#: weights and names: neighbouring Lampung kabupaten first, then the Javanese home regions
#: of the colonisation settlers (Bantul, Gunungkidul, Kebumen ...).
OUTSIDE_REGIONS = (
    (1802, 12, "Lampung Tengah"), (1807, 12, "Lampung Timur"), (1871, 8, "Bandar Lampung"),
    (1801, 4, "Lampung Selatan"), (1803, 3, "Lampung Utara"), (1804, 2, "Lampung Barat"),
    (1805, 2, "Tulang Bawang"), (1806, 2, "Tanggamus"), (1808, 2, "Way Kanan"), (1809, 2, "Pesawaran"),
    (1810, 2, "Pringsewu"), (1811, 1, "Mesuji"), (1812, 1, "Tulang Bawang Barat"), (1813, 1, "Pesisir Barat"),
    (3402, 6, "Bantul"), (3403, 4, "Gunungkidul"), (3305, 3, "Kebumen"), (3306, 3, "Purworejo"),
    (3309, 2, "Boyolali"), (3311, 2, "Sukoharjo"), (3312, 3, "Wonogiri"), (3313, 2, "Karanganyar"),
    (3504, 2, "Tulungagung"), (3507, 2, "Malang"), (3201, 2, "Bogor"), (3204, 1, "Bandung"),
    (3171, 1, "Jakarta Selatan"), (3174, 1, "Jakarta Barat"),
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
    household: np.ndarray   # household number (shared by the members of a family card)
    role: np.ndarray        # HEAD, SPOUSE, CHILD or PARENT
    poor: np.ndarray        # lives in a poor household: listed in DTKS
    region: np.ndarray      # NIK digits 1-4: where the person was first registered

    def __len__(self) -> int:
        return len(self.nik)

    def age_on(self, day: np.datetime64) -> np.ndarray:
        """Age in completed years on ``day`` (negative for people not born yet)."""
        bd, bm, by = _dmy(self.birth)
        d, m, y = (int(v[0]) for v in _dmy(np.array([np.datetime64(day, "D")])))
        before_birthday = (m < bm) | ((m == bm) & (d < bd))
        return y - by - before_birthday.astype(np.int64)


def draw_people(world: World, size: int) -> People:
    """The city's first ``size`` residents (whole households), with unique, structurally valid NIKs.

    The population does not depend on the seed or the period: every month of every seed
    is paid out to the same synthetic city. It is built in blocks with their own random
    streams, so a larger population extends a smaller one instead of replacing it.
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
            rng = np.random.default_rng([CITY_SEED, b, 1, attempt])
            nik[idx] = nik[idx] - nik[idx] % 10_000 + rng.integers(1, 10_000, len(idx))
    fields = {k: np.concatenate([b[k] for b in blocks])[:size] for k in blocks[0] if k != "nik"}
    return People(nik=nik[:size], **fields)


def _households(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Household number, role, age and sex of ``size`` people living in families."""
    sizes = rng.choice(np.arange(1, 8), size=size, p=[0.12, 0.2, 0.22, 0.22, 0.13, 0.07, 0.04])
    ends = np.cumsum(sizes)
    n_house = int(np.searchsorted(ends, size)) + 1
    sizes, ends = sizes[:n_house].copy(), ends[:n_house]
    sizes[-1] -= ends[-1] - size
    household = np.repeat(np.arange(n_house), sizes)
    member = np.arange(size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    house_size = sizes[household]

    ages = np.arange(20, 90)
    weight = np.where(ages < 55, 1.0, np.maximum(1.0 - (ages - 55) / 40, 0.05))
    head_age = rng.choice(ages, size=n_house, p=weight / weight.sum())[household]
    couple = (rng.random(n_house) < 0.82)[household]
    last_is_parent = (rng.random(n_house) < 0.15)[household]

    role = np.full(size, CHILD)
    role[member == 0] = HEAD
    role[(member == 1) & couple] = SPOUSE
    parent = (member == house_size - 1) & (house_size >= 3) & last_is_parent & (head_age <= 62)
    role[parent] = PARENT

    age = np.where(role == HEAD, head_age, 0)
    spouse = role == SPOUSE
    age[spouse] = np.clip(head_age[spouse] + rng.integers(-7, 4, int(spouse.sum())), 18, 89)
    child = role == CHILD
    age[child] = np.floor(rng.random(int(child.sum())) * (head_age[child] - 17)).astype(np.int64)
    age[parent] = np.minimum(head_age[parent] + rng.integers(20, 30, int(parent.sum())), 89)

    head_female = (rng.random(n_house) < 0.14)[household]
    female = np.where(role == HEAD, head_female, rng.random(size) < 0.5)
    female[spouse] = ~head_female[spouse]
    female[parent] = rng.random(int(parent.sum())) < 0.65
    return household, role, age, female


def _people_block(world: World, block: int) -> dict[str, np.ndarray]:
    """One block of ``_BLOCK`` residents drawn from the block's own random stream."""
    rng = np.random.default_rng([CITY_SEED, block])
    size = _BLOCK
    household, role, age, female = _households(rng, size)
    n_house = int(household[-1]) + 1
    kel = rng.choice(len(world.kel_name), size=n_house, p=world.kel_weight)[household]
    kec = world.kel_kec[kel]
    birth = CITY_DATE - (age * 365.25 + rng.integers(1, 365, size)).astype(np.int64).astype("timedelta64[D]")
    day, month, year = _dmy(birth)

    local = rng.random(size) >= OUTSIDE_SHARE
    moved = rng.random(size) < 0.15
    own_kec = np.where(moved, rng.integers(len(world.kec_name), size=size), kec)
    prefix = world.kec_prefix[own_kec]
    local_kab = {int(p) // 100 for p in world.kec_prefix}
    regions = [(r, w) for r, w, _ in OUTSIDE_REGIONS if r not in local_kab]
    region_w = np.array([w for _, w in regions], dtype=float)
    region = rng.choice(len(regions), size, p=region_w / region_w.sum())
    outside = np.array([r for r, _ in regions], dtype=np.int64)[region]
    prefix = np.where(local, prefix, outside * 100 + rng.integers(1, 21, size))
    nik = (prefix * 10**10 + (day + 40 * female) * 10**8 + month * 10**6 + (year % 100) * 10**4
           + rng.integers(1, 3000, size))

    issue = np.datetime64("2005-01-01") + rng.integers(0, 365 * 18, n_house).astype("timedelta64[D]")
    iday, imonth, iyear = _dmy(issue)
    house_kec = kec[np.searchsorted(household, np.arange(n_house))]
    kk = (world.kec_prefix[house_kec] * 10**10 + iday * 10**8 + imonth * 10**6 + (iyear % 100) * 10**4
          + rng.integers(1, 9999, n_house))
    poor_share = np.array(_POOR_SHARE)[house_kec % len(_POOR_SHARE)]
    heads = np.searchsorted(household, np.arange(n_house))
    elderly_alone = np.bincount(household, minlength=n_house) == 1
    elderly_alone &= age[heads] >= 60
    poor = (rng.random(n_house) < poor_share * np.where(elderly_alone, 2.0, 1.0))[household]
    return {
        "female": female, "birth": birth, "kel": kel, "name": draw_names(rng, female, year, age),
        "no_kk": kk.astype(str).astype(object)[household],
        "street": rng.integers(len(STREETS), size=n_house)[household],
        "house": rng.integers(1, 160, n_house)[household], "rt": rng.integers(1, 25, n_house)[household],
        "rw": rng.integers(1, 9, n_house)[household],
        "key": rng.integers(0, np.iinfo(np.int64).max, size, dtype=np.int64).astype(np.uint64),
        "household": (household + block * _BLOCK).astype(np.int32), "role": role.astype(np.int8), "poor": poor,
        "region": (prefix // 100).astype(np.int32), "nik": nik,
    }


def _dmy(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, month and year of datetime64[D] values as int64 arrays."""
    y = days.astype("datetime64[Y]")
    m = days.astype("datetime64[M]")
    day = (days - m).astype(np.int64) + 1
    month = (m - y).astype(np.int64) + 1
    year = y.astype(np.int64) + 1970
    return day, month, year
