"""Stage 3 charts: axes read the Indonesian way (14.000, 0,3), years stay plain."""

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from kmc_analysis.core.periods import Period
from kmc_analysis.evaluation.charts import monthly_trend_figure, rpjmd_trend_figure, tick_decimals


def tick_texts(figure) -> list[list[str]]:
    FigureCanvasAgg(figure).draw()
    return [[t.get_text() for t in ax.get_yticklabels()] for ax in figure.axes if ax.get_visible()]


def test_monthly_chart_axes_use_dot_thousands_and_comma_decimals():
    trend = pd.DataFrame({"bulan": ["2024-01", "2024-02"], "penerima_unik": [12_000, 14_500],
                          "jumlah_penyaluran": [1, 1], "nilai_total": [300_000, 250_000],
                          "persen_baris_valid": [90.5, 95.25], "penerima_unik_kumulatif": [12_000, 16_000]})
    persons, millions, percent = tick_texts(monthly_trend_figure(trend, Period(2024, 2)))
    assert "14.000" in persons and not any("," in text for text in persons)
    assert "0,30" in millions or "0,3" in millions
    assert all("." not in text for text in millions)                 # 0,05 not 0.05
    assert percent[:3] == ["0", "20", "40"]


def test_rpjmd_chart_values_are_indonesian_and_years_have_no_thousands_dot():
    tren = pd.DataFrame({
        "kode_indikator": "IKU-05", "indikator": "Rasio Gini", "satuan": "indeks", "polaritas": "negatif",
        "tahun": range(2021, 2027), "target": [0.300, 0.298, 0.296, 0.294, 0.292, 0.290],
        "realisasi": [0.31, 0.305, 0.3, None, None, None], "sumber_realisasi": "BPS",
        "realisasi_sementara": ["tidak"] * 3 + [""] * 3, "proyeksi_2026": 0.285, "status_jalur": "sesuai jalur",
    })
    figure = rpjmd_trend_figure(tren, Period(2024, 3))
    (values,) = tick_texts(figure)
    assert values and all("," in text for text in values if text != "0")
    years = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert years == ["2021", "2022", "2023", "2024", "2025", "2026"]


@pytest.mark.parametrize(("values", "decimals"), [([0, 5000, 10000], 0), ([0.0, 0.05, 0.1], 2),
                                                    ([0.1 + 0.2, 0.5], 1), ([2.5, 3.0], 1)])
def test_tick_decimals_are_the_fewest_that_show_each_value(values, decimals):
    assert tick_decimals(values) == decimals
