"""The ``kmc`` command: run a month, synthesise one, verify one, write the OPD input template.

Everything an operator reads is in Bahasa Indonesia; help texts put Indonesian first.
The last line on stderr of a failed command names what is at fault and the fix. An error
the workbook did not foresee is named by its type only (its text may quote a cell: a NIK
or a name); ``KMC_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from pathlib import Path

from kmc_analysis import __version__
from kmc_analysis.core.errors import InputError, KMCError, RunInterrupted, UnexpectedError

DEBUG_ENV = "KMC_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors ending in one Indonesian sentence (exit 2)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        hint = ""
        if "--period" in message:  # e.g. "--period -2024-03": argparse reads the value as an option
            hint = " Tulis periode sebagai YYYY-MM, mis. --period 2024-03."
        self.exit(2, f"{self.prog}: argumen tidak valid ({message}).{hint} Lihat {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``kmc`` (CONTRACT section 1)."""
    parser = _Parser(prog="kmc", description="Buku kerja KMC: membersihkan, memetakan dan mengevaluasi data penerima "
                                             "Kartu Metro Ceria / KMC workbook: clean, map and evaluate Kartu Metro "
                                             "Ceria beneficiary data.")
    parser.add_argument("--version", action="version", version=f"kmc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH", parser_class=_Parser)

    run = commands.add_parser("run", help="olah satu bulan dan terbitkan hasilnya / run every stage for one month",
                              description="Jalankan semua tahap untuk satu bulan (YYYY-MM) lalu terbitkan data olahan "
                                          "dan laporannya / run every stage notebook for one month and publish.")
    _period(run, "bulan yang diolah / the month to analyse")
    _folders(run, raw=True)
    run.add_argument("--boundaries", type=Path, default=None,
                     help="berkas batas wilayah (GeoPackage, GeoJSON, Shapefile); bawaan: RAW/reference/batas*, "
                          "jika tidak ada peta skematis / boundary file")
    run.add_argument("--min-cell", type=int, default=5,
                     help="jumlah orang 1 sampai N-1 di bawah tingkat kota ditampilkan <N (bawaan: 5) / "
                          "small-cell threshold")
    run.add_argument("--skip-unreadable", action="store_true",
                     help="catat berkas dan sheet yang tidak terbaca di manifest lalu lanjutkan / record unreadable "
                          "files and go on")
    run.add_argument("--reclean-year", action="store_true",
                     help="bersihkan ulang bulan-bulan tahun ini yang diolah dengan kunci pseudonim lain / re-run "
                          "stage 1 of earlier months processed under another key")
    run.add_argument("--quiet", action="store_true", help="hanya tampilkan kesalahan / print nothing but errors")

    synth = commands.add_parser("synth", help="tulis satu bulan data OPD sintetis / write a synthetic month",
                                description="Tulis satu bulan kiriman OPD sintetis yang realistis (dan folder "
                                            "reference bila belum ada) dengan susunan raw dir / write a synthetic "
                                            "month of OPD submissions.")
    _period(synth, "bulan yang dibuat / the month to synthesise")
    synth.add_argument("--out", type=Path, required=True, help="raw dir tujuan / raw dir to write into")
    synth.add_argument("--rows", type=int, default=None,
                       help="jumlah baris data: rencana katalog diskalakan ke ukuran itu (bawaan: sebanyak yang "
                            "dibayar rencana katalog bulan itu) / data rows, the plan scaled to that size")
    synth.add_argument("--seed", type=int, default=1,
                       help="benih acak; benih sama, berkas sama (bawaan: 1) / random seed")
    synth.add_argument("--clean", action="store_true", help="tanpa cacat data / write defect-free data")
    synth.add_argument("--kinds", choices=("mixed", "csv", "xlsx"), default="mixed",
                       help="jenis berkas: campuran (bawaan; hanya CSV di atas 50.000 baris), hanya csv, atau hanya "
                            "xlsx / file kinds: mixed (default; CSV only above 50,000 rows), csv only or xlsx only")

    verify = commands.add_parser("verify", help="periksa hasil satu bulan terhadap manifest / check a processed month",
                                 description="Periksa ulang hash berkas masukan, jumlah baris dan kelengkapan hasil "
                                             "satu bulan (tanpa mengubah apa pun) / re-check a processed month.")
    _period(verify, "bulan yang diperiksa / the month to verify")
    _folders(verify, raw=True)

    template = commands.add_parser("template", help="tulis templat isian OPD / write the OPD input template",
                                   description="Tulis buku kerja templat yang diisi OPD (CONTRACT 2.3) / write the "
                                               "workbook OPDs fill in.")
    template.add_argument("--out", type=Path, required=True, help="berkas .xlsx tujuan / the .xlsx to write")
    template.add_argument("--opd", default=None,
                          help="hanya program OPD ini di daftar pilihan / only this OPD's programs in the dropdown")
    template.add_argument("--raw-dir", type=Path, default=Path("data/raw"),
                          help="folder berisi reference/ (bawaan: data/raw; tabel bawaan bila tidak ada)")
    return parser


