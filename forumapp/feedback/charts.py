"""Bar charts drawn on the server as SVG: readable at a glance, printable, no script needed.

Each chart carries a ``<title>`` and ``<desc>`` for screen readers, every bar is labelled in
text (colour only repeats what the text says), and ``Chart.rows`` feeds the table that pages
offer as an alternative. Colours are presentation attributes, so the strict
Content-Security-Policy (no inline styles) does not get in the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

RATING_LABELS = {1: "Poor", 2: "Fair", 3: "Good", 4: "Very good", 5: "Excellent"}
# Dark enough against white for a bar (3:1 and more); each bar also says what it is in text.
RATING_COLOURS = {1: "#a4001c", 2: "#9a4d00", 3: "#5f6368", 4: "#0b4f8a", 5: "#1d6b2f"}
BRAND = "#0b4f8a"
INK = "#1a1a1a"

LABEL_WIDTH = 210
BAR_SPACE = 260
VALUE_SPACE = 150
ROW = 30
BAR = 20
MAX_LABEL = 27


@dataclass
class Bar:
    label: str
    value: float
    text: str
    colour: str = BRAND


@dataclass
class Chart:
    """An SVG chart and the numbers behind it (``rows``: label and value text)."""

    chart_id: str
    title: str
    description: str
    headers: tuple[str, str]
    bars: list[Bar] = field(default_factory=list)
    max_value: float | None = None

    @property
    def rows(self) -> list[tuple[str, str]]:
        return [(bar.label, bar.text) for bar in self.bars]

    @property
    def svg(self) -> Markup:
        return _svg(self)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _svg(chart: Chart) -> Markup:
    top = max([bar.value for bar in chart.bars] + [chart.max_value or 0]) or 1
    # The label column fits the longest label (about 8 units a character at this font size).
    longest = max((len(_short(bar.label)) for bar in chart.bars), default=0)
    label_width = min(LABEL_WIDTH, max(60, 8 * longest + 12))
    width = label_width + BAR_SPACE + VALUE_SPACE
    height = ROW * len(chart.bars) + 10
    cid = escape(chart.chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="feedback-chart" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{cid}-title" aria-describedby="{cid}-desc" '
        f'font-size="14" font-family="system-ui, sans-serif">',
        f'<title id="{cid}-title">{escape(chart.title)}</title>',
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>',
    ]
    for index, bar in enumerate(chart.bars):
        y = 5 + index * ROW
        bar_width = round(BAR_SPACE * max(bar.value, 0) / top, 1)
        text_y = y + BAR / 2 + 5
        parts.append(
            f'<text x="{label_width - 8}" y="{text_y}" text-anchor="end" fill="{INK}">'
            f"{escape(_short(bar.label))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{bar_width}" height="{BAR}" '
            f'fill="{escape(bar.colour)}"></rect>'
            f'<text x="{label_width + bar_width + 6}" y="{text_y}" fill="{INK}">'
            f"{escape(bar.text)}</text>"
        )
    parts.append(
        f'<line x1="{label_width}" y1="0" x2="{label_width}" y2="{height}" stroke="{INK}" '
        'stroke-width="1"></line></svg>'
    )
    return Markup("".join(parts))


def rating_chart(chart_id: str, title: str, counts: dict[int, int]) -> Chart:
    """Bars for ratings 5 (top) to 1, each with its count and share."""
    total = sum(counts.values())
    bars = []
    for rating in sorted(RATING_LABELS, reverse=True):
        count = counts.get(rating, 0)
        share = f" ({count / total:.0%})" if total else ""
        bars.append(
            Bar(
                f"{rating} · {RATING_LABELS[rating]}",
                count,
                f"{count}{share}",
                RATING_COLOURS[rating],
            )
        )
    if total:
        average = sum(r * c for r, c in counts.items()) / total
        people = "1 rating" if total == 1 else f"{total} ratings"
        spread = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
        description = f"{people}, average {average:.1f} out of 5. {spread}."
    else:
        description = "No ratings yet."
    return Chart(chart_id, title, description, ("Rating", "People"), bars)


def bar_chart(
    chart_id: str,
    title: str,
    bars: list[Bar],
    headers: tuple[str, str],
    max_value: float | None = None,
    summary: str = "",
) -> Chart:
    """A horizontal bar chart; the description lists every bar's label and text."""
    listed = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) or "No data yet"
    description = f"{summary} {listed}.".strip()
    return Chart(chart_id, title, description, headers, bars, max_value)
