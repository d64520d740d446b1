"""Coverage maps: classes, hatching of suppressed and missing areas, labels, print size, PNG files."""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import MAPS, REKAP_KATEGORI_KELURAHAN
from kmc_analysis.coverage import maps
from kmc_analysis.coverage.display import hidden_rates
from kmc_analysis.coverage.furniture import SCHEMATIC_LABEL
from kmc_analysis.coverage.map_classes import classify, roundest_between
from kmc_analysis.coverage.rekap import per_1000

MARET = Period(2024, 3)
ALL = pd.Series(True, index=range(5))


# --- Classes ---------------------------------------------------------------------------------


def test_class_count_suits_five_and_twenty_two_areas():
    values = pd.Series(np.geomspace(1, 200, 22))
    classes = classify(values, pd.Series(True, index=values.index))
    assert len(classes.labels) == 5 and classes.klass.between(0, 4).all()
    assert "Jenks" in classes.method
    assert len(classify(pd.Series([1.0, 5.0, 20.0, 60.0, 90.0]), ALL).labels) == 3


def test_kecamatan_rates_2_7_percent_apart_share_one_colour():
    # 14,10 and 14,48 per 1.000 on an estimated population: not a difference worth a colour.
    close = classify(pd.Series([14.10, 14.48, 14.30, 14.20, 14.45]), ALL)
    assert close.labels == ["14,10 – 14,48"] and (close.klass == 0).all() and "5%" in close.method
    spread = classify(pd.Series([14.10, 14.48, 16.0, 22.0, 23.0]), ALL)
    assert spread.klass[0] == spread.klass[1]  # still together when other areas differ
    assert spread.klass[3] == spread.klass[4]  # 22 and 23 are 4,3 % apart
    assert len(set(spread.klass)) == 3


def test_breaks_are_round_numbers_labelled_in_indonesian_style():
    classes = classify(pd.Series([0.4, 1.1, 1.9, 2.7, 4.9]), ALL)
    assert all(b == round(b, 1) for b in classes.breaks)
    assert classes.labels[0].startswith("< ") and classes.labels[-1].startswith("≥ ")
    assert classes.labels == ["< 1,5", "1,5 – < 4", "≥ 4"]  # 1,5 not 1.5
    big = classify(pd.Series([480.0, 950.0, 1480.0, 2600.0, 3900.0]), ALL)
    assert "1.000" in " ".join(big.labels) or "2.000" in " ".join(big.labels)
    for label in big.labels + classes.labels:
        assert not re.search(r"\d\.\d{1,2}(?!\d)", label), label  # no English decimal point
    assert roundest_between(14.48, 16.0) == 15 and roundest_between(0.0, 0.3) == 0.2
    assert roundest_between(180.0, 260.0) == 200


def test_classify_handles_equal_few_and_missing_values():
    same = classify(pd.Series([2.5] * 5), ALL)
    assert same.labels == ["2,50"] and (same.klass == 0).all() and "sama" in same.method
    two = classify(pd.Series([1.0, 1.0, 1.0, 4.0, 4.0]), ALL)
    assert len(two.labels) == 2 and two.klass.tolist() == [0, 0, 0, 1, 1]
    hidden = classify(pd.Series([1.0, 2.0, np.nan, 8.0, 9.0]), pd.Series([True, True, True, False, True]))
    assert hidden.klass.tolist()[2:4] == [-1, -1]  # missing and suppressed areas get no class
    nothing = classify(pd.Series([np.nan] * 3), pd.Series([True] * 3))
    assert nothing.labels == [] and (nothing.klass == -1).all()


