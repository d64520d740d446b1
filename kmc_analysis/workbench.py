"""The analyst's workbench: one call loads a processed month (or year) as typed tables without NIK.

In a fresh notebook::

    from kmc_analysis import load_month, load_year

    bulan = load_month("2024-03")            # finds data/processed from notebooks/ or anywhere below the project
    bulan.penerima                           # accepted rows: id_penerima, kode_bantuan, kelurahan, nominal, ...
    bulan.rekap_kecamatan                    # every table of the processed month, by its file name
    tahun = load_year(2024)                  # every processed month of 2024, with a ``periode`` column

Everything is read through :mod:`kmc_analysis.core.store`, lazily (a table is read the
first time it is asked for, then kept) and only with the columns an analyst may see:

- ``nik`` is never read: a processed folder does not even hold it, and the quarantine's
  original cells (which do) are never read: ``karantina_ringkas`` is the provenance and
  the reasons only.
- ``nama`` and ``nik_tersamar`` are personal data too (UU 27/2022): a name identifies a
  person directly, and a masked NIK still gives the place of registration and the birth
  date. They are left out unless ``include_personal=True`` is asked for explicitly, for a
  check with an OPD; a notebook that asks must never be shared or committed with outputs.
- ``id_penerima`` (a keyed pseudonym of the NIK) stays: it is what counts one person once
  across programs and months. It is still personal data: never publish it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmc_analysis.core import store
from kmc_analysis.core.errors import InputError
from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import PERIOD_PATTERN, Period
from kmc_analysis.core.project import project_folder

#: Columns a processed table may carry that identify a person: never loaded by default.
PERSONAL_COLUMNS = frozenset({"nik", "nik_tersamar", "nama", "no_kk", "alamat", "tanggal_lahir", "rt", "rw"})
#: The personal columns ``include_personal=True`` adds; every other one is never loaded.
OPT_IN_COLUMNS = frozenset({"nama", "nik_tersamar"})
#: The quarantine as the workbench shows it: provenance and reasons, never the original cells.
KARANTINA_RINGKAS = "karantina_ringkas"


class MissingMonthsWarning(UserWarning):
    """A year's table leaves out months that lack it (a stage not run for them)."""


def table_files() -> dict[str, store.TableFile]:
    """Every table a processed period folder can hold, by the attribute name it has on a Month."""
    return {KARANTINA_RINGKAS if value is store.KARANTINA else value.key: value
            for value in vars(store).values() if isinstance(value, store.TableFile)}


def _as_period(period: str | Period) -> Period:
    return period if isinstance(period, Period) else Period.parse(str(period).strip())


def _visible_columns(table: store.TableFile, include_personal: bool) -> list[str]:
    allowed = OPT_IN_COLUMNS if include_personal else frozenset()
    return [c for c in table.column_names if c not in PERSONAL_COLUMNS or c in allowed]


def processed_periods(processed_dir: str | Path | None = None) -> list[str]:
    """The months (``YYYY-MM``) with a finished stage 1 in the processed folder, oldest first.

    ``processed_dir`` None means ``$KMC_PROCESSED_DIR``, else ``data/processed`` of the
    project folder found from the working directory (:mod:`kmc_analysis.core.project`).
    """
    root = project_folder("processed", processed_dir, must_exist=True)
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and PERIOD_PATTERN.match(p.name) and store.has_manifest(p))


