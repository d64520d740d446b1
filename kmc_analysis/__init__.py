"""KMC workbook: clean, map and evaluate Kartu Metro Ceria beneficiary data for Kota Metro.

For analysts, the public API is :func:`load_month`, :func:`load_year` and
:func:`processed_periods` (see :mod:`kmc_analysis.workbench`); they are imported on first
use, so ``import kmc_analysis`` stays light (the ``kmc`` command imports it to start).
"""

__version__ = "0.1.0"

#: Public names and the module that defines each, imported lazily (PEP 562).
_PUBLIC = {
    "load_month": "kmc_analysis.workbench",
    "load_year": "kmc_analysis.workbench",
    "processed_periods": "kmc_analysis.workbench",
    "Month": "kmc_analysis.workbench",
    "Year": "kmc_analysis.workbench",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kmc_analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
