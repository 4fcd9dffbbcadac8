"""Shared fixtures: the helpers module with a private cache, and one strict build of the book."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
sys.path.insert(0, str(BOOK))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tools"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# Tiers, by what a test needs (every test gets exactly one, from its fixtures, so none can be forgotten):
#   unit     no build and no browser: `make test-fast`, the edit loop
#   book     a clean strict build of the book (the chapters' claims, the built site in Chromium, Firefox, WebKit)
BOOK_FIXTURES = {"built_site", "site", "run_chapter", "the_atlas", "browser_at"}
# the files that need the build, slowest first (minutes in `make test`, measured): engines 3-6, links 3-6, site 3-4,
# atlas about 3, chapters and live_site about 2 each, workbench_site 1-2
SLOWEST_FIRST = (
    "test_engines.py",
    "test_links.py",
    "test_site.py",
    "test_atlas.py",
    "test_chapters.py",
    "test_live_site.py",
    "test_workbench_site.py",
)


def pytest_collection_modifyitems(config, items):
    book_files = set()
    for item in items:
        needs_book = bool(BOOK_FIXTURES & set(getattr(item, "fixturenames", ())))
        item.add_marker("book" if needs_book else "unit")
        if needs_book:
            book_files.add(item.path)

    # pytest-xdist (--dist loadfile --no-loadscope-reorder) hands out whole files in this order: first the files
    # that need no build (with --build-first they run while the build does), then the slowest, so that the two
    # workers end together
    def order(item) -> tuple:
        slow = SLOWEST_FIRST.index(item.path.name) if item.path.name in SLOWEST_FIRST else len(SLOWEST_FIRST)
        return (item.path in book_files, slow)

    items.sort(key=order)


def pytest_addoption(parser):
    parser.addoption(
        "--build-first",
        action="store_true",
        help="start the book's clean build as the session starts, in the background, so that the tests that "
        "need no build run meanwhile (make test)",
    )


def pytest_sessionstart(session):
    """With --build-first (``make test``): the build starts at once, in the main process, while pytest-xdist's
    workers run the tests that need no build; built_site waits for it."""
    config = session.config
    if (
        config.getoption("--build-first")
        and not os.environ.get("PYTEST_XDIST_WORKER")
        and not os.environ.get("BOOK_HTML")
    ):
        config.book_thread = threading.Thread(target=_make_book, args=(_shared_dir(config._tmp_path_factory),))
        config.book_thread.start()


def pytest_sessionfinish(session):
    thread = getattr(session.config, "book_thread", None)
    if thread is not None:
        thread.join()  # no build is left running behind the session


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Tests embed and project into a cache of their own, never the reader's .cache (random strings included).

    The browser model's export is the one thing shared with the real cache: it is large, slow to make and the
    same for every run of one model version (tests/test_browser_model.py reads it from there).
    """
    from explainer.infra import cache

    real = cache.CACHE_DIR
    cache.CACHE_DIR = tmp_path_factory.mktemp("cache")
    (cache.CACHE_DIR / "onnx").symlink_to(real / "onnx", target_is_directory=True)
    (real / "onnx").mkdir(parents=True, exist_ok=True)
    yield cache.CACHE_DIR
    cache.CACHE_DIR = real


@pytest.fixture(scope="session")
def helpers():
    import helpers as module

    return module


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """Point the on-disk caches at an empty folder for one test."""
    from explainer.infra import cache

    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


class Build:
    def __init__(self, returncode: int, log: str, html: Path, cache: Path | None, interrupted: int | None = None):
        self.returncode, self.log, self.html, self.cache = returncode, log, html, cache
        self.interrupted = interrupted  # exit status of the build that was stopped part-way, if any


def _interrupt_a_build(cmd: list[str], env: dict, cache: Path) -> int:
    """Start a build, press Ctrl-C (SIGINT to its process group) once kernels are writing vectors; its status."""
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None and len(list(cache.rglob("*.npy"))) < 30:
        time.sleep(0.05)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a pool that does not stop on Ctrl-C: what a closed laptop does
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # kernels left behind by the interrupted build
    return proc.returncode


