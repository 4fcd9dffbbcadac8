"""How a figure leaves a notebook: plotly's own mimetype for JupyterLab, and static HTML for the site.

In the site every figure is wrapped in an element with ``role="figure"`` and a short text alternative
(its title plus one sentence of what it shows), which screen readers announce. The site's
``_static/book-figures.js`` then applies the light or dark template, fits it to narrow screens and draws
figures far below the fold only when the reader scrolls near them.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections import Counter

import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer

TRACE_TYPE_NAMES = {  # what the text alternative calls a figure, by its main plotly trace type
    "scatter": "scatter plot",
    "scatter3d": "3-D scatter plot (drag to rotate)",
    "heatmap": "heatmap",
    "bar": "bar chart",
    "histogram": "histogram",
}


def _without_tags(text: object) -> str:
    """Figure text without plotly's pseudo-HTML tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(text or ""))).strip()


def describe(fig: dict) -> str:
    """A short text alternative: the title, then one sentence on what the figure shows and how to use it."""
    layout = fig.get("layout", {})
    custom = (layout.get("meta") or {}).get("description") if isinstance(layout.get("meta"), dict) else None
    title = layout.get("title")
    title = _without_tags(title.get("text") if isinstance(title, dict) else title)
    if custom:
        return f"{title}. {custom}" if title else custom
    traces = fig.get("data", [])
    kinds = Counter(t.get("type", "scatter") for t in traces)
    kind = TRACE_TYPE_NAMES.get(kinds.most_common(1)[0][0], "chart") if kinds else "chart"
    groups = [t["name"] for t in traces if t.get("showlegend") is not False and t.get("name")]
    sentence = f"An interactive {kind}"
    if kind == "heatmap" and traces:
        z = traces[0].get("z")
        shape = [int(n) for n in str(z["shape"]).split(",")] if isinstance(z, dict) and "shape" in z else []
        if isinstance(z, list) and z and isinstance(z[0], list):
            shape = [len(z), len(z[0])]
        if len(shape) == 2:
            sentence += f" of {shape[0]} by {shape[1]} values"
    elif groups:
        sentence += f" in {len(groups)} groups: {', '.join(groups[:8])}{'…' if len(groups) > 8 else ''}"
    steps = len(fig.get("frames", []))
    if steps:
        control = "slider" if layout.get("sliders") else "menu or buttons"
        sentence += f"; a {control} steps through {steps} views"
    return f"{title}. {sentence}; hover for values." if title else f"{sentence}; hover for values."


class BookRenderer(MimetypeRenderer):
    """Offer both plotly's own mimetype (JupyterLab, VS Code) and static HTML (the built site).

    The HTML expects plotly.js to be on the page already: the book serves one copy from _static.
    """

    def to_mimebundle(self, fig_dict: dict) -> dict:
        config = {"displaylogo": False, "responsive": True}
        as_json = pio.to_json(fig_dict, validate=False, remove_uids=True)
        div_id = "fig-" + hashlib.sha1(as_json.encode()).hexdigest()[:12]  # same figure, same page bytes
        plot = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            full_html=False,
            config=config,
            div_id=div_id,
            default_width="100%",
            validate=False,
            auto_play=False,
        )
        bundle = json.loads(as_json)
        label = html.escape(describe(bundle), quote=True)
        bundle["config"] = config
        page = f'<div class="book-figure" role="figure" aria-label="{label}">{plot}</div>'
        return {"application/vnd.plotly.v1+json": bundle, "text/html": page}


def use_book_renderer() -> None:
    """Make every figure a chapter shows go through BookRenderer."""
    pio.renderers["book"] = BookRenderer()
    pio.renderers.default = "book"
