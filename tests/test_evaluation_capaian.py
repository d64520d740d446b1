"""Stage 3 rules: capaian, predikat at its band boundaries, rounding, on-track projection."""

import math

import numpy as np
import pandas as pd
import pytest

from kmc_analysis.core.errors import ReferenceDataError
from kmc_analysis.core.reference import POLARITAS
from kmc_analysis.evaluation.capaian import (
    DATA_KURANG,
    SESUAI_JALUR,
    TIDAK_SESUAI_JALUR,
    capaian,
    evaluate,
    predikat,
    trend_projection,
)


@pytest.mark.parametrize(("realisasi", "target", "polaritas", "expected"), [
    (80, 100, "positif", 80.00),
    (45, 60, "positif", 75.00),
    (2, 3, "positif", 66.67),
    (1, 3, "positif", 33.33),
    (150, 100, "positif", 150.00),      # above 100 kept as computed
    (0, 100, "positif", 0.00),          # zero realisasi is a value, not a missing one
    (7.5, 8.0, "negatif", 106.25),      # lower than target is better
    (8.0, 8.0, "negatif", 100.00),
    (9.0, 8.0, "negatif", 87.50),
    (6.78, 7.7, "negatif", 111.95),
    (20, 8, "negatif", -50.00),         # far worse than target: negative, kept
    (90.995, 100, "positif", 91.00),    # half up, although the float is 90.99499...
    (1.005, 1, "positif", 100.50),
])
def test_capaian_cases(realisasi, target, polaritas, expected):
    assert capaian([realisasi], [target], polaritas).iloc[0] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("value", "expected"), [
    (50.99, "Sangat Rendah"), (51, "Rendah"), (65.99, "Rendah"), (66, "Sedang"), (75.99, "Sedang"),
    (76, "Tinggi"), (90.99, "Tinggi"), (91, "Sangat Tinggi"), (100, "Sangat Tinggi"), (250.5, "Sangat Tinggi"),
    (0, "Sangat Rendah"), (-12.5, "Sangat Rendah"),
])
def test_predikat_at_every_boundary(value, expected):
    assert predikat([value]).iloc[0] == expected


@pytest.mark.parametrize(("realisasi", "target"), [
    (50, 0),          # target zero: division undefined
    (50, None),       # missing target
    (None, 100),      # missing realisasi
    (np.nan, np.nan),
])
def test_missing_or_zero_leaves_capaian_and_predikat_empty(realisasi, target):
    for polaritas in POLARITAS:
        rated = evaluate([realisasi], [target], polaritas)
        assert math.isnan(rated["capaian_persen"].iloc[0])
        assert rated["predikat"].iloc[0] == ""


def test_predikat_bands_the_rounded_capaian():
    """90.995 is shown as 91.00, so it must be rated Sangat Tinggi, not Tinggi."""
    rated = evaluate(pd.Series([90.995, 90.994]), pd.Series([100.0, 100.0]), "positif")
    assert rated["capaian_persen"].tolist() == [91.00, 90.99]
    assert rated["predikat"].tolist() == ["Sangat Tinggi", "Tinggi"]


def test_evaluate_is_vectorised_per_row_polarity_and_keeps_the_index():
    rated = evaluate(pd.Series([80.0, 7.0, None], index=[5, 6, 7]), pd.Series([100.0, 8.0, 8.0], index=[5, 6, 7]),
                        pd.Series(["positif", "negatif", "negatif"], index=[5, 6, 7]))
    assert list(rated.index) == [5, 6, 7]
    assert rated["capaian_persen"].iloc[:2].tolist() == [80.0, 112.5]
    assert rated["predikat"].tolist() == ["Tinggi", "Sangat Tinggi", ""]


def test_unknown_polarity_is_a_reference_error():
    with pytest.raises(ReferenceDataError, match="positif"):
        capaian([1], [1], "naik")


# --- year to date -----------------------------------------------------------------------------

@pytest.mark.parametrize(("years", "values", "target", "polaritas", "expected"), [
    ([2022, 2023, 2024], [70, 80, 90], 100, "positif", (110.0, SESUAI_JALUR)),
    ([2022, 2023, 2024], [70, 72, 74], 100, "positif", (78.0, TIDAK_SESUAI_JALUR)),
    ([2021, 2022, 2023, 2024], [10, 70, 72, 74], 100, "positif", (78.0, TIDAK_SESUAI_JALUR)),  # last 3 only
    ([2023, 2024], [9.0, 8.0], 7.0, "negatif", (6.0, SESUAI_JALUR)),
    ([2023, 2024], [9.0, 8.5], 7.0, "negatif", (7.5, TIDAK_SESUAI_JALUR)),
    ([2024], [95], 100, "positif", (math.nan, DATA_KURANG)),
    ([2023, 2024], [90, 95], math.nan, "positif", (105.0, DATA_KURANG)),
    ([2025, 2026], [90, 99], 100, "positif", (99.0, TIDAK_SESUAI_JALUR)),    # 2026 itself is taken as is
])
def test_trend_projection(years, values, target, polaritas, expected):
    projection, status = trend_projection(years, values, target, polaritas)
    assert status == expected[1]
    assert (math.isnan(projection) and math.isnan(expected[0])) or projection == pytest.approx(expected[0])


# --- programs, OPDs, months -----------------------------------------------------------------------
