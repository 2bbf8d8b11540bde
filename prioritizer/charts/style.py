"""The charts' shared look and small helpers: fonts and sizes (standard and presentation), the Okabe–Ito
palette, fixed colours per command and quadrant, marking-banner colours, :class:`ChartMeta` (what a slide
image carries) and the frame/column helpers every chart module uses.

Sizes are in pixels. ``presentation=True`` (projector) gives larger axis, legend and mark text, and legends
in two columns with whole labels (never "IMET-ty…").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.domain import CATEGORY_LABELS, COMMANDS
from prioritizer.errors import InputError

AnyChart = alt.Chart | alt.LayerChart | alt.VConcatChart | alt.HConcatChart | alt.ConcatChart | alt.FacetChart

TOOL_NAME = "Partner Prioritizer"
DEFAULT_WIDTH = 640

FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
LABEL_SIZE = 14
TITLE_SIZE = 15
TEXT_SIZE = 13
# Presentation mode (projected at 1920×1080): axis labels, axis titles, legend text, text marks.
LARGE_LABEL_SIZE = 18
LARGE_TITLE_SIZE = 19
LARGE_LEGEND_SIZE = 17
LARGE_TEXT_SIZE = 17

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "black": "#000000",
}
GREY = "#9E9E9E"
NO_DATA = "#DADADA"
# One fixed colour per command (prioritizer.domain order: AFRICOM green, CENTCOM orange, EUCOM sky, INDOPACOM
# blue, NORTHCOM vermillion, SOUTHCOM purple); a command added to commands.csv takes the next colour.
_COMMAND_PALETTE = ("green", "orange", "sky", "blue", "vermillion", "purple", "yellow")
COMMAND_COLOURS = {c: OKABE_ITO[_COMMAND_PALETTE[i % len(_COMMAND_PALETTE)]] for i, c in enumerate(COMMANDS)}
QUADRANT_COLOURS = {
    "invest": OKABE_ITO["green"],
    "manage expectations": OKABE_ITO["vermillion"],
    "opportunity": OKABE_ITO["blue"],
    "deprioritise": GREY,
}
INCREASE, DECREASE = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
# Classification-banner colours for common marking lines (text is white on the bar).
MARKING_COLOURS = {
    "TOP SECRET": "#FF8C00",
    "SECRET": "#C8102E",
    "CONFIDENTIAL": "#0033A0",
    "CUI": "#502B85",
    "CONTROLLED": "#502B85",
    "UNCLASSIFIED": "#007A33",
}


def text_size(presentation: bool = False) -> int:
    """Font size of text marks (value labels, point labels) in px: larger on a projector."""
    return LARGE_TEXT_SIZE if presentation else TEXT_SIZE


def style(chart: AnyChart, *, presentation: bool = False, legend_columns: int = 3) -> AnyChart:
    """Apply the shared look: font, large labels, no view border, left-aligned titles, legend at the bottom.

    ``presentation`` sets the projector sizes and at most two legend columns with whole (uncut) labels.
    """
    label, title = (LARGE_LABEL_SIZE, LARGE_TITLE_SIZE) if presentation else (LABEL_SIZE, TITLE_SIZE)
    legend = LARGE_LEGEND_SIZE if presentation else LABEL_SIZE
    return (
        chart.configure(font=FONT, background="white", padding={"left": 8, "right": 16, "top": 8, "bottom": 8})
        .configure_axis(labelFontSize=label, titleFontSize=title, labelLimit=360 if presentation else 260,
                        titleFontWeight="normal", gridColor="#E6E6E6")
        .configure_legend(labelFontSize=legend, titleFontSize=legend, labelLimit=0 if presentation else 260,
                          symbolSize=180 if presentation else 140, orient="bottom", direction="horizontal",
                          columns=min(legend_columns, 2) if presentation else legend_columns)
        .configure_axisQuantitative(labelOverlap=True, labelSeparation=10)  # never two numbers run together
        .configure_header(labelFontSize=label, titleFontSize=title)
        .configure_title(fontSize=20, subtitleFontSize=15, anchor="start", subtitleColor="#444444")
        .configure_view(strokeWidth=0)
    )


def colour_scale(values: pd.Series, colours: Mapping[str, str]) -> alt.Scale:
    """An ordinal colour scale with a fixed colour per known value and grey for any other value."""
    present = [v for v in colours if v in set(values.dropna())]
    others = sorted({str(v) for v in values.dropna()} - set(colours))
    return alt.Scale(domain=present + others, range=[colours[v] for v in present] + [GREY] * len(others))


def with_id_column(df: pd.DataFrame, id_col: str = "partner_id") -> pd.DataFrame:
    """A copy with the partner id as a column (scores frames carry it as the index)."""
    out = df.copy()
    if id_col not in out.columns:
        out = out.rename_axis(id_col).reset_index()
    return out


def require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    """InputError naming the chart and the missing columns when ``df`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{what} needs column(s) {', '.join(missing)}; got {', '.join(map(str, df.columns))}")


def category_text(category: str) -> str:
    """Display label of a category id (a ``<category>_score`` column too), from prioritizer.domain."""
    key = str(category).removesuffix("_score")
    return CATEGORY_LABELS.get(key, key.replace("_", " ").capitalize())


def money_text(x: float, decimals: int = 1, *, signed: bool = False) -> str:
    """US$ M as text: ``$12.3M``; ``signed`` adds + / − (± when it rounds to zero). The one money formatter
    of charts, the summary and the deck."""
    x = round(float(x), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    body = f"${abs(x):,.{decimals}f}M"
    if signed:
        return ("+" if x > 0 else "−" if x < 0 else "±") + body
    return ("−" if x < 0 else "") + body


def stable_jitter(keys: pd.Series, width: float) -> np.ndarray:
    """Deterministic jitter in [-width, width] from each key's CRC32 (same partner, same place)."""
    h = np.array([zlib.crc32(str(k).encode("utf-8")) for k in keys], dtype=float)
    return (h / 0xFFFFFFFF * 2.0 - 1.0) * width


@dataclasses.dataclass(frozen=True)
class ChartMeta:
    """What a slide image must carry: title, scenario, date (ISO, default today) and marking line."""

    title: str = ""
    scenario: str = "default"
    date: str = dataclasses.field(default_factory=lambda: dt.date.today().isoformat())
    marking: str = "UNCLASSIFIED"
    subtitle: str | None = None

    @property
    def footer(self) -> str:
        return f"Scenario: {self.scenario} · generated {self.date} · {TOOL_NAME}"


def marking_colour(marking: str) -> str:
    """Banner colour for a marking line (US classification-banner convention; dark grey if unknown)."""
    text = marking.upper()
    for key, colour in MARKING_COLOURS.items():
        if key in text and not (key == "SECRET" and "UNCLASSIFIED" in text):
            return colour
    return "#333333"
