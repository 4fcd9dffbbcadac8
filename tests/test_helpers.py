"""The shared helpers: meaning, shapes, cache, determinism and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest


def test_related_words_score_higher_than_unrelated(helpers):
    sims = helpers.similarity(["king"], ["queen", "carburetor"])[0]
    assert sims[0] > sims[1] + 0.2
    assert helpers.similarity(["cat"], ["kitten"])[0, 0] > helpers.similarity(["cat"], ["spreadsheet"])[0, 0]


def test_nearest_finds_the_theme(helpers):
    hits = helpers.nearest("puppy", ["dog", "carburetor", "tax return", "volcano"], k=2)
    assert hits[0][0] == "dog"
    assert hits[0][1] >= hits[1][1]
    assert len(hits) == 2


def test_embed_shapes_dtype_and_unit_norm(helpers):
    vecs = helpers.embed(["king", "a longer sentence about embeddings"])
    assert vecs.shape == (2, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert helpers.embed("king").shape == (1, 384)


def test_cache_answers_second_call_without_encoding(helpers, fresh_cache, monkeypatch):
    model = helpers.load_model()
    calls = []
    real_encode = model.encode
    monkeypatch.setattr(model, "encode", lambda texts, **kw: calls.append(list(texts)) or real_encode(texts, **kw))
    first = helpers.embed(["aardvark", "zeppelin"])
    second = helpers.embed(["zeppelin", "aardvark"])
    assert calls == [["aardvark", "zeppelin"]]
    np.testing.assert_array_equal(first[::-1], second)
    assert len(list(fresh_cache.rglob("*.npy"))) == 2
    helpers.embed(["aardvark", "new word"])
    assert calls[-1] == ["new word"]


def test_cached_vectors_match_the_model(helpers, fresh_cache):
    direct = helpers.load_model().encode(["lighthouse"], normalize_embeddings=True)[0]
    helpers.embed("lighthouse")
    np.testing.assert_allclose(helpers.embed("lighthouse")[0], direct, atol=1e-6)


@pytest.mark.parametrize("method", ["pca", "umap", "tsne"])
@pytest.mark.parametrize("dims", [2, 3])
def test_projection_is_deterministic_and_shaped(helpers, fresh_cache, method, dims):
    words = ["cat", "dog", "wolf", "car", "bus", "train", "apple", "pear", "plum", "king", "queen", "duke"]
    vecs = helpers.embed(words)
    first = helpers.project(vecs, method=method, dims=dims, seed=3)
    assert first.shape == (len(words), dims)
    for path in fresh_cache.rglob("*.npy"):  # recompute, not just re-read the cache
        if "projections" in str(path):
            path.unlink()
    np.testing.assert_allclose(helpers.project(vecs, method=method, dims=dims, seed=3), first, atol=1e-5)


def test_projection_keeps_themes_together(helpers):
    themes = {"animals": ["cat", "dog", "horse", "cow"], "vehicles": ["car", "truck", "bus", "train"]}
    words = [w for ws in themes.values() for w in ws]
    for method in ("pca", "umap", "tsne"):
        xy = helpers.project(helpers.embed(words), method=method, dims=2)
        a, v = xy[:4], xy[4:]
        within = np.mean([np.linalg.norm(p - q) for grp in (a, v) for p in grp for q in grp])
        across = np.mean([np.linalg.norm(p - q) for p in a for q in v])
        assert across > within, method


@pytest.mark.parametrize("method", ["pca", "umap", "tsne"])
def test_projection_works_for_four_words(helpers, method):
    assert helpers.project(["red", "green", "blue", "car"], method=method, dims=3).shape == (4, 3)


def test_figures(helpers):
    fig = helpers.plot_projection({"a": ["cat", "dog"], "b": ["car", "bus"]}, method="pca", dims=3)
    assert isinstance(fig, go.Figure)
    assert [t.type for t in fig.data] == ["scatter3d", "scatter3d"]
    assert list(fig.data[0].text) == ["cat", "dog"]
    heat = helpers.plot_heatmap(["cat", "dog", "car"])
    z = np.asarray(heat.data[0].z)
    assert z.shape == (3, 3)
    assert z[0, 1] > z[0, 2]  # cat~dog above cat~car, in the figure itself
    methods = helpers.plot_methods(["cat", "dog", "car", "bus", "tram"], dims=2)
    assert [f.name for f in methods.frames] == ["PCA", "UMAP", "t-SNE"]
    assert len(methods.layout.updatemenus[0].buttons) == 3


def test_renderer_offers_plotly_mimetype_and_offline_html(helpers):
    fig = helpers.plot_heatmap(["cat", "dog"])
    bundle = helpers.BookRenderer().to_mimebundle(fig.to_dict())
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html"}
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html and "cdn" not in html.lower() and "<script src" not in html
    assert bundle == helpers.BookRenderer().to_mimebundle(fig.to_dict())  # stable ids: same page bytes


# --- bad input gets one clear sentence -------------------------------------------------------

@pytest.mark.parametrize("bad, error, words", [
    ([], ValueError, "empty"),
    (["cat", ""], ValueError, "texts[1] is blank"),
    (["cat", "   "], ValueError, "blank"),
    (["cat", 3], TypeError, "texts[1] is 3"),
    ([None], TypeError, "must be a string"),
    (42, TypeError, "string or a list of strings"),
    (["x" * 5000], ValueError, "characters long"),
])
def test_embed_rejects_bad_input(helpers, bad, error, words):
    with pytest.raises(error, match=None) as info:
        helpers.embed(bad)
    assert words in str(info.value)


def test_unknown_method_lists_valid_ones(helpers):
    with pytest.raises(ValueError, match="pca, umap, tsne"):
        helpers.project(helpers.embed(["a", "b", "c"]), method="mds")
    with pytest.raises(ValueError, match="dims must be 2 or 3"):
        helpers.plot_projection(["a", "b", "c"], method="pca", dims=4)
    with pytest.raises(ValueError, match="at least two points"):
        helpers.project(helpers.embed(["a"]), method="pca")


def test_model_not_installed_is_a_clear_error(helpers):
    with pytest.raises(helpers.ModelNotAvailableError, match="neither installed locally nor reachable offline"):
        helpers.load_model("no-such-org/no-such-model")


def test_groups_must_match_texts(helpers):
    with pytest.raises(ValueError, match="one per text"):
        helpers.plot_projection(["a", "b", "c"], method="pca", groups=["x"])
