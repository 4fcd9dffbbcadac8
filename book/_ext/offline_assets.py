"""Sphinx extension: serve plotly.js and the book's figure script from the site's own _static, offline.

* copies ``plotly.min.js`` from the installed ``plotly`` package into ``_static/`` and loads it once
  on every page (figures are emitted with ``include_plotlyjs=False``);
* writes the book's light and dark plotly templates (``helpers.TEMPLATES``) to ``book-templates.js``
  and copies the book's own ``book/_static/`` files (``book-figures.js`` applies the templates and fits
  figures to the screen; the live panels' scripts are added by ``live_panels``);
* removes the duplicate inline scripts JB1 adds (a console error otherwise) and unrendered widget state;
* warns (an error under ``-W``) when any page would load a script or stylesheet from another site.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset_file

logger = logging.getLogger(__name__)
PLOTLY_JS = "plotly.min.js"
BOOK = Path(__file__).resolve().parent.parent
SCRIPTS = ["book-templates.js", "book-figures.js", "book-teaching.js"]  # in this order, after plotly.js
STYLES = ["book-teaching.css"]  # predict-then-reveal questions, takeaways


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS


def _templates_js() -> str:
    """The book's plotly templates for the browser, from the one place they are defined."""
    import sys

    from plotly.utils import PlotlyJSONEncoder

    sys.path.insert(0, str(BOOK))
    try:
        from helpers import TEMPLATES
    finally:
        sys.path.remove(str(BOOK))
    as_json = {mode: template.to_plotly_json() for mode, template in TEMPLATES.items()}
    return f"window.bookTemplates = {json.dumps(as_json, cls=PlotlyJSONEncoder, separators=(',', ':'))};\n"


def _copy_assets(app: Sphinx) -> None:
    if app.builder.format != "html":  # before pages are written, so their <script> gets a checksum
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    copy_asset_file(str(_plotly_js()), str(static / PLOTLY_JS))
    (static / SCRIPTS[0]).write_text(_templates_js(), encoding="utf-8")
    for own in sorted((BOOK / "_static").iterdir()):  # the book's own scripts and styles
        copy_asset_file(str(own), str(static / own.name))


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _tidy_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated identical <script> entries, and ipywidgets state nobody renders.

    sphinx-thebe and sphinx-togglebutton register their inline scripts from an event that runs once
    per environment update, so JB1 pages get them twice; the second ``const THEBE_JS_URL`` is a
    console error ("Identifier has already been declared"). Widget cells are removed from the pages
    (their plotly twins stand in), so the widget state myst-nb embeds is only dead weight.
    """
    seen, unique = set(), []
    for script in context.get("script_files", []):
        if getattr(script, "attributes", {}).get("type") == WIDGET_STATE:
            continue
        key = (str(getattr(script, "filename", script) or ""), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _check_offline(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    assets = [str(getattr(a, "filename", a) or "") for a in context.get("script_files", [])]
    assets += [str(getattr(a, "filename", a) or "") for a in context.get("css_files", [])]
    for url in assets:
        if url.startswith(("http://", "https://", "//")):
            logger.warning(f"{pagename}: page would load {url} from another site", type="offline", subtype="asset")


def setup(app: Sphinx) -> dict:
    if not _plotly_js().exists():
        raise RuntimeError("plotly is installed without plotly.min.js; reinstall plotly")
    app.add_js_file(PLOTLY_JS, priority=400)
    for offset, script in enumerate(SCRIPTS, start=1):
        app.add_js_file(script, priority=400 + offset)
    for style in STYLES:
        app.add_css_file(style)
    app.connect("html-page-context", _tidy_scripts, priority=998)
    app.connect("html-page-context", _check_offline, priority=999)
    app.connect("builder-inited", _copy_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