def test_drawing_a_map_imports_neither_scikit_learn_nor_mapclassify():
    code = ("import sys, kmc_analysis.coverage.maps, kmc_analysis.coverage.interactive_map; "
            "print(sorted(m for m in ('sklearn', 'mapclassify') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


# --- Drawing ----------------------------------------------------------------------------------


def _hatched(ax) -> dict[str, int]:
    """Hatch pattern -> number of polygon paths drawn with it."""
    found: dict[str, int] = {}
    for collection in ax.collections:
        hatch = collection.get_hatch()
        if hatch:
            found[hatch] = found.get(hatch, 0) + len(collection.get_paths())
    return found


def _filled_paths(ax) -> int:
    """Polygon paths drawn with a face colour (outlines are line collections with no face)."""
    total = 0
    for collection in ax.collections:
        faces = collection.get_facecolor()
        if len(faces) and faces[:, 3].max() > 0:
            total += len(collection.get_paths())
    return total


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_kelurahan_map_hatches_suppressed_and_missing_areas(metro_boundaries, metro_rekap):
    _, kel = metro_rekap
    fig = maps.plot_coverage_map(metro_boundaries, kel, level="kelurahan", period=MARET, min_cell=5,
                                 population_note="angka perkiraan")
    ax = fig.axes[0]
    hidden = hidden_rates(kel, "kelurahan", 5)
    hatched = _hatched(ax)
    no_data = kel["penerima_per_1000"].isna() & ~hidden
    # Imopuro (3 persons, 6 rows): the other rows of its kecamatan leave it anywhere from 0 to 6, so
    # the map published alone needs no complement (core.suppression decides; the audit agrees).
    assert hatched[maps.SUPPRESSED_STYLE["hatch"]] == int(hidden.sum()) >= 1
    assert hatched[maps.NO_DATA_STYLE["hatch"]] == int(no_data.sum()) == 1  # Yosomulyo
    assert _filled_paths(ax) == 22  # every kelurahan is drawn: none left blank
    legend = " ".join(_legend_texts(fig)).replace("\n", " ")
    assert "Disamarkan (1–4 penerima" in legend and "Tidak ada data" in legend  # says what hatching means
    texts = _texts(fig)
    assert "Cakupan Penerima KMC per 1.000 Penduduk — Maret 2024" in texts
    for row in kel[hidden].itertuples():  # the name is printed, the rate is not
        assert format_number(row.penerima_per_1000, 1) not in texts
        assert format_number(row.penerima_per_1000, 2) not in texts
    shown = kel[~hidden & kel["penerima_per_1000"].notna()].iloc[0]
    decimals = maps.value_decimals(kel["penerima_per_1000"])
    assert format_number(shown["penerima_per_1000"], decimals) in texts
    assert "U" in texts and any(t.endswith(" km") for t in texts)  # north arrow, scale bar
    assert any("perkiraan" in t for t in texts)  # the population note
    assert SCHEMATIC_LABEL not in texts


def test_schematic_map_says_so_and_has_no_scale(metro_tiles, metro_rekap):
    kec, _ = metro_rekap
    fig = maps.plot_coverage_map(metro_tiles, kec, level="kecamatan", period=MARET, min_cell=5)
    texts = _texts(fig)
    assert SCHEMATIC_LABEL in texts
    assert "U" not in texts and not any(t.endswith(" km") for t in texts)
    assert _hatched(fig.axes[0]) == {maps.NO_DATA_STYLE["hatch"]: 1}  # Metro Selatan has no population
    assert _filled_paths(fig.axes[0]) == 5


def test_kecamatan_only_file_gives_a_real_kecamatan_map_and_a_schematic_kelurahan_map(
        metro_wilayah, metro_rekap, tmp_path):
    from conftest import KECAMATAN_FILE

    from kmc_analysis.coverage.boundaries import load_boundaries
    if not KECAMATAN_FILE.exists():
        pytest.skip("../shared/reference/batas/ is absent")
    b = load_boundaries(KECAMATAN_FILE, metro_wilayah)
    kec, kel = metro_rekap
    kecamatan = _texts(maps.plot_coverage_map(b, kec, level="kecamatan", period=MARET))
    assert SCHEMATIC_LABEL not in kecamatan and any(t.endswith(" km") for t in kecamatan)
    kelurahan_fig = maps.plot_coverage_map(b, kel, level="kelurahan", period=MARET)
    kelurahan = _texts(kelurahan_fig)
    assert SCHEMATIC_LABEL in kelurahan and not any(t.endswith(" km") for t in kelurahan)
    assert any("poligon kelurahan" in t.replace("\n", " ") for t in kelurahan)
    assert _filled_paths(kelurahan_fig.axes[0]) == 22


def test_all_equal_and_all_hidden_maps_still_draw_every_area(metro_tiles, metro_rekap):
    kec, kel = metro_rekap
    equal = kec.assign(penduduk=1000, penerima_unik=50, penerima_per_1000=50.0, jumlah_penyaluran=50)
    fig = maps.plot_coverage_map(metro_tiles, equal, level="kecamatan", period=MARET)
    assert _filled_paths(fig.axes[0]) == 5 and not _hatched(fig.axes[0])
    tiny = kel.assign(penerima_unik=2, jumlah_penyaluran=2)
    tiny["penerima_per_1000"] = per_1000(tiny["penerima_unik"], tiny["penduduk"])
    fig = maps.plot_coverage_map(metro_tiles, tiny, level="kelurahan", period=MARET, min_cell=5)
    assert sum(_hatched(fig.axes[0]).values()) == 22


def _inside_figure(fig, artist) -> bool:
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return 0 <= box.x0 and box.x1 <= fig.bbox.width and 0 <= box.y0 and box.y1 <= fig.bbox.height


def test_pngs_are_17_cm_wide_at_200_dpi_deterministic_and_small(metro_boundaries, metro_tiles, metro_rekap, tmp_path):
    kec, kel = metro_rekap
    for name, b in (("nyata", metro_boundaries), ("skematis", metro_tiles)):
        written = maps.write_coverage_maps(b, kec, kel, tmp_path / name, period=MARET)
        assert set(written) == {"kecamatan", "kelurahan"}
        for path in written.values():
            with Image.open(path) as image:
                width, height = image.size
                assert width == int(17 / 2.54 * 200)  # full text width of an A4 page
                assert round(image.info["dpi"][0]) == 200 and "Software" not in image.info
                assert height / 200 * 2.54 < 24  # fits on the page under a heading
            assert path.stat().st_size < 1_000_000
    fig = maps.plot_coverage_map(metro_boundaries, kel, level="kelurahan", period=MARET)
    fig.canvas.draw()
    assert all(_inside_figure(fig, t) for t in fig.texts) and all(_inside_figure(fig, lg) for lg in fig.legends)
    again = maps.save_png(maps.plot_coverage_map(metro_tiles, kec, level="kecamatan", period=MARET), tmp_path / "b.png")
    assert again.read_bytes() == (tmp_path / "skematis" / MAPS["kecamatan"]).read_bytes()


def test_every_category_panel_carries_its_kategori_label(metro_boundaries, metro_rekap, tmp_path):
    _, kel = metro_rekap
    frames = []
    names = ["beasiswa", "insentif", "bantuan_sosial", "honor", "santunan"]
    for i, kategori in enumerate(names):
        part = kel.assign(kategori=kategori, penerima_unik=kel["penerima_unik"] // (i + 1))
        part["penerima_per_1000"] = per_1000(part["penerima_unik"], part["penduduk"])
        frames.append(part)
    kategori = pd.concat(frames, ignore_index=True)[REKAP_KATEGORI_KELURAHAN.column_names]
    fig = maps.plot_category_maps(metro_boundaries, kategori, period=MARET, min_cell=5)
    fig.canvas.draw()
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["Bantuan sosial", "Beasiswa", "Honor", "Insentif", "Santunan"]
    assert all(_inside_figure(fig, t) for t in titles)  # drawn on the page, not clipped
    boxes = [ax.get_position() for ax in fig.axes]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(_filled_paths(ax) == 22 for ax in fig.axes)
    path = maps.save_png(fig, tmp_path / MAPS["kategori"])
    with Image.open(path) as image:
        assert image.size[0] == int(17 / 2.54 * 200) and image.size[1] / 200 * 2.54 < 25


def test_notebook_preview_is_small(metro_tiles, metro_rekap, tmp_path):
    kec, _ = metro_rekap
    path = maps.save_png(maps.plot_coverage_map(metro_tiles, kec, level="kecamatan", period=MARET),
                         tmp_path / "peta.png")
    preview = tmp_path / "preview.png"
    preview.write_bytes(maps.preview_png(path, width=600))
    with Image.open(preview) as image:
        assert image.size[0] == 600
    assert preview.stat().st_size < path.stat().st_size / 2
