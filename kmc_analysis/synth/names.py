"""Indonesian names for the synthetic population, by ethnic group, sex and generation."""

from __future__ import annotations

import numpy as np

# (first names, second names, share with a second name) per group, sex and era
# (era 0: born before 1985, 1: after). Metro was a Javanese colonisation settlement
# (1936), so Javanese names dominate; Lampung, Malay-Muslim, Sundanese, Balinese follow.
_NAMES: dict[str, dict[tuple[str, int], tuple[tuple[str, ...], tuple[str, ...], float]]] = {
    "jawa": {
        ("L", 0): (("Slamet", "Sugeng", "Suparman", "Sutrisno", "Suwarno", "Sukardi", "Sumarno", "Mujiono",
                    "Paijo", "Sarjono", "Tukiman", "Wagiman", "Ngadiman", "Parmin", "Suyono", "Karyono",
                    "Sudarmo", "Sukirno", "Tugiyo", "Marjuki", "Kasiman", "Sumadi", "Legiman", "Supardi",
                    "Darmaji", "Juwari", "Bambang", "Joko", "Heru", "Agus"),
                   ("Santoso", "Widodo", "Hartono", "Prayitno", "Purnomo", "Wiyono", "Raharjo", "Susilo",
                    "Utomo", "Sugiarto", "Suryadi", "Wibowo", "Setiawan", "Subagyo", "Riyadi"), 0.4),
        ("P", 0): (("Suparmi", "Sumarni", "Wartini", "Tumini", "Sulastri", "Suyati", "Partini", "Sukinem",
                    "Ngatini", "Tukiyem", "Painem", "Sarinah", "Sumiati", "Suwarni", "Rubiyem", "Legini",
                    "Katinem", "Mujiati", "Siti", "Sri", "Endang", "Sumini", "Marsini", "Darsih", "Warsini"),
                   ("Aminah", "Fatimah", "Rahayu", "Wahyuni", "Lestari", "Mulyani", "Handayani", "Astuti",
                    "Ningsih", "Suryani", "Rejeki"), 0.35),
        ("L", 1): (("Agus", "Budi", "Eko", "Dwi", "Wahyu", "Teguh", "Rizky", "Dimas", "Aditya", "Fajar",
                    "Bayu", "Arif", "Yoga", "Ilham", "Galih", "Bagus", "Rendi", "Angga", "Hendra", "Andika",
                    "Tri", "Danang", "Yusuf", "Rafi"),
                   ("Saputra", "Pratama", "Setiawan", "Kurniawan", "Nugroho", "Prasetyo", "Wijaya", "Hidayat",
                    "Ramadhan", "Febrianto", "Hermawan", "Susanto", "Gunawan", "Haryanto", "Santoso",
                    "Prabowo", "Wicaksono"), 0.85),
        ("P", 1): (("Dewi", "Rina", "Rini", "Putri", "Ayu", "Indah", "Fitri", "Wulan", "Dinda", "Intan", "Lia",
                    "Yuni", "Eka", "Tri", "Ratna", "Desi", "Novi", "Sri", "Dwi", "Nabila", "Anisa"),
                   ("Lestari", "Rahayu", "Wahyuni", "Handayani", "Kurniasih", "Anggraini", "Safitri",
                    "Puspitasari", "Wulandari", "Oktaviani", "Permatasari", "Maharani", "Susanti",
                    "Rahmawati", "Fitriani", "Utami", "Pertiwi"), 0.85),
    },
    "lampung": {
        ("L", 0): (("Rusli", "Syahrial", "Zainal", "Hasan", "Azhari", "Herman", "Syamsul", "Zulkarnain",
                    "Ansori", "Hasanuddin", "Ismail", "Darwis", "Ridwan", "Husin", "Rozali", "Amiruddin",
                    "Effendi", "Rifa'i", "Ma'ruf", "Syahbudin"),
                   ("Abidin", "Basri", "Bahri", "Hamid", "Yusuf", "Saleh", "Arsyad", "Hakim", "Ibrahim",
                    "Syarif", "Gelar Pangeran", "Gelar Minak"), 0.5),
        ("P", 0): (("Nurhayati", "Rosmiati", "Herawati", "Yusnani", "Maryati", "Rosidah", "Nurlela",
                    "Zubaidah", "Halimah", "Rohana", "Ernawati", "Yusmaniar", "Hayati", "Kholidah", "Ratu"),
                   ("Zahra", "Aini", "Nur'aini", "Hasanah", "Ratna Sari"), 0.2),
        ("L", 1): (("M.", "Muhammad", "Ahmad", "Rahmat", "Fikri", "Farhan", "Reza", "Rizal", "Fauzan",
                    "Hafiz", "Alif", "Zaki", "Rasyid"),
                   ("Firmansyah", "Syahputra", "Maulana", "Hakim", "Fauzi", "Rizki", "Akbar", "Ramadhan",
                    "Alamsyah", "Saputra", "Hidayatullah"), 0.9),
        ("P", 1): (("Nur", "Siti", "Aulia", "Salsabila", "Zahra", "Nadia", "Annisa", "Fadhila", "Khairunnisa",
                    "Syifa", "Mutiara"),
                   ("Azzahra", "Ramadhani", "Rahmadani", "Khoirunnisa", "Aprilia", "Hasanah", "Fitriani",
                    "Maharani"), 0.85),
    },
    "sunda": {
        ("L", 0): (("Asep", "Ujang", "Dede", "Cecep", "Dadang", "Engkos"), ("Sunarya", "Hidayat", "Permana",
                                                                             "Suryana", "Kurnia"), 0.7),
        ("P", 0): (("Euis", "Neneng", "Iis", "Entin", "Imas", "Cucu"), ("Komalasari", "Rohaeti", "Kurniasih"), 0.5),
        ("L", 1): (("Asep", "Dede", "Rizal", "Yudi", "Gilang"), ("Permana", "Ramdani", "Nugraha", "Gumilar"), 0.9),
        ("P", 1): (("Neng", "Rika", "Sinta", "Desi"), ("Nurjanah", "Rosdiana", "Sundari", "Komalasari"), 0.9),
    },
    "bali": {
        ("L", 0): (("I Wayan", "I Made", "I Ketut", "I Nyoman"), ("Sudarma", "Suparta", "Sukadana", "Artawan"), 1.0),
        ("P", 0): (("Ni Wayan", "Ni Made", "Ni Ketut", "Ni Nyoman"), ("Sumerti", "Suartini", "Ariani"), 1.0),
        ("L", 1): (("I Putu", "I Kadek", "I Komang", "I Gede"), ("Wirawan", "Adi Putra", "Suarjana"), 1.0),
        ("P", 1): (("Ni Putu", "Ni Kadek", "Ni Komang", "Ni Luh"), ("Ayu Lestari", "Dewi", "Sri Wahyuni"), 1.0),
    },
}
_NAME_GROUP_SHARE = {"jawa": 0.68, "lampung": 0.22, "sunda": 0.06, "bali": 0.04}


