"""The funding gaps dashboard: what is asked, committed and missing, by GCM objective, region
and resource type, and by country on a world map. Charts are SVG drawn on the server (no
script), each with a text alternative and the table it is drawn from."""

from __future__ import annotations

import re
from typing import Any, Literal

import asyncpg
import pygal
from babel.numbers import format_compact_currency
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from pygal.maps.world import World
from pygal.style import Style

from matchmaker.pages import i18n
from matchmaker.pages.labels import label
from matchmaker.pages.rendering import country_name, objective_title, page, region_name
from matchmaker.pages.sessions import Viewer
from matchmaker.reporting.gaps import FundingGap, GapDimension, funding_gaps
from matchmaker.vocabulary import countries

Chart = Literal["gcm_objective", "region", "resource_type", "country"]
BARS: tuple[GapDimension, ...] = ("gcm_objective", "region", "resource_type")
STYLE = Style(background="white", plot_background="white", font_family="system-ui, sans-serif",
              colors=("#1b6e3a", "#c0392b"), label_font_size=13, major_label_font_size=13, legend_font_size=14)
SVG = "image/svg+xml"
LABEL_LENGTH = 44
_SCRIPT = re.compile(rb"<script\b.*?</script>", re.S)


def key_name(row: FundingGap, by: str, language: str) -> str:
    """A row's key as a reader of ``language`` names it."""
    if by == "region":
        return region_name(str(row.key), language)
    if by == "country":
        return country_name(str(row.key), language)
    if by == "gcm_objective":
        return objective_title(int(row.key), language)
    return label(str(row.key), by, language)


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _without_scripts(chart: Any) -> bytes:
    """The chart's SVG without pygal's configuration scripts (the page shows it as an image)."""
    return _SCRIPT.sub(b"", chart.render())


def bar_chart(rows: list[FundingGap], by: str, language: str) -> bytes:
    """Committed and missing, stacked: each bar is what the needs ask."""
    chart = pygal.HorizontalStackedBar(
        style=STYLE, js=[], width=900, height=max(260, 40 * len(rows) + 140), truncate_label=-1, truncate_legend=-1,
        legend_at_bottom=True, show_minor_x_labels=False, show_minor_y_labels=False, y_labels_major_count=5,
        x_labels_major_count=5, value_formatter=lambda v: format_compact_currency(v, "USD", locale=language),
    )
    # Long titles in full are in the table below the chart.
    chart.x_labels = [_shortened(key_name(r, by, language), LABEL_LENGTH) for r in rows]
    chart.add(i18n.gettext(language, "Committed"), [float(r.committed_usd) for r in rows])
    chart.add(i18n.gettext(language, "Still missing"), [float(r.gap_usd) for r in rows])
    return _without_scripts(chart)


def world_map(rows: list[FundingGap], language: str) -> bytes:
    chart = World(style=Style(background="white", plot_background="white", colors=("#c0392b",)), js=[],
                  width=900, height=480, show_legend=False)
    alpha2 = {code: row["alpha2"].lower() for code, row in countries().items()}
    chart.add(i18n.gettext(language, "Still missing"),
              {alpha2[str(r.key)]: float(r.gap_usd) for r in rows if str(r.key) in alpha2 and r.gap_usd > 0})
    return _without_scripts(chart)


def summary(rows: list[FundingGap], by: str, language: str) -> str:
    """The chart in words, for those who cannot see it: the largest gaps."""
    largest = sorted((r for r in rows if r.gap_usd > 0), key=lambda r: r.gap_usd, reverse=True)[:3]
    items = "; ".join(f"{key_name(r, by, language)}: {i18n.money(r.gap_usd, 'USD', language)}" for r in largest)
    return i18n.gettext(language, "Largest gaps: %(items)s.") % {"items": items} if largest else \
        i18n.gettext(language, "Nothing is missing.")


class GapPages(Controller):
    path = "/gaps"
    include_in_schema = False

    @get("/")
    async def dashboard(self, viewer: NamedDependency[Viewer], lang: NamedDependency[str],
                        db: NamedDependency[asyncpg.Connection]) -> Template:
        sections: list[dict[str, Any]] = []
        for by in (*BARS, "country"):
            rows = await funding_gaps(db, by)
            sections.append({"by": by, "summary": summary(rows, by, lang),
                             "rows": [(key_name(r, by, lang), r) for r in rows]})
        return page("gaps.html", viewer, lang, sections=sections)

    @get("/charts/{chart:str}")
    async def chart(self, chart: FromPath[Chart], viewer: NamedDependency[Viewer], lang: NamedDependency[str],
                    db: NamedDependency[asyncpg.Connection]) -> Response[bytes]:
        rows = await funding_gaps(db, chart)
        svg = world_map(rows, lang) if chart == "country" else bar_chart(rows, chart, lang)
        return Response(svg, media_type=SVG, headers={"Cache-Control": "private, max-age=60", "Vary": "Cookie"})
