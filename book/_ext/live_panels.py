"""Sphinx extension: everything the live panels need, served from the site's own ``_static/live/``.

* before notebooks run: tells their kernels where to write panel data (``EMBEDDINGS_BOOK_PANELS``, next
  to the execution cache) and re-runs a notebook whose panel data has gone missing;
* when the build starts: exports the browser model (``browser_model.export()``, cached on disk) and
  copies it, transformers.js, onnxruntime's WebAssembly and the workbench's libraries (papaparse, umap-js,
  ml-matrix) from ``node_modules`` into ``_static/live/``, gzipping the large files (the browser unpacks
  them); then makes the atlas's words map (``atlas.make()``, cached on disk like the export), so the atlas
  chapter only reads it;
* when it ends: copies the panel data (large files gzipped, and the files it lists, such as audio clips)
  and writes ``live/manifest.js``, the sizes each button states.

The atlas chapter places the book's paragraphs on its map, so it runs again whenever a chapter's prose
has changed, even when its own code has not (the paragraphs' fingerprint is in its published data).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent.parent
BOOK = ROOT / "book"
NODE = ROOT / "node_modules"
# onnxruntime-web's plain CPU build, not the ".asyncify" one transformers.js picks by default: that one carries
# the WebGPU code the book never runs (the model runs on "wasm"), is twice the size (26.9 MB, 6.6 MB gzipped,
# against 14.3 MB and 3.7 MB), and WebKit (Safari's engine) creates the model's session from it 5-8x slower:
# 9.8 s against 1.8 s on a quiet 2-core machine, 22-24 s against 3.0 s on a busy one. Chromium and Firefox
# are no slower for it. transformers.js itself loads this build on Safari without WebGPU.
ORT_BUILD = "ort-wasm-simd-threaded"
RUNTIME = {  # what the browser loads from npm packages, by name in _static/live/
    "transformers.min.js": NODE / "@huggingface" / "transformers" / "dist" / "transformers.min.js",
    f"{ORT_BUILD}.mjs": NODE / "onnxruntime-web" / "dist" / f"{ORT_BUILD}.mjs",
    f"{ORT_BUILD}.wasm": NODE / "onnxruntime-web" / "dist" / f"{ORT_BUILD}.wasm",
}
WORKBENCH = {  # what the workbench adds: CSV parsing, UMAP, an eigen-decomposition for its exact PCA
    "papaparse.min.js": NODE / "papaparse" / "papaparse.min.js",
    "umap-js.min.js": NODE / "umap-js" / "lib" / "umap-js.min.js",
    "matrix.umd.js": NODE / "ml-matrix" / "matrix.umd.js",
}
GZIP_FROM = 200_000  # bytes: larger files are served gzipped
PANEL_DATA = {  # data: the chapter that writes it
    "vocabulary": "vectors",
    "search": "deep-learning",
    "images": "human-experience",
    "sounds": "human-experience",  # spoken clips (WAV files) that the page and the images panel play
    "atlas": "atlas",
    "atlas-neighbours": "atlas",
    "workbench": "your-texts",
}
# panel data made from the book's own paragraphs: all of them, or those of the pages before a chapter
READS_PROSE = {"atlas": None, "workbench": "your-texts"}
SCRIPTS = [  # classic scripts, in this order; they import the ES modules book-maths.js and book-formats.js
    "live/manifest.js",
    "book-live-model.js",  # the model and what every panel shares (window.embeddingsBook)
    "book-live.js",  # the panels' frame
    "book-live-panels.js",
    "book-live-atlas.js",
    "book-live-atlas-map.js",
    "book-workbench.js",
    "book-workbench-io.js",
    "book-live-state.js",  # last: views carried by the URL, once every kind is defined
]
if str(BOOK) not in sys.path:  # the book's own modules: cache, browser_model, atlas, booktext
    sys.path.insert(0, str(BOOK))


def _panels_dir(app: Sphinx) -> Path:
    return Path(app.outdir).parent / ".panels"


def _panel_files(folder: Path, name: str) -> list[Path] | None:
    """The files a panel's data lists besides its .json and .bin (audio clips); None if the .json is unreadable."""
    try:
        listed = json.loads((folder / f"{name}.json").read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return None
    return [folder / name / file for file in listed]


def _panel_data_complete(folder: Path, name: str) -> bool:
    files = _panel_files(folder, name)
    return files is not None and all(p.exists() for p in [folder / f"{name}.bin", *files])


def _heal_missing_panel_data(app: Sphinx, env, docnames: list[str]) -> None:
    """A chapter whose panel data is missing runs again, even when its notebook is in the execution cache."""
    config = getattr(env, "mystnb_config", None)
    if config is None or not config.execution_cache_path:
        return
    missing = [chapter for name, chapter in PANEL_DATA.items() if not _panel_data_complete(_panels_dir(app), name)]
    for name, until in READS_PROSE.items():
        if _paragraphs_changed(_panels_dir(app) / f"{name}.json", until):
            missing.append(PANEL_DATA[name])
    if not missing:
        return
    from jupyter_cache import get_cache

    cache = get_cache(config.execution_cache_path)
    for record in cache.list_cache_records():
        if Path(record.uri).stem in missing:
            cache.remove_cache(record.pk)
    for chapter in missing:
        docname = f"book/{chapter}"
        if docname in env.found_docs and docname not in docnames:
            docnames.append(docname)


def _paragraphs_changed(published: Path, until: str | None) -> bool:
    """True when the book's paragraphs (those before the page ``until``) differ from those last used."""
    from explainer.infra import booktext

    try:
        used = json.loads(published.read_text())["meta"]["paragraphs"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no data yet: the check for missing data runs the chapter
    return used != booktext.fingerprint(booktext.paragraphs(ROOT, until=until))


def _make_atlas(app: Sphinx) -> None:
    """The atlas's words map, made once per model version, word list and settings (minutes), then cached."""
    from explainer.chapters import atlas
    from explainer.infra import booktext

    if app.builder.format != "html" or BOOK / "atlas.ipynb" not in booktext.toc_files(ROOT):
        return

    atlas.make(log=lambda text: logger.info(text))


def _gzipped(source: Path, target: Path) -> None:
    """``target`` + ".gz", reusing a copy made from the same source before (kept beside the export cache)."""
    from explainer.infra import cache

    key = f"{source.name}-{source.stat().st_size}-{int(source.stat().st_mtime)}.gz"
    kept = cache.CACHE_DIR / "onnx" / "gz" / key
    if not kept.exists():
        cache.write_bytes(kept, gzip.compress(source.read_bytes(), compresslevel=9, mtime=0))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, target.with_name(target.name + ".gz"))


def _publish(source: Path, live: Path, name: str, files: dict) -> None:
    """Copy one file into _static/live/<name>, gzipped if large; note its sizes for the manifest."""
    size = source.stat().st_size
    target = live / name
    gz = size > GZIP_FROM and source.suffix not in (".js", ".mjs")  # scripts are imported as they are
    if gz:
        _gzipped(source, target)
        sent = (target.with_name(target.name + ".gz")).stat().st_size
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        sent = size
    kind = {".json": "application/json", ".wasm": "application/wasm", ".onnx": "application/octet-stream"}
    files[name] = {
        "size": size,
        "sent": sent,
        "gz": gz,  # scripts are never stored gzipped, whatever their size
        "type": kind.get(source.suffix, "text/javascript"),
    }


def _copy_runtime(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    missing = [str(path.relative_to(ROOT)) for path in {**RUNTIME, **WORKBENCH}.values() if not path.exists()]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: run `make install` (npm ci) before building the book")
    from explainer.teaching import browser_model

    live = Path(app.outdir) / "_static" / "live"
    files: dict = {}
    for name, source in {**RUNTIME, **WORKBENCH}.items():
        _publish(source, live, name, files)
    model = browser_model.export()
    for source in sorted(p for p in model.rglob("*") if p.is_file()):
        _publish(source, live, f"models/{browser_model.MODEL_NAME}/{source.relative_to(model).as_posix()}", files)
    app.live_files = files  # the manifest is written again once the panel data exists
    _write_manifest(app, files, {})


def _write_manifest(app: Sphinx, files: dict, panels: dict, panel_files: dict | None = None) -> None:
    from explainer.teaching import browser_model

    tokenizer = [n for n in files if n.endswith(("tokenizer.json", "tokenizer_config.json", "config.json"))]
    manifest = {
        "model": browser_model.MODEL_NAME,
        "runtime": {"mjs": f"{ORT_BUILD}.mjs", "wasm": f"{ORT_BUILD}.wasm"},
        "files": {**files, **(panel_files or {})},
        "bytes": {
            "model": sum(f["sent"] for n, f in files.items() if n not in WORKBENCH),  # what a panel fetches to run it
            "workbench": sum(files[n]["sent"] for n in WORKBENCH if n in files),
            "tokenizer": sum(files[n]["sent"] for n in tokenizer) + files["transformers.min.js"]["sent"],
            "panels": panels,
        },
    }
    path = Path(app.outdir) / "_static" / "live" / "manifest.js"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"window.bookLiveManifest = {json.dumps(manifest, separators=(',', ':'))};\n", encoding="utf-8")


def _copy_panel_data(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "live" / "panels"
    target.mkdir(parents=True, exist_ok=True)
    panels, panel_files = {}, {}
    for name in PANEL_DATA:
        parts = [_panels_dir(app) / f"{name}{suffix}" for suffix in (".json", ".bin")]
        if not _panel_data_complete(_panels_dir(app), name):
            logger.warning(f"live panel data {name!r} was not written; delete _build and build again", type="live")
            continue
        for part in parts:
            size = part.stat().st_size
            if size > GZIP_FROM:  # the browser fetches <name>.gz and unpacks it (the manifest says so)
                packed = gzip.compress(part.read_bytes(), compresslevel=6, mtime=0)
                (target / f"{part.name}.gz").write_bytes(packed)
                kind = "application/json" if part.suffix == ".json" else "application/octet-stream"
                panel_files[f"panels/{part.name}"] = {"size": size, "sent": len(packed), "gz": True, "type": kind}
            else:
                shutil.copyfile(part, target / part.name)
        for file in _panel_files(_panels_dir(app), name) or []:  # fetched one by one when played: not in the total
            (target / name).mkdir(exist_ok=True)
            shutil.copyfile(file, target / name / file.name)
        panels[name] = sum(panel_files.get(f"panels/{p.name}", {"sent": p.stat().st_size})["sent"] for p in parts)
    _write_manifest(app, getattr(app, "live_files", {}), panels, panel_files)


def setup(app: Sphinx) -> dict:
    os.environ["EMBEDDINGS_BOOK_PANELS"] = str(_panels_dir(app))  # the kernels inherit it
    for offset, script in enumerate(SCRIPTS, start=10):
        app.add_js_file(script, priority=400 + offset)
    app.add_css_file("book-live.css")
    app.connect("env-before-read-docs", _heal_missing_panel_data, priority=850)
    app.connect("builder-inited", _copy_runtime)
    app.connect("builder-inited", _make_atlas)
    app.connect("build-finished", _copy_panel_data)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
