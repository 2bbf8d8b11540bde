"""Chart images for slides and downloads: PNG/SVG through vl-convert, each wrapped with the marking line
(top and bottom), title, subtitle and footer (:func:`with_meta`).

vl-convert renders in-process (no browser) and is called with ``allowed_base_urls=[]``, so no URL or file
is ever read: charts must embed their data inline.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from prioritizer.charts.style import FONT, AnyChart, ChartMeta, marking_colour

_LEGEND_CHANNELS = ("color", "fill", "stroke", "opacity", "shape", "size", "strokeDash")


def _wrap(chart: AnyChart, title: alt.TitleParams) -> alt.VConcatChart:
    """A one-panel concat carrying ``title``, keeping the panel's legends inside it."""
    return alt.vconcat(chart, title=title, spacing=0).resolve_legend(
        **dict.fromkeys(_LEGEND_CHANNELS, "independent"))


def with_meta(chart: AnyChart, meta: ChartMeta) -> alt.VConcatChart:
    """Wrap a chart for a slide: the marking line at top and bottom centre (bold, banner colour),
    the title (and subtitle) above the chart, and the footer
    "Scenario: … · generated YYYY-MM-DD · Partner Prioritizer" under it.

    Vega-Lite titles anchored to the full bounds keep the banners centred on the whole image.
    """
    inner = chart.copy(deep=True)
    config = inner.config
    inner.config = alt.Undefined
    if meta.title or meta.subtitle:
        inner = inner.properties(title=alt.TitleParams(
            text=meta.title or " ", subtitle=meta.subtitle or alt.Undefined, anchor="start", offset=12))
    marking = meta.marking.strip() or "UNCLASSIFIED"
    colour = marking_colour(marking)

    def banner(orient: str) -> alt.TitleParams:
        return alt.TitleParams(marking, orient=orient, anchor="middle", frame="bounds", fontSize=17,
                               fontWeight="bold", color=colour, offset=12)

    footed = _wrap(inner, alt.TitleParams(meta.footer, orient="bottom", anchor="middle", frame="bounds",
                                          fontSize=13, fontWeight="normal", color="#444444", offset=14))
    out = _wrap(_wrap(footed, banner("bottom")), banner("top"))
    out.config = config if config is not alt.Undefined else alt.Config(font=FONT)
    return out


def _spec(chart: AnyChart, meta: ChartMeta | None) -> str:
    return (with_meta(chart, meta) if meta is not None else chart).to_json()


def _convert(name: str, spec: str, **kwargs: Any) -> Any:
    # vl-convert is imported on first export only: its native library (~45 ms, large) is needed only when an
    # image is written, not by the many modules that merely import the charts package.
    import vl_convert as vlc

    try:
        return getattr(vlc, name)(spec, allowed_base_urls=[], **kwargs)
    except ValueError as exc:
        raise RuntimeError(f"chart export failed (charts must use inline data only): {exc}") from None


def to_png(chart: AnyChart, meta: ChartMeta | None, scale: float = 2) -> bytes:
    """PNG bytes of the chart with its banners, title and footer (``scale`` 2 ≈ slide resolution).

    vl-convert renders in-process with no browser; ``allowed_base_urls=[]`` blocks every URL and file.
    """
    return _convert("vegalite_to_png", _spec(chart, meta), scale=scale)


def to_svg(chart: AnyChart, meta: ChartMeta | None) -> str:
    """SVG text of the chart with its banners, title and footer (text stays selectable/editable)."""
    return _convert("vegalite_to_svg", _spec(chart, meta))


def to_png_and_svg(chart: AnyChart, meta: ChartMeta | None, scale: float = 2) -> tuple[bytes, str]:
    """Both exports from one Vega render: the SVG, then its PNG rasterised by vl-convert (same image
    as :func:`to_png`, about half the time of rendering twice)."""
    # Optional heavy import, as in _convert: only when an image is written.
    import vl_convert as vlc

    svg = to_svg(chart, meta)
    try:
        return vlc.svg_to_png(svg, scale=scale), svg
    except ValueError as exc:
        raise RuntimeError(f"chart export failed: {exc}") from None
