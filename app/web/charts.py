"""The 12-month trend chart of a client page, drawn on the server as SVG.

No chart library in the browser: the page stays readable without JavaScript, prints as
drawn, and the numbers plotted are the profile's own. Payment index (0-100, left axis)
is a solid line; weighted DBT (days, right axis) a dashed one; a suppressed month is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 48, 16, 40


@dataclass(frozen=True)
class TrendChart:
    svg: str  # markup, escaped here
    label: str  # the aria-label: what a screen reader says instead of the picture


def _segments(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs, run = [], []
    for point in points:
        if point is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(point)
    if run:
        runs.append(run)
    return runs


def _path(points: list[tuple[float, float] | None], css: str) -> str:
    out = []
    for run in _segments(points):
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        if len(run) == 1:
            x, y = run[0]
            out.append(f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
        else:
            out.append(f'<polyline class="{css}" points="{coords}"/>')
            out.extend(f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>' for x, y in run)
    return "".join(out)


def trend_chart(trend: list[dict]) -> TrendChart:
    """The chart of a profile's `trend` (oldest month first)."""
    months = [m["month"] for m in trend]
    index = [m.get("payment_index") for m in trend]
    dbt = [None if m.get("weighted_dbt") is None else float(m["weighted_dbt"]) for m in trend]
    shown = [d for d in dbt if d is not None]
    dbt_max = max([30.0, *shown])
    dbt_max = float(int(dbt_max / 10 + 1) * 10)  # a round top a bit above the highest
    dbt_min = min([0.0, *shown])
    dbt_min = float(int(dbt_min / 10 - (1 if dbt_min < 0 else 0)) * 10)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y_index(v: float) -> float:
        return TOP + plot_h * (1 - v / 100)

    def y_dbt(v: float) -> float:
        return TOP + plot_h * (1 - (v - dbt_min) / (dbt_max - dbt_min))

    parts = []
    for v in (0, 25, 50, 75, 100):
        yy = y_index(v)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{v}</text>'
        )
    for v in (dbt_min, (dbt_min + dbt_max) / 2, dbt_max):
        parts.append(
            f'<text class="axis dbt" x="{WIDTH - RIGHT + 6}" y="{y_dbt(v) + 4:.1f}">{v:g}</text>'
        )
    for i, month in enumerate(months):
        if len(months) > 6 and i % 2:
            continue  # every other month's name at narrow widths stays legible
        parts.append(
            f'<text class="axis" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle">{escape(month[2:])}</text>'
        )
    parts.append(
        _path([None if v is None else (x(i), y_index(v)) for i, v in enumerate(index)], "pi")
    )
    parts.append(_path([None if v is None else (x(i), y_dbt(v)) for i, v in enumerate(dbt)], "dbt"))
    parts.append(
        f'<text class="legend pi" x="{LEFT}" y="{HEIGHT - 6}">— Index, 0–100 (left)</text>'
        f'<text class="legend dbt" x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
        "- - Weighted DBT, days (right)</text>"
    )
    label = _label(months, index, dbt)
    svg = (
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        + "".join(parts)
        + "</svg>"
    )
    return TrendChart(svg=svg, label=label)


def _label(months: list[str], index: list, dbt: list) -> str:
    if not months:
        return "12-month trend: no months."
    known = [(m, i, d) for m, i, d in zip(months, index, dbt, strict=True) if i is not None]
    span = f"{months[0]} to {months[-1]}"
    if not known:
        return f"12-month trend of payment index and weighted DBT, {span}: every month suppressed."
    first, last = known[0], known[-1]
    return (
        f"12-month trend of payment index and weighted DBT, {span}: payment index "
        f"{first[1]} in {first[0]}, {last[1]} in {last[0]}; weighted DBT {first[2]:g} "
        f"then {last[2]:g} days; {len(months) - len(known)} month(s) suppressed."
    )