def _shared_dir(tmp_path_factory) -> Path:
    """The session's folder that pytest-xdist's workers share (each worker's own is one level below)."""
    shared = tmp_path_factory.getbasetemp()
    return shared.parent if os.environ.get("PYTEST_XDIST_WORKER") else shared


def _make_book(shared: Path) -> dict:
    """Once per session, whoever asks first: a build stopped part-way, then the clean strict build; the record."""
    out, record = shared / "book", shared / "book.json"
    with FileLock(str(shared / "book.lock")):
        if not record.exists():
            out.mkdir()
            env = dict(os.environ, EMBEDDINGS_BOOK_CACHE=str(out / "cache"), PYTHONWARNINGS="")
            jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
            cmd = [jupyter_book, "build", "-W", "-n", "--keep-going", "--path-output", str(out), str(ROOT)]
            interrupted = _interrupt_a_build(cmd, env, out / "cache")
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            done = {"returncode": proc.returncode, "log": proc.stdout + proc.stderr, "interrupted": interrupted}
            record.write_text(json.dumps(done), encoding="utf-8")
        return json.loads(record.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Build:
    """Build the book strictly from a clean state, after a first build was stopped part-way with Ctrl-C.

    The second build starts where the interrupted one left its _build, execution cache and embedding
    cache, as a reader's second `make book` would. Set BOOK_HTML=_build/html to test an existing build
    instead (quick iterations while writing).
    """
    if os.environ.get("BOOK_HTML"):  # the site you built, with the caches it was built with
        cache = Path(os.environ.get("EMBEDDINGS_BOOK_CACHE", ROOT / ".cache"))
        return Build(0, "", ROOT / os.environ["BOOK_HTML"], cache)
    shared = _shared_dir(tmp_path_factory)
    done = _make_book(shared)
    out = shared / "book"
    return Build(done["returncode"], done["log"], out / "_build" / "html", out / "cache", done["interrupted"])


@pytest.fixture(scope="session")
def site(built_site):
    if built_site.returncode != 0:
        pytest.fail("the book did not build:\n" + built_site.log[-4000:])
    return built_site.html


@pytest.fixture(scope="module")
def browser_at(site):
    """One Chromium per test module (Playwright allows one sync session at a time) and the served site's address."""
    from browser import chromium, serve

    with serve(site) as base, chromium() as browser:
        yield browser, base


@pytest.fixture(scope="session")
def run_chapter(built_site):
    """Execute a chapter top to bottom in a fresh kernel, then a probe cell; return the probe's JSON.

    The kernel shares the clean build's embedding cache, so this re-runs the chapter's own code (training,
    retrieval) without re-encoding the texts.
    """

    import nbformat
    from nbclient import NotebookClient

    def run(name: str, probe: str) -> dict:
        nb = nbformat.read(BOOK / f"{name}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("import json as _json\nprint(_json.dumps(" + probe + "))"))
        env_cache = str(built_site.cache) if built_site.cache else os.environ.get("EMBEDDINGS_BOOK_CACHE", "")
        old = os.environ.get("EMBEDDINGS_BOOK_CACHE")
        if env_cache:
            os.environ["EMBEDDINGS_BOOK_CACHE"] = env_cache
        try:
            NotebookClient(
                nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}
            ).execute()
        finally:
            if old is None:
                os.environ.pop("EMBEDDINGS_BOOK_CACHE", None)
            else:
                os.environ["EMBEDDINGS_BOOK_CACHE"] = old
        return json.loads(nb.cells[-1].outputs[0]["text"])

    return run


@pytest.fixture(scope="session")
def the_atlas(built_site):
    """The book's atlas, read from the cache the site was built with."""
    from explainer.chapters import atlas
    from explainer.infra import cache

    old = cache.CACHE_DIR
    if built_site.cache is not None:
        cache.CACHE_DIR = built_site.cache
    try:
        atlas.load.cache_clear()
        yield atlas.load(log=None)
    finally:
        cache.CACHE_DIR = old
        atlas.load.cache_clear()