def _period(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--period", required=True, help=f"{what}, YYYY-MM (misalnya/e.g. 2024-03)")


def _folders(command: argparse.ArgumentParser, raw: bool) -> None:
    if raw:
        command.add_argument("--raw-dir", type=Path, default=Path("data/raw"),
                             help="folder berisi reference/ dan opd/YYYY-MM/ (bawaan: data/raw)")
    command.add_argument("--processed-dir", type=Path, default=Path("data/processed"),
                         help="folder data olahan, berisi data pribadi (bawaan: data/processed)")
    command.add_argument("--reports-dir", type=Path, default=Path("reports"),
                         help="folder laporan yang dapat diterbitkan (bawaan: reports)")


def command() -> None:
    """The ``kmc`` console script: :func:`main`, in a process that ends when it returns."""
    sys.exit(main(ends_the_process=True))


def main(argv: list[str] | None = None, ends_the_process: bool = False) -> int:
    """Run one ``kmc`` command and return its exit status.

    ``ends_the_process``: the process exits with this status (the console script), so a
    Ctrl-C or SIGTERM arriving once ``kmc run`` is over is ignored rather than left to kill
    it with its outcome untold; called from Python, the caller's handlers are restored.
    """
    args = build_parser().parse_args(argv)
    args.ends_the_process = ends_the_process
    prefix = f"kmc {args.command}"
    try:
        return COMMANDS[args.command](args)
    except KMCError as error:
        if os.environ.get(DEBUG_ENV):
            _print_debug(error)
        print(f"{prefix}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{prefix}: dihentikan (Ctrl-C atau SIGTERM).", file=sys.stderr)
        return RunInterrupted.exit_code
    except Exception as error:  # never print the text: it may quote a cell value
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        limited = _address_space_limit_behind(error)
        if limited:
            print(f"{prefix}: {limited}", file=sys.stderr)
            return 1
        print(f"{prefix}: kesalahan tak terduga ({type(error).__name__}). Jalankan ulang dengan KMC_DEBUG=1 untuk "
              f"melihat traceback-nya, lalu laporkan.", file=sys.stderr)
        return 1


def _address_space_limit_behind(error: Exception) -> str:
    """The sentence for a failure to load or allocate under an address-space limit (``ulimit -v``), else "".

    Under a tight limit a library cannot even map itself (ImportError) before the run's own
    check of the limit is reached.
    """
    if not isinstance(error, (ImportError, MemoryError, OSError)):
        return ""
    import resource  # the standard library only: under the limit the project's own modules may not load

    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return ""
    size = f"{limit / 2**30:.1f}".replace(".", ",")
    return (f"kmc kehabisan ruang alamat ({type(error).__name__}): batas memori maya proses ini (`ulimit -v`) "
            f"{size} GB terlalu kecil untuk memuat pustakanya. Jalankan `ulimit -v unlimited` (atau minta "
            f"admin menaikkan batas itu), lalu jalankan ulang; hasil lama tidak berubah.")


def _print_debug(error: KMCError) -> None:
    """With KMC_DEBUG: the traceback behind an unexpected error (a stage's cell traceback, or the cause's)."""
    details = getattr(error, "details", "")
    if details:
        print(details, file=sys.stderr)
    elif isinstance(error, UnexpectedError) or error.__cause__ is not None:
        cause = error.__cause__ or error
        traceback.print_exception(type(cause), cause, cause.__traceback__, file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from kmc_analysis.interrupts import stop_requests_honoured

    # A coroutine of jupyter_client created but not awaited when an interrupt lands is reported by
    # Python as it is collected, after the run's last line: noise to the operator (attack 20).
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
    with stop_requests_honoured(then_ignore=args.ends_the_process):
        from kmc_analysis.clean.memory import check_address_space

        check_address_space(None)  # before the libraries load: under a tight `ulimit -v` they fail unexplained
        from kmc_analysis.runner import RunOptions, run  # imports pandas: a SIGTERM meanwhile stops it too

        run(RunOptions(
            period=args.period, raw_dir=args.raw_dir, processed_dir=args.processed_dir,
            reports_dir=args.reports_dir, boundaries=args.boundaries, min_cell=args.min_cell,
            skip_unreadable=args.skip_unreadable, reclean_year=args.reclean_year, quiet=args.quiet,
        ))
    return 0


def _synth(args: argparse.Namespace) -> int:
    from kmc_analysis.core.periods import Period
    from kmc_analysis.synth import synthesize

    period = Period.parse(args.period)
    if args.rows is not None and args.rows < 1:
        raise InputError(f"--rows harus 1 atau lebih (tertulis {args.rows}).")
    result = synthesize(period, args.out, rows=args.rows, seed=args.seed, clean=args.clean, kinds=args.kinds)
    print(f"kmc synth: {result.rows_written} baris ditulis dalam {len(result.files)} berkas di "
          f"{args.out / 'opd' / str(period)}", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from kmc_analysis.verify import verify_period

    differences = verify_period(args.period, args.raw_dir, args.processed_dir, args.reports_dir)
    for line in differences:
        print(f"kmc verify: {line}", file=sys.stderr)
    if differences:
        print(f"kmc verify: {len(differences)} perbedaan ditemukan pada periode {args.period}.", file=sys.stderr)
        return 1
    print(f"kmc verify: periode {args.period} sesuai manifest: berkas masukan, jumlah baris dan semua hasil "
          f"lengkap.", file=sys.stderr)
    return 0


def _template(args: argparse.Namespace) -> int:
    from kmc_analysis.core.reference import load_reference

    reference = load_reference(args.raw_dir / "reference")
    opd = _catalogue_opd(args.opd, reference.program_bantuan["opd"]) if args.opd is not None else None
    try:
        from kmc_analysis.clean.template import write_template
    except ImportError:
        raise KMCError("kmc template belum tersedia dalam versi buku kerja ini.") from None
    written = write_template(args.out, reference, opd)
    print(f"kmc template: templat isian ditulis ke {written}" + (f" (program {opd})." if opd else "."),
          file=sys.stderr)
    return 0


def _catalogue_opd(asked: str, catalogue) -> str:
    """The catalogue's spelling of ``asked`` (case and spacing ignored); InputError listing the OPDs otherwise."""
    known = sorted({str(o) for o in catalogue if str(o).strip()})
    wanted = " ".join(asked.split()).casefold()
    for opd in known:
        if " ".join(opd.split()).casefold() == wanted:
            return opd
    raise InputError(f"OPD '{asked}' tidak ada di katalog program_bantuan.csv. Pakai salah satu nama ini "
                     f"(dalam tanda kutip): {'; '.join(known)}.")


COMMANDS = {"run": _run, "synth": _synth, "verify": _verify, "template": _template}


if __name__ == "__main__":
    sys.exit(main())
