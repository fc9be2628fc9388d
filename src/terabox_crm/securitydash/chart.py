"""A stacked bar chart as server-rendered SVG (no script, no CDN: CSP stays strict).

``layout`` turns a ``selectors.Chart`` into rectangles, axis ticks and a
legend for the template; colours are SVG presentation attributes, not inline
styles, which the Content-Security-Policy would refuse.

The page draws it twice, one shown at a time by the stylesheet: wide for a
desktop (up to 8 dates on the axis) and narrow for a phone (``PHONE``: a
viewBox about as wide as a 390 px screen, so its labels stay about 12 px, and
at most 4 dates). Axis dates are short (「12月6日」, "6 Dec": the year is in
the heading); each bar's title and the table (``rows``) give the whole date.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats, timezone

# Colour-blind-safe palette (Okabe–Ito), in order of each kind's total.
PALETTE = ["#D55E00", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 36


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    left: int
    ticks: int  # at most this many labels on the time axis
    font: int = 11  # label size in viewBox units


DESKTOP = Size(WIDTH, HEIGHT, LEFT, 8)
PHONE = Size(340, 220, 28, 4, font=12)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass
class Tick:
    position: float
    label: str


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return -(-value // step) * step
    return value


def _bucket_label(moment, unit: str) -> str:
    local = timezone.localtime(moment)
    if unit == "hour":
        return formats.date_format(local, "SHORT_DATETIME_FORMAT")
    return formats.date_format(local, "SHORT_DATE_FORMAT")


def _axis_label(moment, unit: str) -> str:
    """A time axis label, short: 09:00 for an hour, 12月6日 / 6 Dec for a day."""
    local = timezone.localtime(moment)
    if unit == "hour":
        return formats.time_format(local, "H:i")
    return formats.date_format(local, "MONTH_DAY_FORMAT")


def rows(chart) -> list[dict]:
    """The chart as a table, one row per hour or day: its whole date, the
    events and how many of each kind (the text alternative of the bars)."""
    return [
        {
            "label": _bucket_label(bucket, chart.unit),
            "moment": bucket,
            "total": sum(s.counts[i] for s in chart.series),
            "kinds": [f"{s.label} ×{s.counts[i]}" for s in chart.series if s.counts[i]],
        }
        for i, bucket in enumerate(chart.buckets)
    ]


def layout(chart, size: Size = DESKTOP) -> dict:
    n = len(chart.buckets)
    colours = {s.action: PALETTE[i % len(PALETTE)] for i, s in enumerate(chart.series)}
    stack_totals = [sum(s.counts[i] for s in chart.series) for i in range(n)]
    top = _nice_max(max(stack_totals, default=0))
    left = size.left
    plot_w = size.width - left - RIGHT
    plot_h = size.height - TOP - BOTTOM
    slot = plot_w / max(n, 1)
    bar_w = max(2.0, slot * 0.7)
    bars = []
    for i, bucket in enumerate(chart.buckets):
        base = 0
        label = _bucket_label(bucket, chart.unit)
        for s in chart.series:
            value = s.counts[i]
            if not value:
                continue
            height = plot_h * value / top
            y = TOP + plot_h - plot_h * (base + value) / top
            bars.append(
                Bar(
                    x=round(left + i * slot + (slot - bar_w) / 2, 1),
                    y=round(y, 1),
                    width=round(bar_w, 1),
                    height=round(max(height, 0.5), 1),
                    fill=colours[s.action],
                    title=f"{label} · {s.label}: {value}",
                )
            )
            base += value
    # Evenly spaced labels, the last bucket's always among them, never two
    # closer than a step (the last one replaces the one before it if need be).
    every = max(1, -(-n // size.ticks))
    shown = [i for i in range(n) if (n - 1 - i) % every == 0]
    x_ticks = [
        Tick(round(left + i * slot + slot / 2, 1), _axis_label(chart.buckets[i], chart.unit))
        for i in shown
    ]
    y_ticks = [
        Tick(round(TOP + plot_h - plot_h * v / top, 1), str(v)) for v in sorted({0, top // 2, top})
    ]
    legend = [(s.label, colours[s.action], s.total, s.action, s.high) for s in chart.series]
    return {
        "width": size.width,
        "font": size.font,
        "height": size.height,
        "left": left,
        "right": size.width - RIGHT,
        "baseline": TOP + plot_h,
        "label_y": size.height - BOTTOM + 16,
        "bars": bars,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "legend": legend,
    }
