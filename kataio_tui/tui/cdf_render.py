"""An ASCII latency CDF on a log axis with plotext 6 (no Textual): one series per runtime, each with
its own marker and a legend, so it stays readable without colour. Series are drawn in list order,
so the last one is on top where curves overlap (the results view puts the baseline last).

The x axis holds log10(latency) on a linear scale with tick labels at real values: a log-scaled
axis is avoided on purpose (see the TUI notes: it transformed data in place in plotext 5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kataio_tui.printable import printable

# distinct, single-cell and not letters, so the legend and the curves read the same in monochrome
MARKERS = ("*", "+", "#", "@", "%", "&")
MIN_WIDTH, MIN_HEIGHT = 30, 8


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    xs_us: Sequence[float]  # latency in microseconds, ascending
    ys: Sequence[float]  # cumulative fraction 0..1
    marker: str = ""  # its marker (one of MARKERS); empty: by position in the list


def format_us(us: float) -> str:
    """10 -> '10µs', 1000 -> '1ms', 2e6 -> '2s'."""
    for unit, factor in (("s", 1e6), ("ms", 1e3)):
        if us >= factor:
            return f"{us / factor:g}{unit}"
    return f"{us:g}µs"


def thin(xs: Sequence[float], ys: Sequence[float], buckets: int) -> tuple[list[float], list[float]]:
    """At most about `buckets` points, evenly spread on the log axis; the last point of each bucket
    is kept so the curve keeps its height."""
    if len(xs) <= buckets:
        return [math.log10(x) for x in xs], list(ys)
    lo, hi = math.log10(xs[0]), math.log10(xs[-1])
    span = (hi - lo) or 1.0
    out_x: list[float] = []
    out_y: list[float] = []
    last_bucket = None
    for x, y in zip(xs, ys):
        lx = math.log10(x)
        bucket = int((lx - lo) / span * buckets)
        if bucket == last_bucket:
            out_x[-1], out_y[-1] = lx, y
        else:
            out_x.append(lx)
            out_y.append(y)
            last_bucket = bucket
    return out_x, out_y


def decade_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    first, last = math.floor(lo), math.ceil(hi)
    steps = (1, 2, 5) if last - first <= 2 else (1,)
    positions = [e + math.log10(m) for e in range(first, last + 1) for m in steps]
    positions = [p for p in positions if first <= p <= last]
    return positions, [format_us(round(10 ** p, 6)) for p in positions]


def render_cdf(series: Sequence[Series], width: int, height: int, title: str = "") -> str:
    """The plot as plain text (no colour codes), exactly width x height cells."""
    usable = [s for s in series if len(s.xs_us) and min(s.xs_us) > 0]
    if width < MIN_WIDTH or height < MIN_HEIGHT or not usable:
        return ""
    import plotext as plt  # 0.1 s: only once there is something to plot
    fig = plt.figure
    fig.clear()
    fig.plot_size(width, height)
    lo = min(math.log10(s.xs_us[0]) for s in usable)
    hi = max(math.log10(s.xs_us[-1]) for s in usable)
    for i, s in enumerate(usable):
        xs, ys = thin(s.xs_us, s.ys, max(width, 20))
        xs.insert(0, xs[0])  # the step up from 0 at the fastest bin
        ys.insert(0, 0.0)
        signal = fig.signal(xs, ys, marker=s.marker or MARKERS[i % len(MARKERS)])
        signal.label(printable(s.label))
        signal.lines(True)
        fig.draw(signal)
    positions, labels = decade_ticks(lo, hi)
    fig.ruler("x").ticks(positions, labels)
    fig.ruler("x").lim(math.floor(lo), math.ceil(hi))
    fig.ruler("y").ticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    fig.ruler("y").lim(0, 1)
    # anchored at the lower right, in data units: the corner a CDF leaves empty
    fig.legend(True, x=math.ceil(hi), y=0, ha="right", va="bottom", relative=True)
    if title:
        fig.title(printable(title))
    text = fig.build().string(colorless=True)
    fig.clear()
    return text
