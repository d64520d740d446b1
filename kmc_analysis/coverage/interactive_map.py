"""The interactive coverage map: one self-contained HTML page per period, readable offline.

Two layers, kelurahan and kecamatan, toggled by buttons; each area is an inline SVG path
coloured by the print maps' classes (:mod:`~kmc_analysis.coverage.map_classes`). Hovering,
focusing or clicking an area shows its published figures (name, penduduk, penerima unik,
per 1.000 penduduk, nilai bantuan) with exactly the suppression of the report tables
(``display.suppression``: ``<5`` and ``*``); suppressed and no-data areas are hatched.
No tile server, no CDN, no script from elsewhere: geometry simplified to about 10 m,
a few lines of inline CSS and JavaScript, and the figures as JSON. Only aggregates of
areas are written, never a row, a name of a person or a pseudonym.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import shapely
from matplotlib.colors import to_hex

from kmc_analysis.core.disclosure import Penyamaran, apply_mask
from kmc_analysis.core.formatting import format_number, format_rupiah, formatter_for
from kmc_analysis.core.periods import Period
from kmc_analysis.core.store import peta_interaktif_html
from kmc_analysis.coverage.boundaries import Boundaries, attach_rekap
from kmc_analysis.coverage.display import suppression
from kmc_analysis.coverage.furniture import SCHEMATIC_LABEL, hatch_labels, label_point, map_title, suppression_note
from kmc_analysis.coverage.map_classes import area_states, class_colours, classify, value_decimals

#: Simplification tolerance of real boundaries, in metres.
SIMPLIFY_M = 10.0
#: The figures shown for an area, in order: column, label, formatter.
FIGURES = (
    ("penduduk", "Penduduk", lambda v: format_number(v, 0)),
    ("penerima_unik", "Penerima unik", lambda v: format_number(v, 0)),
    ("penerima_per_1000", "Penerima per 1.000 penduduk", formatter_for("rate")),
    ("nilai_total", "Nilai bantuan", format_rupiah),
)
SUPPRESSED_FILL, NO_DATA_FILL = "url(#arsir-samar)", "url(#arsir-kosong)"

_CSS = """
body{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:1100px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0}p.sub{margin:.1rem 0 .8rem;color:#444}
.peta{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.kanvas{flex:1 1 560px;min-width:280px}.kanvas svg{width:100%;height:auto;display:block}
.samping{flex:0 1 300px}
.tombol button{font:inherit;padding:.35rem .8rem;border:1px solid #555;background:#fff;cursor:pointer}
.tombol button[aria-pressed=true]{background:#1a1a1a;color:#fff}
path.wilayah{stroke:#1a1a1a;stroke-width:1.2;vector-effect:non-scaling-stroke;cursor:pointer}
path.wilayah:hover,path.wilayah:focus,path.wilayah.pilih{stroke-width:3;outline:none}
text.nama{font-size:var(--huruf);text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px;
stroke-linejoin:round;pointer-events:none;vector-effect:non-scaling-stroke}
.info{border:1px solid #bbb;padding:.6rem .8rem;margin:.8rem 0;min-height:7rem}
.info h2{font-size:1.05rem;margin:0 0 .4rem}.info table{border-collapse:collapse;width:100%}
.info td{padding:.15rem 0;border-bottom:1px solid #eee}.info td+td{text-align:right;font-variant-numeric:tabular-nums}
.legenda{list-style:none;padding:0;margin:.3rem 0}.legenda li{display:flex;align-items:center;gap:.5rem;margin:.2rem 0}
.legenda svg{width:28px;height:18px;flex:none;border:1px solid #555}
.skematis{color:#a50f15;font-weight:700;border:2px solid #a50f15;padding:.3rem .5rem;display:inline-block}
.catatan{font-size:.85rem;color:#444}
"""

_JS = """
const data=JSON.parse(document.getElementById('angka').textContent);
const info=document.getElementById('info');
function tampil(el){const d=data[el.dataset.tingkat][el.dataset.kode];
 document.querySelectorAll('path.pilih').forEach(p=>p.classList.remove('pilih'));el.classList.add('pilih');
 info.replaceChildren();const h=document.createElement('h2');h.textContent=d.nama;info.append(h);
 const t=document.createElement('table');
 for(const [k,v] of d.angka){const r=t.insertRow();r.insertCell().textContent=k;r.insertCell().textContent=v;}
 info.append(t);if(d.keterangan){const p=document.createElement('p');p.className='catatan';
 p.textContent=d.keterangan;info.append(p);}}
document.querySelectorAll('path.wilayah').forEach(p=>{['mouseenter','focus','click'].forEach(e=>p.addEventListener(e,()=>tampil(p)));
 p.addEventListener('keydown',e=>{if(e.key==='Enter'||e.key===' '){tampil(p);e.preventDefault();}});});
document.querySelectorAll('.tombol button').forEach(b=>b.addEventListener('click',()=>{
 document.querySelectorAll('.tombol button').forEach(x=>x.setAttribute('aria-pressed',String(x===b)));
 document.querySelectorAll('.lapisan').forEach(l=>{l.hidden=l.id!=='lapisan-'+b.dataset.tingkat;});}));
"""


def _ring_path(coords, origin: tuple[float, float]) -> str:
    x0, y0 = origin
    points = [f"{round(x - x0)} {round(y0 - y)}" for x, y in coords[:-1]]
    return "M" + " ".join(points) + "Z"


def svg_path(geometry, origin: tuple[float, float]) -> str:
    """SVG path data of a (multi)polygon, y pointing down from ``origin`` (left, top), whole units."""
    rings = []
    for polygon in shapely.get_parts(geometry):
        rings.append(_ring_path(list(polygon.exterior.coords), origin))
        rings += [_ring_path(list(ring.coords), origin) for ring in polygon.interiors]
    return "".join(rings)


def _hatch_defs(unit: float) -> str:
    """The two hatch patterns (suppressed: diagonal on grey; no data: cross on white), sized to the map."""
    size, width = round(unit), max(1, round(unit / 5))
    return (f'<defs><pattern id="arsir-samar" patternUnits="userSpaceOnUse" width="{size}" height="{size}" '
            f'patternTransform="rotate(45)"><rect width="{size}" height="{size}" fill="#e3e3e3"/>'
            f'<line x1="0" y1="0" x2="0" y2="{size}" stroke="#6b6b6b" stroke-width="{width}"/></pattern>'
            f'<pattern id="arsir-kosong" patternUnits="userSpaceOnUse" width="{size}" height="{size}" '
            f'patternTransform="rotate(45)"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="M0 0V{size}M0 0H{size}" stroke="#8c8c8c" stroke-width="{width}"/></pattern></defs>')


def _published(rekap: pd.DataFrame, level: str, min_cell: int,
               penyamaran: Penyamaran | None) -> dict[str, list[list[str]]]:
    """Each area's figures as the report publishes them (``<5`` and ``*`` where hidden), keyed by code."""
    columns = [c for c, _, _ in FIGURES]
    mask = suppression(rekap, level, min_cell, penyamaran)
    text = apply_mask(rekap[columns], mask[[c for c in columns if c in mask.columns]], min_cell,
                      {c: f for c, _, f in FIGURES})
    key = f"kode_{level}"
    return {str(code): [[label, str(text.at[i, c])] for c, label, _ in FIGURES]
            for i, code in zip(rekap.index, rekap[key])}


def _layer(boundaries: Boundaries, rekap: pd.DataFrame, level: str, min_cell: int,
           penyamaran: Penyamaran | None) -> tuple[str, dict, str]:
    """The SVG of one level, its areas' data for the info panel, and its legend (HTML)."""
    key, schematic = f"kode_{level}", boundaries.is_schematic(level)
    areas = attach_rekap(boundaries.polygons(level), rekap, key)
    if not schematic:
        areas = areas.set_geometry(areas.geometry.simplify(SIMPLIFY_M, preserve_topology=True))
    suppressed, no_data = area_states(areas, rekap, level, min_cell, penyamaran)
    decimals = value_decimals(areas["penerima_per_1000"])
    classes = classify(areas["penerima_per_1000"], ~suppressed & ~no_data, decimals=decimals)
    colours = [to_hex(c) for c in class_colours(len(classes.labels))]
    minx, miny, maxx, maxy = areas.total_bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    origin, width, height = (minx - pad, maxy + pad), maxx - minx + 2 * pad, maxy - miny + 2 * pad
    unit = width / 90
    figures = _published(rekap, level, min_cell, penyamaran)
    shapes, labels, data = [], [], {}
    for i, row in areas.iterrows():
        code, name = str(row[key]), str(row[level])
        fill = (SUPPRESSED_FILL if suppressed[i] else NO_DATA_FILL if no_data[i] else colours[int(classes.klass[i])])
        shapes.append(f'<path class="wilayah" tabindex="0" data-tingkat="{level}" data-kode="{html.escape(code)}" '
                      f'aria-label="{html.escape(name)}" fill="{fill}" d="{svg_path(row.geometry, origin)}"/>')
        point = label_point(row.geometry)
        labels.append(f'<text class="nama" x="{round(point.x - origin[0])}" y="{round(origin[1] - point.y)}">'
                      f'{html.escape(name)}</text>')
        remark = ("Disamarkan: angka kecil atau angka yang dapat membuka angka kecil." if suppressed[i] else
                  "Tidak ada data penduduk." if no_data[i] else "")
        heading = f"Kelurahan {name} (Kec. {row['kecamatan']})" if level == "kelurahan" else f"Kecamatan {name}"
        data[code] = {"nama": heading, "angka": figures.get(code, []), "keterangan": remark}
    banner = (f'<text x="{round(width / 2)}" y="{round(unit * 3)}" text-anchor="middle" font-weight="700" '
              f'fill="#a50f15" font-size="{round(unit * 2.6)}">{html.escape(SCHEMATIC_LABEL)}</text>'
              if schematic else "")
    svg = (f'<svg viewBox="0 0 {round(width)} {round(height)}" role="img" '
           f'aria-label="Peta cakupan per {level}" style="--huruf:{round(unit * 1.7)}px">'
           + _hatch_defs(unit) + "".join(shapes) + "".join(labels) + banner + "</svg>")
    legend = [(colour, label) for colour, label in zip(colours, classes.labels)]
    suppressed_label, no_data_label = hatch_labels(min_cell)
    legend += [(SUPPRESSED_FILL, suppressed_label)] * bool(suppressed.any())
    legend += [(NO_DATA_FILL, no_data_label)] * bool(no_data.any())
    return svg, data, _legend_html(legend, classes.method)


def _legend_html(entries: list, method: str) -> str:
    items = []
    for fill, label in entries:
        swatch = (f'<svg viewBox="0 0 28 18" aria-hidden="true">{_hatch_defs(6)}'
                  f'<rect width="28" height="18" fill="{fill}"/></svg>')
        items.append(f"<li>{swatch}<span>{html.escape(label)}</span></li>")
    return (f'<p><strong>Penerima per 1.000 penduduk</strong></p><ul class="legenda">{"".join(items)}</ul>'
            f'<p class="catatan">Kelas warna: {html.escape(method)}.</p>')


def interactive_map_html(
    boundaries: Boundaries, rekap_kec: pd.DataFrame, rekap_kel: pd.DataFrame, *, period: Period, min_cell: int = 5,
    population_note: str = "perkiraan", penyamaran: Penyamaran | None = None,
) -> str:
    """The whole interactive map page for a period, as HTML text (Bahasa Indonesia, no external resource).

    ``penyamaran`` is the run's suppression (coverage.display.suppress_coverage), so the page
    hides exactly what the report's tables hide.
    """
    layers, data = [], {}
    for level, rekap in (("kelurahan", rekap_kel), ("kecamatan", rekap_kec)):
        svg, data[level], legend = _layer(boundaries, rekap, level, min_cell, penyamaran)
        hidden = "" if level == "kelurahan" else " hidden"
        schematic = (f'<p class="skematis">PETA SKEMATIS — setiap kotak mewakili satu {level} dengan letak perkiraan; '
                     f'bukan batas resmi.</p>' if boundaries.is_schematic(level) else "")
        layers.append(f'<section class="lapisan" id="lapisan-{level}"{hidden}><div class="peta">'
                      f'<div class="kanvas">{schematic}{svg}</div><div class="samping">{legend}</div></div></section>')
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    source = "; ".join(f"{lv}: {boundaries.source_of(lv)}" for lv in ("kelurahan", "kecamatan"))
    notes = [f"Sumber: data penerima KMC dari OPD, periode {period.in_words()}, diolah. Penduduk: {population_note}.",
             suppression_note(min_cell), f"Batas wilayah: {source}."]
    if boundaries.is_schematic("kelurahan") and not boundaries.schematic:
        notes.append(f"Berkas batas {boundaries.source} hanya memuat poligon kecamatan; peta kelurahan memerlukan "
                     f"poligon kelurahan, jadi lapisan kelurahan berupa peta skematis.")
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Peta interaktif cakupan KMC — {html.escape(period.in_words())}</title><style>{_CSS}</style></head>"
        f"<body><main><h1>{html.escape(map_title(period))}</h1>"
        '<p class="sub">Arahkan tetikus, ketuk, atau tekan Tab pada wilayah untuk melihat angkanya.</p>'
        '<div class="tombol" role="group" aria-label="Lapisan peta">'
        '<button type="button" data-tingkat="kelurahan" aria-pressed="true">Kelurahan</button>'
        '<button type="button" data-tingkat="kecamatan" aria-pressed="false">Kecamatan</button></div>'
        '<div class="info" id="info" aria-live="polite"><p class="catatan">Pilih wilayah pada peta.</p></div>'
        + "".join(layers)
        + "".join(f'<p class="catatan">{html.escape(n)}</p>' for n in notes)
        + f'<script type="application/json" id="angka">{payload}</script><script>{_JS}</script></main></body></html>\n'
    )


def write_interactive_map(
    boundaries: Boundaries, rekap_kec: pd.DataFrame, rekap_kel: pd.DataFrame, out_dir: str | Path, *,
    period: Period, min_cell: int = 5, population_note: str = "perkiraan", penyamaran: Penyamaran | None = None,
) -> Path:
    """Write ``peta_interaktif_YYYY-MM.html`` into ``out_dir`` (the period's report folder)."""
    path = Path(out_dir) / peta_interaktif_html(period)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(interactive_map_html(boundaries, rekap_kec, rekap_kel, period=period, min_cell=min_cell,
                                         population_note=population_note, penyamaran=penyamaran), encoding="utf-8")
    return path
