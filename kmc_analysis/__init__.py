"""KMC workbook: clean, map and evaluate Kartu Metro Ceria beneficiary data for Kota Metro."""

__version__ = "0.1.0"
