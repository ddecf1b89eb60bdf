"""The latency CDF widget: plotext text coloured per series from the theme's series-N variables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.widget import Widget

from kataio_tui.printable import printable
from kataio_tui.tui.cdf_render import MARKERS, MIN_HEIGHT, MIN_WIDTH, Series, render_cdf
from kataio_tui.tui.themes import SERIES_VARIABLES

_FRAME_LEFT = "│┤"


class CdfPlot(Widget):
    DEFAULT_CSS = """
    CdfPlot { height: 1fr; min-height: 10; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._series: list[Series] = []
        self._title = ""
        self._empty = "no latency histogram to plot"
        self._cache: tuple[tuple, Text] | None = None

    def show(self, series: Sequence[Series], title: str, empty: str = "no latency histogram to plot") -> None:
        self._series = list(series)
        self._title = title
        self._empty = empty
        self._cache = None
        self.refresh()

    @property
    def series(self) -> list[Series]:
        return self._series

    def _styles(self) -> dict[str, Style]:
        variables = self.app.theme_variables
        styles = {}
        for marker, name in zip(MARKERS, SERIES_VARIABLES):
            value = variables.get(name)
            try:
                styles[marker] = Style(color=Color.parse(value).rich_color, bold=True) if value else Style(bold=True)
            except Exception:  # a theme colour Textual cannot parse: keep the marker, drop the colour
                styles[marker] = Style(bold=True)
        return styles

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        key = (width, height, self.app.theme, id(self._series), self._title)
        if self._cache and self._cache[0] == key:
            return self._cache[1]
        plain = render_cdf(self._series, width, height, self._title)
        if not plain:
            reason = (f"enlarge the window to see the CDF (needs {MIN_WIDTH}x{MIN_HEIGHT})"
                      if self._series and (width < MIN_WIDTH or height < MIN_HEIGHT) else self._empty)
            text = Text(f"{printable(self._title)}\n{reason}" if self._title else reason)
        else:
            text = self._colour(plain)
        self._cache = (key, text)
        return text

    def _colour(self, plain: str) -> Text:
        styles = self._styles()
        text = Text()
        for line in plain.splitlines():
            start = min((line.find(c) for c in _FRAME_LEFT if c in line), default=-1)
            end = line.rfind("│")
            row = Text(line)
            if start >= 0 and end > start:
                for col in range(start + 1, end):
                    style = styles.get(line[col])
                    if style is not None:
                        row.stylize(style, col, col + 1)
            text.append_text(row)
            text.append("\n")
        text.rstrip()
        return text