@dataclass(frozen=True)
class Month:
    """One processed month: each table of its folder as an attribute, read on first use.

    ``penerima`` (accepted rows without nama and nik_tersamar), ``karantina_ringkas``
    (sumber_file, sumber_sheet, sumber_baris, alasan), ``rekap_opd``, ``rekap_kecamatan``,
    ``rekap_kelurahan``, ``rekap_program``, ``rekap_kategori_kelurahan``,
    ``rekap_tumpang_tindih``, ``kombinasi_program``, ``perubahan_kecamatan``, ``evaluasi_rpjmd``,
    ``evaluasi_program``, ``evaluasi_opd``, ``tren_bulanan``, ``tren_rpjmd`` and any table
    the store declares later, under its file name; ``manifest`` is the month's manifest.json
    as a dict. ``tabel_tersedia`` lists the tables the folder holds: stage 1 writes
    penerima, karantina and rekap_opd; stages 2 and 3 the rest (a month cleaned only for
    year-to-date figures has stage 1's tables alone).
    """

    period: Period
    folder: Path
    include_personal: bool = False
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` (``rekap_kecamatan``, ``penerima``, ...), typed as the store declares it."""
        if name not in self._cache:
            tables = table_files()
            if name not in tables:
                raise ValueError(f"Tidak ada tabel bernama {name!r}. Tabel yang dikenal: {', '.join(sorted(tables))}.")
            table = tables[name]
            if not store.has(self.folder, table):
                raise InputError(self._missing_message(name, table))
            self._cache[name] = store.read_table(self.folder, table,
                                                 columns=_visible_columns(table, self.include_personal))
        return self._cache[name].copy(deep=False)  # copy-on-write: an analyst's edit never changes the cache

    @property
    def penerima(self) -> pd.DataFrame:
        """Accepted rows: id_penerima, kode_bantuan, opd, wilayah, nominal, tanggal_salur, provenance."""
        return self.table(store.PENERIMA.key)

    @property
    def karantina_ringkas(self) -> pd.DataFrame:
        """Quarantined rows: sumber_file, sumber_sheet, sumber_baris, alasan (never the original cells)."""
        return self.table(KARANTINA_RINGKAS)

    @property
    def manifest(self) -> dict:
        """The month's manifest.json: inputs, counts, skipped and rejected files, key_id, versions, stages."""
        if "manifest" not in self._cache:
            self._cache["manifest"] = store.read_manifest(self.folder)
        return self._cache["manifest"]

    @property
    def tabel_tersedia(self) -> list[str]:
        """The tables this month's folder holds, by attribute name."""
        return [name for name, table in table_files().items() if store.has(self.folder, table)]

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_") or name not in table_files():
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        return self.table(name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *table_files()})

    def __repr__(self) -> str:
        counts = self.manifest.get("counts", {})
        figures = ", ".join(f"{format_number(counts[key])} {label}" for key, label in
                            (("rows_read", "baris dibaca"), ("rows_accepted", "diterima"),
                             ("rows_quarantined", "dikarantina")) if key in counts)
        return (f"<Bulan {self.period.in_words()} ({self.folder}): {figures or 'jumlah baris tidak tercatat'}; "
                f"tabel: {', '.join(self.tabel_tersedia)}>")

    def _missing_message(self, name: str, table: store.TableFile) -> str:
        return (f"Tabel {name} tidak ada untuk bulan {self.period} ({self.folder / table.name}): tabel itu ditulis "
                f"{store.STAGE_NAMES.get(table.stage, f'tahap {table.stage}')}. Jalankan `kmc run --period "
                f"{self.period}` (bulan yang hanya diolah untuk angka tahun berjalan punya tabel tahap 1 saja; "
                f"perubahan_kecamatan hanya ada bila bulan sebelumnya sudah diolah). "
                f"Tabel yang ada: {', '.join(self.tabel_tersedia) or 'tidak ada'}.")


