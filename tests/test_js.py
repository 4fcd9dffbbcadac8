"""The site's JavaScript, with no build and no browser: node's unit tests of its maths and formats (tests/js),
and one source for every value it shares with the Python (book/_ext/offline_assets.py writes them into
``book-constants.js`` at build time; no script may carry a copy of its own)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engines import node_command

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "book" / "_static"
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import offline_assets  # noqa: E402  (a Sphinx extension: found on the path just added)

# A script's own value that happens to equal a shared one, and why it is not a copy
OWN_VALUES = {  # names whose number only the browser has (the same number in Python means something else)
    "MEMO_LIMIT": "book-model-worker.js: how many texts the worker remembers, not a text's length",
    "MAX_ENTRY": "book-live-panels.js: characters of one word or phrase typed into the explorer or the playground",
    "SHOWN": "book-workbench-io.js: how many lines of a file the text box shows",
    "PARAGRAPH_SNIPPET": "book-live-atlas-map.js: characters of a paragraph listed beside the atlas",
    "status:": "an HTTP status (200) in a Response the scripts make",
}


def own_scripts() -> list[Path]:
    """The site's own JavaScript (the vendored *.min.js files are copied in by the build, never committed)."""
    return sorted(p for p in STATIC.glob("*.js") if not p.name.endswith(".min.js"))


def code_of(script: Path) -> str:
    """A script without its comments and string literals: what it computes with."""
    text = script.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"(?m)(^|[^:\\])//.*$", r"\1", text)
    return re.sub(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|`(?:\\.|[^`\\])*`', '""', text)


def leaves(tree, path=()):
    """(path, value) for every value in the constants, lists' items included."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from leaves(value, (*path, i))
    else:
        yield path, tree


@pytest.fixture(scope="module")
def constants() -> dict:
    return offline_assets.browser_constants()


def test_node_unit_tests_of_the_javascript_maths_and_formats_pass():
    """PCA against a known answer, k-means, top-k, cosine, mulberry32, links, CSV cells (tests/js/*.test.mjs)."""
    files = sorted(str(p) for p in (Path(__file__).parent / "js").glob("*.test.mjs"))
    proc = subprocess.run([*node_command(), "--test", *files], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^# pass [1-9]", proc.stdout, re.M) and re.search(r"^# fail 0$", proc.stdout, re.M), proc.stdout


def test_book_constants_js_carries_the_python_values(constants):
    import helpers
    from explainer.chapters import atlas, atlas_view, workbench

    script = offline_assets.constants_js()
    body = script.split("globalThis.bookConstants = ", 1)[1].rstrip().rstrip(";")
    assert json.loads(body) == constants
    assert constants["palette"] == helpers.COLORS and constants["maxTextChars"] == helpers.MAX_TEXT_CHARS
    bins = constants["workbench"]["bins"]
    assert (bins["low"], bins["high"], bins["width"]) == workbench.BINS
    assert constants["workbench"]["formulaStarts"] == workbench.FORMULA_STARTS
    assert constants["atlas"] == {"k": atlas.K, "traces": atlas_view.TRACES}
    assert "book-constants.js" in offline_assets.SCRIPTS[:1]  # before every script that reads it


def test_every_constant_a_script_reads_is_written(constants):
    """``constants.a.b`` (or an alias of one of its parts) names a value offline_assets writes."""
    missing = []
    for script in own_scripts():
        code = code_of(script)
        for match in re.finditer(r"\b(?:bookConstants|constants)((?:\.[A-Za-z_]\w*)+)", code):
            node = constants
            for key in match.group(1).split(".")[1:]:
                if not isinstance(node, dict) or key not in node:
                    missing.append(f"{script.name}: constants{match.group(1)}")
                    break
                node = node[key]
        aliases = re.findall(r"\b(?:const|let)\s+(\w+)\s*=\s*(?:\w+\.)?constants\.(\w+)\s*;", code)
        aliases += re.findall(r"\b(\w+):\s*globalThis\.bookConstants\.(\w+)", code)
        for alias, part in aliases:
            if not isinstance(constants.get(part), dict):  # the palette: a list
                continue
            for key in re.findall(rf"\b{alias}\.([A-Za-z_]\w*)", code):
                if key not in constants[part]:
                    missing.append(f"{script.name}: {alias}.{key} (constants.{part}.{key})")
    assert missing == []


def test_no_script_carries_a_copy_of_a_python_value(constants):
    """A colour of the palette, a trace's name, the model's name, or a shared number written out in a script."""
    copies = []
    words = {v for _, v in leaves(constants) if isinstance(v, str) and (v.startswith("#") or " " in v or "-" in v)}
    numbers = {v for _, v in leaves(constants) if isinstance(v, (int, float)) and not isinstance(v, bool)}
    numbers = {v for v in numbers if v != int(v) or abs(v) > 20}  # small whole numbers say too little (a loop's 1)
    for script in own_scripts():
        text = script.read_text(encoding="utf-8")
        copies += [f"{script.name}: {w!r}" for w in words if re.search(rf"[\"'`]{re.escape(w)}[\"'`]", text, re.I)]
        code = code_of(script)
        for name, literal in re.findall(r"\b(?:const|let|var)\s+(\w+)\s*=\s*(-?[\d.]+(?:e\d+)?)\s*[;,]", code):
            if float(literal) in numbers and name not in OWN_VALUES:
                copies.append(f"{script.name}: {name} = {literal}")
        for literal in re.findall(r"(?<![\w.])(\d{3,})(?![\w.])", code):  # large numbers anywhere: 5000, 2000
            line = next(line for line in code.splitlines() if re.search(rf"(?<![\w.]){literal}(?![\w.])", line))
            if int(literal) in numbers and not any(name in line for name in OWN_VALUES):
                copies.append(f"{script.name}: {line.strip()}")
    assert copies == [], "read these from book-constants.js (offline_assets.browser_constants) instead"
