"""Sphinx extension: serve plotly.js and the book's figure script from the site's own _static, offline.

* copies ``plotly.min.js`` from the installed ``plotly`` package into ``_static/`` and loads it once
  on every page (figures are emitted with ``include_plotlyjs=False``);
* writes what the JavaScript shares with the Python, from the one place each is defined: the settings
  (``browser_constants``: palette, limits, bins, the atlas's trace names...) to ``book-constants.js``, read by
  pages and workers as ``globalThis.bookConstants``, and the light and dark plotly templates
  (``helpers.TEMPLATES``) to ``book-templates.js``;
* copies the book's own ``book/_static/`` files (``book-figures.js`` applies the templates and fits figures
  to the screen; the live panels' scripts are added by ``live_panels``);
* removes the duplicate inline scripts JB1 adds (a console error otherwise) and unrendered widget state;
* warns (an error under ``-W``) when any page would load a script or stylesheet from another site.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset_file

logger = logging.getLogger(__name__)
PLOTLY_JS = "plotly.min.js"
BOOK = Path(__file__).resolve().parent.parent
SCRIPTS = ["book-constants.js", "book-templates.js", "book-figures.js", "book-teaching.js"]  # after plotly.js
STYLES = ["book-teaching.css"]  # predict-then-reveal questions, takeaways


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS


@contextlib.contextmanager
def _book_modules() -> Iterator[None]:
    """The book's own modules importable by name, as the notebooks import them."""
    sys.path.insert(0, str(BOOK))
    try:
        yield
    finally:
        sys.path.remove(str(BOOK))


def _templates_js() -> str:
    """The book's plotly templates for the browser, from the one place they are defined."""
    from plotly.utils import PlotlyJSONEncoder

    with _book_modules():
        from helpers import TEMPLATES
    as_json = {mode: template.to_plotly_json() for mode, template in TEMPLATES.items()}
    return f"window.bookTemplates = {json.dumps(as_json, cls=PlotlyJSONEncoder, separators=(',', ':'))};\n"


def browser_constants() -> dict:
    """Every value the site's JavaScript shares with the Python that drew the pages, read from where it is
    defined (tests/test_js.py checks that no script carries a copy of its own)."""
    with _book_modules():
        import helpers
        from explainer.chapters import atlas, atlas_view, inside, workbench
        from explainer.infra import projections
        from explainer.teaching import browser_model, live
    low, high, width = workbench.BINS
    return {
        "model": browser_model.MODEL_NAME,  # the folder name under _static/live/models/
        "palette": list(helpers.COLORS),  # the book's 10 colours, in order
        "ink": helpers.INK,
        "muted": helpers.MUTED,
        "maxTextChars": helpers.MAX_TEXT_CHARS,  # the longest text a box takes (helpers.embed's limit)
        "explorer": {"maxWords": live.MAX_LIVE_WORDS, "heatmapHeight": helpers.HEATMAP_HEIGHT},
        "tokens": {
            "maxChars": inside.TOKENS_MAX_CHARS,
            "markers": list(inside.MARKERS),
            "colours": inside.PIECE_COLOURS,
        },
        "workbench": {
            "maxItems": workbench.MAX_ITEMS,
            "maxLabel": workbench.MAX_LABEL,
            "shownPairs": workbench.SHOWN_PAIRS,
            "hoverLabel": workbench.HOVER_LABEL,
            "pairLabel": workbench.PAIR_LABEL,
            "nearest": workbench.NEAREST,
            "bins": {"low": low, "high": high, "width": width},
            "clusters": {"min": workbench.MIN_CLUSTERS, "max": workbench.MAX_CLUSTERS},
            "kmeansStarts": workbench.KMEANS_STARTS,
            "formulaStarts": workbench.FORMULA_STARTS,
            "umapMinDist": projections.UMAP_MIN_DIST,
        },
        "atlas": {"k": atlas.K, "traces": dict(atlas_view.TRACES)},
    }


def constants_js() -> str:
    """``book-constants.js``: a classic script (pages load it first, workers import it) that sets the settings."""
    text = json.dumps(browser_constants(), indent=1, ensure_ascii=False)
    return f"/* Written by book/_ext/offline_assets.py from the book's Python: edit them there. */\nglobalThis.bookConstants = {text};\n"


def _copy_assets(app: Sphinx) -> None:
    if app.builder.format != "html":  # before pages are written, so their <script> gets a checksum
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    copy_asset_file(str(_plotly_js()), str(static / PLOTLY_JS))
    (static / "book-constants.js").write_text(constants_js(), encoding="utf-8")
    (static / "book-templates.js").write_text(_templates_js(), encoding="utf-8")
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
