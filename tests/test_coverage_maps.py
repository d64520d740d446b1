"""Coverage maps: classes, hatching of suppressed and missing areas, labels, PNG and GeoPackage files."""


import numpy as np
import pandas as pd
from PIL import Image

from kmc_analysis.core.formatting import format_number
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import MAPS, REKAP_KATEGORI_KELURAHAN
from kmc_analysis.coverage import maps
from kmc_analysis.coverage.display import hidden_rates
from kmc_analysis.coverage.furniture import SCHEMATIC_LABEL
from kmc_analysis.coverage.rekap import per_1000

MARET = Period(2024, 3)


def test_class_count_suits_five_and_twenty_two_areas():
    assert maps.class_count(5) == 3 and maps.class_count(22) == 5
    values = pd.Series(np.linspace(1, 22, 22))
    classes = maps.classify(values, pd.Series(True, index=values.index))
    assert len(classes.labels) == 5 and classes.klass.between(0, 4).all()
    assert "Jenks" in classes.method


def test_classify_handles_equal_few_and_missing_values():
    drawable = pd.Series([True] * 5)
    same = maps.classify(pd.Series([2.5] * 5), drawable)
    assert same.labels == ["2,50"] and (same.klass == 0).all() and "sama" in same.method
    two = maps.classify(pd.Series([1.0, 1.0, 1.0, 4.0, 4.0]), drawable)
    assert two.labels == ["1,00", "4,00"]
    hidden = maps.classify(pd.Series([1.0, 2.0, np.nan, 8.0, 9.0]), pd.Series([True, True, True, False, True]))
    assert hidden.klass.tolist()[2:4] == [-1, -1]  # missing and suppressed areas get no class
    nothing = maps.classify(pd.Series([np.nan] * 3), pd.Series([True] * 3))
    assert nothing.labels == [] and (nothing.klass == -1).all()


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
    legend_texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert "Disamarkan" in legend_texts and "Tidak ada data" in legend_texts
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


def test_all_equal_and_all_hidden_maps_still_draw_every_area(metro_tiles, metro_rekap):
    kec, kel = metro_rekap
    equal = kec.assign(penduduk=1000, penerima_unik=50, penerima_per_1000=50.0, jumlah_penyaluran=50)
    fig = maps.plot_coverage_map(metro_tiles, equal, level="kecamatan", period=MARET)
    assert _filled_paths(fig.axes[0]) == 5 and not _hatched(fig.axes[0])
    tiny = kel.assign(penerima_unik=2, jumlah_penyaluran=2)
    tiny["penerima_per_1000"] = per_1000(tiny["penerima_unik"], tiny["penduduk"])
    fig = maps.plot_coverage_map(metro_tiles, tiny, level="kelurahan", period=MARET, min_cell=5)
    assert sum(_hatched(fig.axes[0]).values()) == 22


def test_png_files_are_a4_deterministic_and_small(metro_tiles, metro_rekap, tmp_path):
    kec, kel = metro_rekap
    written = maps.write_coverage_maps(metro_tiles, kec, kel, tmp_path / "a", period=MARET)
    assert set(written) == {"kecamatan", "kelurahan"}
    for path in written.values():
        with Image.open(path) as image:
            assert image.size == (1654, 2338)  # A4 portrait at 200 dpi
            assert "Software" not in image.info
        assert path.stat().st_size < 1_500_000
    again = maps.save_png(maps.plot_coverage_map(metro_tiles, kec, level="kecamatan", period=MARET),
                          tmp_path / "b.png")
    assert again.read_bytes() == written["kecamatan"].read_bytes()


def test_category_small_multiples(metro_boundaries, metro_rekap, tmp_path):
    _, kel = metro_rekap
    frames = []
    for i, kategori in enumerate(["beasiswa", "insentif", "bantuan_sosial"]):
        part = kel.assign(kategori=kategori, penerima_unik=kel["penerima_unik"] // (i + 1))
        part["penerima_per_1000"] = per_1000(part["penerima_unik"], part["penduduk"])
        frames.append(part)
    kategori = pd.concat(frames, ignore_index=True)[REKAP_KATEGORI_KELURAHAN.column_names]
    fig = maps.plot_category_maps(metro_boundaries, kategori, period=MARET, min_cell=5)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Bantuan sosial", "Beasiswa", "Insentif"]
    assert all(_filled_paths(ax) == 22 for ax in fig.axes)
    path = maps.save_png(fig, tmp_path / MAPS["kategori"])
    with Image.open(path) as image:
        assert image.size == (1654, 2338)


def test_notebook_preview_is_small(metro_tiles, metro_rekap, tmp_path):
    kec, _ = metro_rekap
    path = maps.save_png(maps.plot_coverage_map(metro_tiles, kec, level="kecamatan", period=MARET),
                         tmp_path / "peta.png")
    preview = tmp_path / "preview.png"
    preview.write_bytes(maps.preview_png(path, width=600))
    with Image.open(preview) as image:
        assert image.size[0] == 600
    assert preview.stat().st_size < path.stat().st_size / 2
