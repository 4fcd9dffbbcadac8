"""What makes the book teach: an opening that says what the reader will do, takeaways, predict-then-reveal
questions that work with no kernel and no model, glossary links, and code that stays readable on the page."""

from __future__ import annotations

import re

import nbformat
import pytest

from browser import ROOT, goto_panel, toc_pages

CHAPTERS = [p for p in toc_pages() if (ROOT / p.replace(".html", ".ipynb")).exists()]
HIDDEN = {"hide-input", "remove-input", "remove-cell", "hide-cell"}
MAX_VISIBLE_LINES, MAX_CELL_LINES = 120, 20


def visible_cells(page: str) -> list[list[str]]:
    """The code lines a reader of the site sees, cell by cell (blank lines are not counted)."""
    nb = nbformat.read(ROOT / page.replace(".html", ".ipynb"), as_version=4)
    return [
        [line for line in cell.source.splitlines() if line.strip()]
        for cell in nb.cells
        if cell.cell_type == "code" and not HIDDEN & set(cell.metadata.get("tags", []))
    ]


@pytest.mark.parametrize("page", CHAPTERS)
def test_code_on_the_page_stays_readable(page):
    cells = visible_cells(page)
    total = sum(len(lines) for lines in cells)
    assert total <= MAX_VISIBLE_LINES, f"{page}: {total} visible code lines"
    longest = max((len(lines) for lines in cells), default=0)
    assert longest <= MAX_CELL_LINES, f"{page}: a visible cell of {longest} lines"


@pytest.mark.parametrize("page", CHAPTERS)
def test_each_chapter_opens_with_what_you_will_do_and_ends_with_takeaways(site, page):
    html = (site / page).read_text()
    assert re.search(r"<strong>(In this chapter|On this page) you will</strong>", html), page
    box = re.search(r'<div class="(?:takeaways admonition|admonition takeaways)">(.*?)</div>', html, re.S)
    assert box, f"{page} has no takeaways box"
    assert 3 <= box.group(1).count("<li>") <= 5, page
    assert len(re.findall(r'class="(?:takeaways admonition|admonition takeaways)"', html)) == 1


@pytest.mark.parametrize("page", CHAPTERS)
def test_each_chapter_asks_a_question_before_it_answers(site, page):
    html = (site / page).read_text()
    questions = re.findall(r'<div class="predict" data-predict data-answer="(\d+)">(.*?)</div></div></div>', html, re.S)
    assert questions, f"{page} has no predict-then-reveal question"
    for answer, body in questions:
        assert 'predict-answer" hidden' in body  # hidden until the reader commits
        assert int(answer) < body.count('class="predict-choice"')


def test_terms_link_to_the_glossary(site):
    glossary = (site / "book" / "glossary.html").read_text()
    terms = set(re.findall(r'<dt id="(term-[^"]+)"', glossary))
    wanted = [
        "embedding",
        "vector",
        "cosine",
        "dot product",
        "token",
        "layer",
        "pooling",
        "contrastive learning",
        "InfoNCE",
        "negative",
        "temperature",
        "PCA",
        "UMAP",
        "t-SNE",
        "Spearman ρ",
        "trustworthiness",
        "RAG",
    ]
    for term in wanted:
        assert any(t.lower().startswith(f"term-{term.split()[0].lower()}") for t in terms), term
    linked = "".join((site / p).read_text() for p in CHAPTERS)
    used = set(re.findall(r'href="glossary.html#(term-[^"]+)"', linked))
    assert len(used) >= 15, sorted(used)


@pytest.mark.parametrize("page", CHAPTERS)
def test_predict_reveals_on_click_and_on_keyboard(browser_at, page):
    browser, base = browser_at
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    goto_panel(tab, f"{base}/{page}")
    boxes = tab.locator("[data-predict]")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        answer = box.locator(".predict-answer")
        assert answer.is_hidden()
        choices = box.locator(".predict-choice")
        if i % 2 == 0:  # alternate: mouse on one, keyboard (focus, then Enter) on the next
            choices.last.click()
        else:
            choices.first.focus()
            tab.keyboard.press("Enter")
        assert answer.is_visible()
        assert box.locator(".predict-verdict").inner_text().startswith("You said")
        right = int(box.get_attribute("data-answer"))
        assert "predict-correct" in (choices.nth(right).get_attribute("class") or "")
        choices.nth(right).focus()
        tab.keyboard.press("Space")
        assert box.locator(".predict-verdict").inner_text().endswith("right.")
        assert box.locator("[role=status] .predict-answer").count() == 1  # announced to screen readers
    assert errors == []
    tab.close()


