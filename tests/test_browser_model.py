"""The model the static site runs in the reader's browser: the same numbers as PyTorch, in every script."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explainer.teaching import browser_model, panels

# Written for this test: words and sentences in several scripts, accents, emoji, code-like strings.
TEXTS = [
    "king",
    "queen",
    "carburetor",
    "petrichor",
    "kombucha",
    "naïve café ☕",
    "crème brûlée",
    "Ångström",
    "The bat flew out of the cave at dusk.",
    "He swung the bat and hit the ball.",
    "Ich habe heute leider keine Zeit.",
    "¿Dónde está la biblioteca más cercana?",
    "Où est la gare, s'il vous plaît ?",
    "Привет, как у тебя дела?",
    "Σήμερα είναι μια όμορφη μέρα.",
    "東京タワーの夜景はきれいです",
    "北京是中国的首都",
    "서울의 겨울은 춥다",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते, आप कैसे हैं?",
    "สวัสดีครับ",
    "🎉🎉🎉",
    "😀",
    "?!",
    "1234567890",
    "XR-200 E1047",
    "retrieval-augmented generation",
    "how do I stop my laptop from overheating",
    "a handwritten seven",
]


@pytest.fixture(scope="module")
def exported():
    return browser_model.export()


@pytest.fixture(scope="module")
def both(helpers, exported):
    return browser_model.onnx_embed(TEXTS, exported), helpers.embed(TEXTS)


def test_onnx_matches_pytorch_in_every_script(both):
    onnx_vectors, torch_vectors = both
    cosines = np.sum(onnx_vectors * torch_vectors, axis=1)
    worst = TEXTS[int(cosines.argmin())]
    assert cosines.min() >= 0.98, f"min cosine {cosines.min():.4f} on {worst!r}"
    assert cosines.mean() >= 0.99, f"mean cosine {cosines.mean():.4f}"


def test_onnx_finds_the_same_nearest_words(helpers, exported):
    from explainer.infra.bookdata import load_words

    vocabulary = load_words("vocabulary")
    queries = vocabulary[::15] + ["a cold drink on a hot day", "my phone is broken", "jazz musician", "volcano"]
    words = helpers.embed(vocabulary)
    torch_scores = helpers.embed(queries) @ words.T
    onnx_scores = browser_model.onnx_embed(queries, exported) @ words.T
    for scores in (torch_scores, onnx_scores):  # a query from the vocabulary is not its own neighbour
        scores[
            [i for i, q in enumerate(queries) if q in vocabulary],
            [vocabulary.index(q) for q in queries if q in vocabulary],
        ] = -1
    by_torch, by_onnx = torch_scores.argmax(axis=1), onnx_scores.argmax(axis=1)
    agree = np.mean(by_torch == by_onnx)
    assert agree >= 0.9, f"the same nearest word for only {agree:.0%} of {len(queries)} queries"
    for q, t, o, row in zip(queries, by_torch, by_onnx, torch_scores):  # and any other pick is a near tie
        assert row[t] - row[o] < 0.02, (
            f"{q!r}: {vocabulary[o]!r} instead of {vocabulary[t]!r} ({row[t] - row[o]:.3f} apart)"
        )


def test_the_export_is_small_and_spelled_out_for_the_browser(exported):
    assert (exported / browser_model.ONNX_FILE).stat().st_size < 25e6
    tokenizer = json.loads((exported / "tokenizer.json").read_text())
    assert tokenizer["normalizer"]["strip_accents"] is True  # not "follow lowercase", which JS reads as false
    assert tokenizer["truncation"]["max_length"] == 256 and tokenizer["padding"] is None
    assert json.loads((exported / "tokenizer_config.json").read_text())["model_max_length"] == 256


def test_the_export_is_cached_and_never_half_written(exported, monkeypatch):
    calls = []
    monkeypatch.setattr(browser_model, "_onnx", lambda *a: calls.append(a))
    assert browser_model.export() == exported and calls == []  # cached: nothing exported again
    assert not [p for p in exported.parent.iterdir() if p.name != exported.name and not p.name.startswith(".")]


def test_panel_data_round_trips_as_float16(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_BOOK_PANELS", str(tmp_path))
    vectors = np.random.default_rng(0).standard_normal((5, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    pixels = np.arange(5 * 64).reshape(5, 8, 8) % 17
    panels.publish("example", {"words": list("abcde")}, {"vectors": vectors, "pixels": pixels})
    meta = json.loads((tmp_path / "example.json").read_text())
    raw = (tmp_path / "example.bin").read_bytes()
    layout = meta["arrays"]["vectors"]
    back = np.frombuffer(raw, dtype="<f2", count=5 * 384, offset=layout["offset"]).reshape(5, 384)
    assert np.abs(back.astype(np.float32) @ vectors.T - vectors @ vectors.T).max() < 2e-3  # cosines to 3 decimals
    grid = meta["arrays"]["pixels"]
    assert grid["dtype"] == "uint8" and grid["shape"] == [5, 8, 8]
    assert np.array_equal(np.frombuffer(raw, np.uint8, 320, grid["offset"]).reshape(5, 8, 8), pixels)


def test_publish_outside_a_build_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBEDDINGS_BOOK_PANELS", raising=False)
    monkeypatch.chdir(tmp_path)
    panels.publish("example", {}, {"v": np.ones((2, 2))})
    assert list(tmp_path.iterdir()) == []
