"""Server-rendered SVG charts (the pages and, later, the PDFs use the same markup).

Bars and labels are placed with percentages of the chart's width, so the chart fills any
container without scaling its text: it stays legible on a phone and on a wide screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

STAGE_COLORS = {
    "new": "#64748b",
    "outreach": "#2563eb",
    "qualified": "#4f46e5",
    "negotiation": "#d97706",
    "under_contract": "#7c3aed",
    "closed_won": "#059669",
    "closed_lost": "#e11d48",
    "archived": "#94a3b8",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    color: str
    note: str = ""  # shown after the value, e.g. a money total


def bar_chart(bars: list[Bar], *, title: str, row_height: int = 44) -> Markup:
    """A horizontal bar chart: label and value above each bar, bar length relative to the largest."""
    peak = max((b.value for b in bars), default=0) or 1
    total = sum(b.value for b in bars)
    height = row_height * len(bars)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(bars):
        top = i * row_height
        share = f"{round(100 * bar.value / total)}%" if total else "0%"
        width = max(100 * bar.value / peak, 2.0)
        value = f"{bar.value:,}" + (f" · {bar.note}" if bar.note else "")
        parts.append(
            f'<g class="chart-row"><text x="0" y="{top + 15}" class="chart-label">{escape(bar.label)}</text>'
            f'<text x="100%" y="{top + 15}" text-anchor="end" class="chart-value">{escape(value)}'
            f'<tspan class="chart-share" dx="6">{share}</tspan></text>'
            f'<rect x="0" y="{top + 23}" width="100%" height="10" rx="5" class="chart-track"/>'
        )
        if bar.value:
            parts.append(
                f'<rect x="0" y="{top + 23}" width="{width:.2f}%" height="10" rx="5" '
                f'fill="{escape(bar.color)}"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