# --- the glossary, from its source (no build needed) -------------------------------------------------

GLOSSARY = ROOT / "book" / "glossary.md"
# The names chapters link with {term}; the strict build fails on a link to a term the glossary lacks.
GLOSSARY_TERMS = [
    "k-means", "softmax", "cross-entropy", "Transformer", "WordPiece", "[CLS]", "[SEP]", "CLIP", "ImageBind",
    "MTEB", "STS", "quantization", "log-mel spectrogram", "anisotropy", "rogue dimension", "bootstrap interval",
    "overfitting", "noise floor", "hashing", "bag of words", "UMAP", "PCA", "t-SNE", "Spearman's ρ", "recall@k",
    "embedding", "vector", "cosine similarity", "cosine", "dot product", "token", "layer", "pooling",
    "contrastive learning", "InfoNCE", "negative", "hard negative", "temperature", "trustworthiness", "RAG",
    "modality", "nearest neighbours", "TF-IDF", "Spearman ρ",
]  # fmt: skip


def glossary_entries() -> dict[str, str]:
    """Each term of the glossary (aliases listed on consecutive lines share one entry) -> its definition."""
    body = GLOSSARY.read_text().split("```{glossary}", 1)[1].split("\n```", 1)[0]
    entries: dict[str, str] = {}
    names: list[str] = []
    for line in body.splitlines():
        if line.strip() and not line.startswith(" "):
            if names and entries.get(names[-1]):
                names = []
            names.append(line.strip())
            entries[line.strip()] = ""
        elif line.strip():
            for name in names:
                entries[name] += " " + line.strip()
    return entries


def sort_key(term: str) -> str:
    return re.sub(r"\W", "", term.replace("-", "")).lower()


def test_glossary_is_alphabetical_and_has_every_linked_term():
    entries = glossary_entries()
    missing = [t for t in GLOSSARY_TERMS if t not in entries]
    assert not missing, missing
    assert all(len(definition) > 40 for definition in entries.values()), entries
    first_names, previous = [], None
    for name, definition in entries.items():  # an entry's first name decides its place
        if definition != previous:
            first_names.append(name)
        previous = definition
    assert first_names == sorted(first_names, key=sort_key), first_names
    lowered = {t.lower() for t in entries}
    used = set()
    for path in [*sorted((ROOT / "book").glob("*.ipynb")), GLOSSARY]:
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        else:
            text = path.read_text()
        for target in re.findall(r"\{term\}`(?:[^`<]*<([^`>]+)>|([^`]+))`", text):
            used.add((path.name, " ".join((target[0] or target[1]).split())))
    unknown = sorted((page, t) for page, t in used if t.lower() not in lowered)
    assert not unknown, unknown


def test_glossary_numbers_agree_with_the_model_and_the_code():
    import json
    from pathlib import Path

    from explainer.teaching.scores import FLOOR_PERCENTILE
    from helpers import model_path

    model = Path(model_path())
    config = json.loads((model / "config.json").read_text())
    seq = json.loads((model / "sentence_bert_config.json").read_text())["max_seq_length"]
    pooling = json.loads((model / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    words = {6: "six"}
    entries = glossary_entries()
    assert "takes their mean (including" in entries["pooling"]
    assert f"gives {config['hidden_size']} numbers" in entries["embedding"]
    assert f"vocabulary of {config['vocab_size']:,}" in entries["token"]
    assert f"runs {config['num_attention_heads']} such attention heads" in entries["attention"]
    assert f"the {words[config['num_hidden_layers']]} {{term}}`Transformer` blocks" in entries["layer"]
    positions = config["max_position_embeddings"]
    sep = " ".join(entries["[SEP]"].split())
    assert f"two of the {seq} places sentence-transformers gives a text (the network itself has {positions})" in sep
    assert f"so a text keeps at most {seq - 2} of its own tokens" in sep
    assert f"{FLOOR_PERCENTILE} % of random pairs" in entries["noise floor"]
    # the temperature differs between the book's encoders: the glossary names none of their values
    assert not re.search(r"\b0\.(05|1)\b", entries["temperature"])