@dataclass(frozen=True)
class Year:
    """Every processed month of a year: each table is the months' tables stacked, ``periode`` first.

    The same attributes as :class:`Month` (``penerima``, ``karantina_ringkas``,
    ``rekap_kecamatan``, ...), each with a ``periode`` column (``YYYY-MM``); ``manifest``
    maps each periode to its manifest; ``bulan(periode)`` gives one :class:`Month`. A table
    that some months lack (stages 2 and 3 run only for the months ``kmc run`` was asked for)
    holds the months that have it, with a :class:`MissingMonthsWarning` naming the others.
    """

    year: int
    months: tuple[Month, ...]
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def periods(self) -> list[str]:
        """The processed months of the year, ``YYYY-MM``, oldest first."""
        return [str(month.period) for month in self.months]

    def bulan(self, period: str | Period) -> Month:
        """One processed month of this year."""
        wanted = _as_period(period)
        for month in self.months:
            if month.period == wanted:
                return month
        raise InputError(f"Bulan {wanted} tidak termasuk bulan yang sudah diolah pada tahun {self.year}: "
                         f"{', '.join(self.periods)}.")

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` of every month that has it, stacked, with ``periode`` as the first column."""
        if name not in self._cache:
            if name not in table_files():
                raise ValueError(f"Tidak ada tabel bernama {name!r}. Tabel yang dikenal: "
                                     f"{', '.join(sorted(table_files()))}.")
            having = [m for m in self.months if name in m.tabel_tersedia]
            if not having:
                return self.months[-1].table(name)  # raises the month's message: which stage writes it
            lacking = [str(m.period) for m in self.months if m not in having]
            if lacking:
                warnings.warn(f"Tabel {name} tahun {self.year} tidak memuat bulan {', '.join(lacking)}: bulan itu "
                              f"belum punya tabel ini (jalankan `kmc run --period` untuk bulan itu).",
                              MissingMonthsWarning, stacklevel=3)
            frames = [m.table(name).assign(periode=str(m.period)) for m in having]
            stacked = pd.concat(frames, ignore_index=True)
            self._cache[name] = stacked[["periode", *[c for c in stacked.columns if c != "periode"]]]
        return self._cache[name].copy(deep=False)

    @property
    def penerima(self) -> pd.DataFrame:
        """Accepted rows of every month, ``periode`` first (see :attr:`Month.penerima`)."""
        return self.table(store.PENERIMA.key)

    @property
    def karantina_ringkas(self) -> pd.DataFrame:
        """Quarantined rows of every month: periode, provenance and reasons only."""
        return self.table(KARANTINA_RINGKAS)

    @property
    def manifest(self) -> dict[str, dict]:
        """Each processed month's manifest, by periode."""
        return {str(m.period): m.manifest for m in self.months}

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_") or name not in table_files():
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        return self.table(name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *table_files()})

    def __repr__(self) -> str:
        return f"<Tahun {self.year}: {len(self.months)} bulan diolah ({', '.join(self.periods)})>"


def load_month(period: str | Period, processed_dir: str | Path | None = None, *,
               include_personal: bool = False) -> Month:
    """The processed month ``period`` (``"2024-03"``) as a :class:`Month` of typed tables without NIK.

    ``processed_dir`` None means ``$KMC_PROCESSED_DIR``, else the nearest ``data/processed``
    of the project folder found walking up from the working directory (so a notebook in
    ``notebooks/`` or ``notebooks/eksplorasi/`` needs no path); otherwise an InputError
    says where it looked and how to pass ``processed_dir``. ``include_personal=True`` adds
    nama and nik_tersamar to ``penerima`` (never NIK): for checks with an OPD only.
    """
    wanted = _as_period(period)
    root = project_folder("processed", processed_dir, must_exist=True)
    folder = root / str(wanted)
    if not store.has_manifest(folder):
        done = processed_periods(root)
        raise InputError(
            f"Bulan {wanted} belum diolah: {folder} tidak memuat hasil tahap 1. "
            + (f"Bulan yang sudah diolah di {root}: {', '.join(done)}. " if done else f"Belum ada bulan yang diolah di {root}. ")
            + f"Jalankan `kmc run --period {wanted}` lebih dulu, atau beri processed_dir lain."
        )
    return Month(wanted, folder, include_personal)


def load_year(year: int | str, processed_dir: str | Path | None = None, *, include_personal: bool = False) -> Year:
    """Every processed month of ``year`` as a :class:`Year` whose tables carry a ``periode`` column.

    Folders are found as in :func:`load_month`; a year with no processed month is an
    InputError listing the months that are there.
    """
    text = str(year).strip()
    if not (text.isdigit() and len(text) == 4):
        raise InputError(f"Tahun '{year}' tidak sah: tulis empat angka, misalnya 2024.")
    root = project_folder("processed", processed_dir, must_exist=True)
    done = processed_periods(root)
    months = tuple(Month(Period.parse(p), root / p, include_personal) for p in done if p.startswith(f"{text}-"))
    if not months:
        raise InputError(
            f"Belum ada bulan tahun {text} yang diolah di {root}"
            + (f" (yang ada: {', '.join(done)})" if done else "")
            + f". Jalankan `kmc run --period {text}-MM` lebih dulu, atau beri processed_dir lain."
        )
    return Year(int(text), months)
