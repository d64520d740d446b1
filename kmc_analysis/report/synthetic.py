"""Say ``DATA SINTETIS: bukan data resmi`` on every published page of a month made by ``kmc synth``.

The report's HTML and workbook carry the mark through their templates and writer; this
module marks what earlier stages drew: each map and chart PNG gets a small corner label
(:func:`stamp_png`) and the interactive map page a fixed banner (:func:`stamp_html`). Both
are idempotent and deterministic (same input, same bytes; no PNG metadata is added).
"""

from __future__ import annotations

import re
from pathlib import Path

#: The words every published page of a synthetic month carries.
SYNTHETIC_LABEL = "DATA SINTETIS: bukan data resmi"
_RED = (165, 15, 21)


def stamp_png(path: str | Path) -> Path:
    """Draw the synthetic-data label in the top-right corner of a PNG, in place."""
    from PIL import Image, ImageDraw, ImageFont

    path = Path(path)
    with Image.open(path) as original:
        image = original.convert("RGB")
    width, height = image.size
    size = max(12, int(min(width, height) * 0.022))
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        font = ImageFont.load_default(size)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), SYNTHETIC_LABEL, font=font)
    pad = max(4, size // 3)
    x1, y0 = width - pad, pad
    x0, y1 = x1 - (right - left) - 2 * pad, y0 + (bottom - top) + 2 * pad
    draw.rectangle((x0, y0, x1, y1), fill=(255, 255, 255), outline=_RED, width=max(1, size // 8))
    draw.text((x0 + pad - left, y0 + pad - top), SYNTHETIC_LABEL, fill=_RED, font=font)
    image.save(path, format="PNG", optimize=False)
    return path


_BANNER = (f'<div class="kmc-sintetis" style="position:fixed;top:0;left:0;right:0;z-index:9999;'
           f'background:#a50f15;color:#fff;text-align:center;font:bold 13px sans-serif;padding:4px">'
           f'{SYNTHETIC_LABEL}</div>')


def stamp_html(path: str | Path) -> Path:
    """Put a fixed synthetic-data banner at the top of an HTML page, in place (once)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if 'class="kmc-sintetis"' in text:
        return path
    match = re.search(r"<body[^>]*>", text, flags=re.IGNORECASE)
    position = match.end() if match else 0
    path.write_text(text[:position] + _BANNER + text[position:], encoding="utf-8")
    return path
