"""How a figure leaves a notebook: plotly's own mimetype for JupyterLab, and static HTML for the site."""

from __future__ import annotations

import hashlib
import json

import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer


class BookRenderer(MimetypeRenderer):
    """Offer both plotly's own mimetype (JupyterLab, VS Code) and static HTML (the built site).

    The HTML expects plotly.js to be on the page already: the book serves one copy from _static.
    """

    def to_mimebundle(self, fig_dict: dict) -> dict:
        config = {"displaylogo": False, "responsive": True}
        as_json = pio.to_json(fig_dict, validate=False, remove_uids=True)
        div_id = "fig-" + hashlib.sha1(as_json.encode()).hexdigest()[:12]  # same figure, same page bytes
        html = pio.to_html(
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
        bundle["config"] = config
        return {"application/vnd.plotly.v1+json": bundle, "text/html": html}


def use_book_renderer() -> None:
    """Make every figure a chapter shows go through BookRenderer."""
    pio.renderers["book"] = BookRenderer()
    pio.renderers.default = "book"