def draw_names(rng: np.random.Generator, female: np.ndarray, year: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Indonesian names by group, sex and generation, some with a hajj title or a degree."""
    size = len(female)
    groups = list(_NAME_GROUP_SHARE)
    group = rng.choice(len(groups), size, p=list(_NAME_GROUP_SHARE.values()))
    era = (year >= 1985).astype(int)
    out = np.empty(size, dtype=object)
    for g, gname in enumerate(groups):
        for sex in ("L", "P"):
            for e in (0, 1):
                mask = (group == g) & (female == (sex == "P")) & (era == e)
                n = int(mask.sum())
                if not n:
                    continue
                firsts, seconds, p_second = _NAMES[gname][(sex, e)]
                first = np.array(firsts, dtype=object)[rng.integers(len(firsts), size=n)]
                second = np.array(seconds, dtype=object)[rng.integers(len(seconds), size=n)]
                both = rng.random(n) < p_second
                out[mask] = np.where(both, first + " " + second, first)
    hajj = (age >= 45) & (rng.random(size) < 0.05)
    out[hajj] = np.where(female[hajj], "Hj. ", "H. ").astype(object) + out[hajj]
    degree = (age >= 25) & (age <= 60) & (rng.random(size) < 0.02)
    out[degree] = out[degree] + np.array([", S.Pd.", ", S.E.", ", A.Md.", ", S.Kep."], dtype=object)[
        rng.integers(4, size=int(degree.sum()))]
    return out
