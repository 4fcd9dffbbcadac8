"""`make bench`: the performance budget of DESIGN.md, measured on this machine.

Prints (1) the floor: one stack import in a fresh interpreter; (2) a clean build and its ratio to
floor x executed notebooks; (2b) a second clean build with its own empty caches, compared with the first
page by page (tools/same_book.py: the same commit must make the same book); (3) a no-change rebuild; (4) each chapter's Run All in a fresh kernel, with
empty caches and with warm ones; (5) page sizes; (6) the first screen of figures drawn after navigation,
in Chromium; (7) the model in the browser (its Web Worker): bytes fetched, time to ready, time per text,
at full speed and with the main thread slowed 4x (tools/bench_browser.py); (8) embedding throughput, the cache
hit time, and the live explorer's time from a new word to the updated figure; (9) the model in Chromium,
Firefox and WebKit side by side: ready, where the time went, first word, further words, parity with Python;
(10) the atlas: its map's first draw, search from Enter to the list, the bytes it fetches, at 1x and with the
CPU throttled 4x; (11) the workbench: 1,000 sentences, UMAP, all pairs of 5,000 texts, the longest
main-thread task, the tab's memory.

    python tools/bench.py [--runs 3]
    python tools/bench.py --site _build/html           # only the browser's sections (6, 7, 9-11), on a built site
    python tools/bench.py --engines-only [_build/html]  # only (9)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))  # the tests' browser helpers (serve, chromium, toc_pages)
BOOK = ROOT / "book"
BIN = Path(sys.executable).parent
from browser import toc_pages  # noqa: E402

CHAPTERS = [
    p[len("book/") : -len(".html")] for p in toc_pages() if (BOOK / p[len("book/") :]).with_suffix(".ipynb").exists()
]
BUDGET = {
    "ratio": 1.5,
    "rebuild": 5.0,
    "chapter": 20.0,
    "page": 1.5e6,
    "first_screen": 1.0,
    "model_ready": 5.0,
    "per_text": 0.050,
    "on_demand": 35e6,
    "atlas_draw": 1.5,
    "atlas_draw_slow": 5.0,
    "atlas_search": 0.150,
    "atlas_search_slow": 0.600,
    "atlas_map_data": 2.5e6,
    "atlas_vectors": 10e6,
    "workbench_1000": 25.0,
    "umap_1000": 5.0,
    "pairs_5000": 2.0,
    "longest_task": 0.200,
}


def run(cmd: list[str], env: dict, cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def verdict(ok: bool) -> str:
    return "meets budget" if ok else "OVER BUDGET"


def floor(env: dict, runs: int) -> float:
    code = "import torch, sentence_transformers, umap, plotly"
    times = [run([sys.executable, "-c", code], env) for _ in range(runs)]
    return statistics.median(times)


def run_all(chapter: str, env: dict) -> float:
    """Run a chapter top to bottom in a fresh kernel (what a learner's Run All costs)."""
    code = (
        "import nbformat, sys\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read('{BOOK / chapter}.ipynb', as_version=4)\n"
        f"NotebookClient(nb, timeout=600, kernel_name='python3', resources={{'metadata': {{'path': '{BOOK}'}}}}).execute()\n"
    )
    script = Path(tempfile.mkstemp(suffix=".py")[1])
    script.write_text(code)
    try:
        # The kernel start itself is part of Run All, but not the harness's own imports: time inside.
        wrapped = f"import time, runpy; t = time.perf_counter(); runpy.run_path({str(script)!r}); print(time.perf_counter() - t)"
        proc = subprocess.run([sys.executable, "-c", wrapped], cwd=BOOK, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{chapter} failed:\n{proc.stderr[-3000:]}")
        return float(proc.stdout.strip().splitlines()[-1])
    finally:
        script.unlink()


def embedding_speed(env: dict) -> str:
    code = r"""
import time, random, sys
sys.path.insert(0, '.')
from explainer.infra import bookdata
import helpers
from explainer.teaching import live
helpers.load_model()
rng = random.Random(0)
words = bookdata.load_words('vocabulary')
texts = list(dict.fromkeys(' '.join(rng.sample(words, 4)) + f' {i}' for i in range(1000)))
t = time.perf_counter(); helpers.embed(texts); cold = time.perf_counter() - t
hits = []
for _ in range(5):
    t = time.perf_counter(); helpers.embed(texts); hits.append(time.perf_counter() - t)
ex = live.explore('king, queen, cat, dog, car, train, pizza, bread, joy, fear, rain, snow')
new = []
for i in range(5):
    ex.controls['words'].value = f'king, queen, cat, dog, car, train, pizza, bread, joy, fear, rain, snow, zeppelin {i}'
    new.append(ex.seconds)
hits.sort(); new.sort()
print(f'{len(texts)} new texts encoded in {cold:.2f} s = {len(texts) / cold:.0f} texts/s')
print(f'the same {len(texts)} texts from the disk cache: {hits[2]:.3f} s (median of 5)')
print(f'live explorer, a new word typed -> updated map and heatmap (PCA, model loaded): {new[2] * 1000:.0f} ms (median of 5)')
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=BOOK, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return proc.stdout.rstrip()


def main() -> None:
    from bench_site import atlas_section, browser_sections, engines_section, workbench_section

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs for the medians of cheap measurements")
    parser.add_argument("--engines-only", nargs="?", const="_build/html", metavar="SITE", help="only (9)")
    parser.add_argument("--site", type=Path, help="only the browser's sections (6, 7, 9-11) on this built site")
    args = parser.parse_args()
    if args.engines_only:
        engines_section(ROOT / args.engines_only)
        return
    if args.site:
        browser_sections(args.site.resolve())
        engines_section(args.site.resolve())
        atlas_section(args.site.resolve())
        workbench_section(args.site.resolve())
        return

    work = Path(tempfile.mkdtemp(prefix="bench-"))
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", EMBEDDINGS_BOOK_CACHE=str(work / "cache"))
    jb = [str(BIN / "jupyter-book"), "build", "-W", "-n", "--keep-going", "--path-output", str(work), str(ROOT)]
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}\n")

    base = floor(env, args.runs)
    print(
        f"(1) floor: import torch + sentence-transformers + umap + plotly, fresh interpreter: {base:.2f} s "
        f"(median of {args.runs})"
    )

    export = run(
        [sys.executable, "-c", "from explainer.teaching import browser_model; browser_model.export()"], env, cwd=BOOK
    )
    print(
        f"    the browser model's ONNX export and quantization, once per model version: {export:.1f} s (cached "
        "before the clean build, as on any machine that built the book before)"
    )
    atlas_cost = run([sys.executable, "-c", "from explainer.chapters import atlas; atlas.make()"], env, cwd=BOOK)
    seconds = json.loads(next((work / "cache" / "atlas").rglob("meta.json")).read_text())["seconds"]
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
    print(
        f"    the atlas's words map (embed 20,000 words, exact neighbours, UMAP, regions), once per model version, "
        f"word list and settings: {atlas_cost:.1f} s ({steps}; cached before the clean build, like the export)"
    )
    clean = run(jb, env)
    ratio = clean / (base * len(CHAPTERS))
    print(
        f"(2) clean build (no _build, no execution/embedding/projection cache): {clean:.1f} s = "
        f"{ratio:.2f} x floor x {len(CHAPTERS)} notebooks  [budget <= {BUDGET['ratio']}x: {verdict(ratio <= BUDGET['ratio'])}]"
    )

    second = work / "second"  # the same commit again, every cache empty (atlas and export included)
    env2 = dict(env, EMBEDDINGS_BOOK_CACHE=str(second / "cache"))
    run([*jb[:-3], "--path-output", str(second), str(ROOT)], env2)
    same = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "same_book.py"),
            str(work / "_build" / "html"),
            str(second / "_build" / "html"),
        ],
        capture_output=True,
        text=True,
    )
    print(
        f"(2b) a second clean build with its own empty caches, compared: {same.stdout.strip()}  [{verdict(same.returncode == 0)}]"
    )

    rebuilds = sorted(run(jb, env) for _ in range(args.runs))
    rebuild = rebuilds[len(rebuilds) // 2]
    print(
        f"(3) no-change rebuild: {rebuild:.2f} s (median of {args.runs})  "
        f"[budget < {BUDGET['rebuild']} s: {verdict(rebuild < BUDGET['rebuild'])}]"
    )

    print("(4) Run All in a fresh kernel, per chapter:")
    for chapter in CHAPTERS:
        cold_env = dict(env, EMBEDDINGS_BOOK_CACHE=str(work / f"cold-{chapter}"))
        if chapter == "atlas":  # its words map is made once per model version (above), not per Run All
            shutil.copytree(work / "cache" / "atlas", work / f"cold-{chapter}" / "atlas")
        cold = run_all(chapter, cold_env)
        warm = run_all(chapter, env)
        worst = max(cold, warm)
        print(
            f"    {chapter:18} empty caches {cold:5.1f} s   warm caches {warm:5.1f} s  "
            f"[budget < {BUDGET['chapter']:.0f} s: {verdict(worst < BUDGET['chapter'])}]"
        )

    html = work / "_build" / "html"
    print("(5) page sizes (HTML only; plotly.js is one shared file):")
    for chapter in CHAPTERS:
        size = (html / "book" / f"{chapter}.html").stat().st_size
        print(f"    {chapter:18} {size / 1e6:.2f} MB  [budget < 1.5 MB: {verdict(size < BUDGET['page'])}]")
    plotly_js = (html / "_static" / "plotly.min.js").stat().st_size
    total = sum(p.stat().st_size for p in html.rglob("*") if p.is_file())
    print(f"    plotly.min.js {plotly_js / 1e6:.2f} MB, once; whole site {total / 1e6:.2f} MB")

    browser_sections(html)

    print("(8) embeddings and the live explorer:")
    for line in embedding_speed(env).splitlines():
        print(f"    {line}")
    engines_section(html)
    atlas_section(html)
    workbench_section(html)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
