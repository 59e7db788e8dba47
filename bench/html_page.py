"""The same handout as an HTML page, for WeasyPrint: the usual Python alternative we compare with."""

from __future__ import annotations

from html import escape

from handouts.models import Handout
from handouts.render import booking_qr as qr
from handouts.render.fonts import FONT_DIR
from handouts.wording import clinic_text, load


def html_page(h: Handout) -> str:
    clinic = h.clinic
    grid = qr.modules(clinic.qr_target)
    cells = "".join(f'<rect x="{c}" y="{r}" width="1" height="1"/>' for r, row in enumerate(grid) for c, dark in enumerate(row) if dark)
    svg = f'<svg viewBox="0 0 {len(grid)} {len(grid)}" width="72pt" height="72pt">{cells}</svg>'
    words = load(h.lang)
    cards = "".join(
        f'<div class="card"><h3><span class="badge">{i}</span>{escape(ex.title)}</h3><ul>'
        + "".join(f"<li>{escape(c)}</li>" for c in ex.cues)
        + f'</ul><div class="dose"><b>{escape(words.band(ex.dose))}</b>'
        f"<br>{escape(ex.dose.load)}</div></div>"
        for i, ex in enumerate(h.exercises, 1)
    )
    days = h.log_days
    head = "".join(f"<th>{words.weekday(d)}<br><b>{d.day}</b></th>" for d in days)
    rows = "".join(
        f"<tr><td>{i}. {escape(ex.log_label)}</td><td>{words.weekly_target(ex.dose)}</td>"
        + '<td><span class="box"></span></td>' * 14
        + "</tr>"
        for i, ex in enumerate(h.exercises, 1)
    )
    legend = "".join(f"<div><b>RPE {lvl}</b> {escape(text)}</div>" for lvl, text in clinic_text(clinic, words).rpe_legend if int(lvl) >= 7)
    return f"""<!doctype html><html lang="en-US"><head><meta charset="utf-8">
<title>Home exercise plan for {escape(h.patient)}</title>
<style>
@font-face {{ font-family: A; src: url("file://{FONT_DIR}/AtkinsonHyperlegibleNext-Regular.ttf"); }}
@font-face {{ font-family: A; font-weight: bold; src: url("file://{FONT_DIR}/AtkinsonHyperlegibleNext-Bold.ttf"); }}
@page {{ size: {h.paper}; margin: 0.5in; }}
body {{ font-family: A; font-size: 11pt; color: #1a1a1a; }}
header {{ display: flex; justify-content: space-between; border-bottom: 2pt solid {clinic.brand_color}; }}
h1 {{ font-size: 17pt; color: {clinic.brand_color}; margin: 0; }}
.cards {{ display: grid; grid-template-columns: 1fr 1fr; gap: 6pt; }}
.card {{ border: 0.75pt solid #8a8a8a; border-radius: 4pt; padding: 6pt; }}
.card h3 {{ font-size: 13pt; margin: 0; }} .card ul {{ margin: 3pt 0; padding-left: 12pt; }}
.badge {{ background: {clinic.brand_color}; color: white; border-radius: 50%; padding: 0 5pt; margin-right: 6pt; }}
.dose {{ background: #edf0f2; padding: 3pt; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border-bottom: 0.5pt solid #8a8a8a; font-size: 9pt; }}
.box {{ display: inline-block; width: 11pt; height: 11pt; border: 0.8pt solid #444; }}
.legend {{ columns: 2; }} .safety {{ background: #edf0f2; border-left: 4pt solid {clinic.brand_color}; padding: 6pt; font-weight: bold; }}
</style></head><body>
<header><div><h1>{escape(clinic.name)}</h1>{escape(clinic.signed)}</div>
<div>{escape(clinic.qr_caption)}<br><b>or call {escape(clinic.phone)}</b></div>{svg}</header>
<p>For <b style="font-size:20pt">{escape(h.patient)}</b><br><b>{escape(h.program_title)}</b> · Given {h.issued}</p>
<div class="cards">{cards}</div>
<h3>Two-week log</h3><table><tr><th></th><th>goal</th>{head}</tr>{rows}</table>
<p><b>How hard should it feel?</b></p><div class="legend">{legend}</div>
<p class="safety">{escape(clinic.safety)}</p>
</body></html>"""
