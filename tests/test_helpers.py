"""The shared helpers: meaning, shapes, cache, determinism and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer.chapters import arithmetic, contrastive
from explainer.infra import projections, rendering
from explainer.teaching import figures, live


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
    encoded = {text for call in calls for text in call}
    second = helpers.embed(["zeppelin", "aardvark"])
    assert encoded == {"aardvark", "zeppelin"} and {text for call in calls for text in call} == encoded
    np.testing.assert_array_equal(first[::-1], second)
    assert len(list(fresh_cache.rglob("*.npy"))) == 2
    calls.clear()
    helpers.embed(["aardvark", "new word"])
    assert {text for call in calls for text in call} == {"new word"}


def test_a_texts_vector_does_not_depend_on_the_texts_encoded_beside_it(helpers, fresh_cache):
    """The same bits alone, beside a longer text (padding) or among many: a clean build cannot drift."""
    alone = helpers.embed("king")[0]
    for path in fresh_cache.rglob("*.npy"):
        path.unlink()
    mates = ["a very long sentence about the history of the roman empire and its fall", "queen", "cat"]
    beside = helpers.embed([*mates, "king", *(f"word{i}" for i in range(40))])[3]
    np.testing.assert_array_equal(alone, beside)


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


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("method", ["pca", "umap", "tsne"])
def test_projection_keeps_themes_together(helpers, method, dims):
    from sklearn.metrics import silhouette_score

    themes = {
        "animals": ["cat", "dog", "horse", "lion", "wolf", "rabbit", "eagle", "dolphin"],
        "vehicles": ["car", "truck", "bus", "train", "bicycle", "airplane", "boat", "tram"],
        "food": ["pizza", "bread", "cheese", "pasta", "soup", "apple", "sushi", "cake"],
    }
    words = [w for ws in themes.values() for w in ws]
    labels = [g for g, ws in themes.items() for _ in ws]
    coords = helpers.project(helpers.embed(words), method=method, dims=dims)
    # 0 means themes are mixed; the 384-D space itself scores about 0.16 (cosine) on these words
    assert silhouette_score(coords, labels) > 0.25, (method, dims)


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
    methods = figures.plot_methods(["cat", "dog", "car", "bus", "tram"], dims=2)
    assert [f.name for f in methods.frames] == ["PCA", "UMAP", "t-SNE"]
    assert len(methods.layout.updatemenus[0].buttons) == 3


def test_renderer_offers_plotly_mimetype_and_offline_html(helpers):
    fig = helpers.plot_heatmap(["cat", "dog"])
    bundle = rendering.BookRenderer().to_mimebundle(fig.to_dict())
    assert set(bundle) == {"application/vnd.plotly.v1+json", "text/html"}
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html and "cdn" not in html.lower() and "<script src" not in html
    assert bundle == rendering.BookRenderer().to_mimebundle(fig.to_dict())  # stable ids: same page bytes


# --- bad input gets one clear sentence -------------------------------------------------------


@pytest.mark.parametrize(
    "bad, error, words",
    [
        ([], ValueError, "empty"),
        (["cat", ""], ValueError, "texts[1] is blank"),
        (["cat", "   "], ValueError, "blank"),
        (["cat", 3], TypeError, "texts[1] is 3"),
        ([None], TypeError, "must be a string"),
        (42, TypeError, "string or a list of strings"),
        (["x" * 5000], ValueError, "characters long"),
    ],
)
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


# --- word arithmetic, axes, neighbours ---------------------------------------------------------


@pytest.fixture(scope="module")
def food(helpers):
    return arithmetic.Embeddings(["pizza", "pineapple", "hawaiian pizza", "banana", "car", "cheese", "mango"])


def test_arithmetic_reads_like_the_article(helpers, food):
    refined_taste = food["pizza"] + 10 * food["pineapple"]
    assert refined_taste.label == "pizza + 10·pineapple"
    manual = helpers.embed("pizza")[0] + 10 * helpers.embed("pineapple")[0]
    np.testing.assert_allclose(refined_taste.vector, manual, rtol=1e-6)
    near = [w for w, _ in food.nearest(refined_taste, k=3)]
    assert "pizza" not in near and "pineapple" not in near  # inputs are left out by default
    assert near[0] in {"banana", "mango", "hawaiian pizza"} and "car" not in near
    assert [w for w, _ in food.nearest(food["pizza"] + 0.5 * food["pineapple"], k=1)] == ["hawaiian pizza"]
    assert (food["pizza"] - food["cheese"]).label == "pizza − cheese"


def test_arithmetic_bad_input(helpers, food):
    with pytest.raises(TypeError, match="weight must be a number, got '10'"):
        "10" * food["pineapple"]
    with pytest.raises(TypeError, match="weight must be a number"):
        food["pizza"] * None
    with pytest.raises(ValueError, match="finite"):
        food["pizza"] * float("nan")
    with pytest.raises(TypeError, match="can only add or subtract embeddings"):
        food["pizza"] + 3
    with pytest.raises(TypeError, match="non-empty string"):
        food[""]
    with pytest.raises(ValueError, match="vocabulary is empty"):
        arithmetic.Embeddings([])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        food.nearest("pizza", k=0)
    with pytest.raises(TypeError, match="a weight must be a number"):
        arithmetic.plot_arithmetic(food, "pizza", "pineapple", weights=[0, "a lot"])


def test_word_axes(helpers):
    coords = arithmetic.axis_coordinates(["luxury yacht", "champagne", "discount", "bargain"], ("cheap", "expensive"))
    assert min(coords[:2]) > max(coords[2:])
    direction = arithmetic.word_axis("cheap", "expensive")
    assert direction.shape == (384,) and abs(np.linalg.norm(direction) - 1) < 1e-5
    with pytest.raises(ValueError, match="two different ends"):
        arithmetic.word_axis("cheap", " Cheap ")
    with pytest.raises(TypeError, match="axis end must be a non-empty string"):
        arithmetic.word_axis("cheap", "")
    fig = arithmetic.plot_word_axes(["caviar", "tap water"], ("cheap", "expensive"), ("healthy", "unhealthy"))
    assert "expensive" in fig.layout.xaxis.title.text and len(fig.data[0].x) == 2


def test_neighbour_and_stepped_figures(helpers, food):
    fig = arithmetic.plot_neighbours(food, ["pizza", "car"], k=3)
    assert [f.name for f in fig.frames] == ["pizza", "car"]
    assert list(fig.frames[0].data[0].y) == [w for w, _ in food.nearest("pizza", k=3)]
    path = arithmetic.plot_arithmetic(food, "pizza", "pineapple", weights=[0, 1, 10])
    assert len(path.frames) == 3 and len(path.layout.sliders[0].steps) == 3
    assert all(f.traces == (2, 3) for f in path.frames)  # the static words and path are not repeated
    with pytest.raises(ValueError, match="same number of traces"):
        figures.stepped_figure([("a", [go.Scatter()], None), ("b", [], None)], {})
    with pytest.raises(ValueError, match="control must be"):
        figures.stepped_figure([("a", [go.Scatter()], None)], {}, control="knob")


def test_pca_map_places_new_points_linearly(helpers):
    vecs = helpers.embed(["cat", "dog", "car", "bus", "apple"])
    to_map = projections.pca_map(vecs, dims=2)
    np.testing.assert_allclose(np.abs(to_map(vecs)), np.abs(helpers.project(vecs, "pca", 2)), atol=1e-4)
    mid = to_map((vecs[0] + vecs[1]) / 2)[0]
    np.testing.assert_allclose(mid, to_map(vecs[:2]).mean(axis=0), atol=1e-5)


def test_info_nce_and_aligned_layouts(helpers):
    import torch

    a = torch.nn.functional.normalize(torch.randn(8, 16, generator=torch.Generator().manual_seed(0)), dim=-1)
    assert contrastive.info_nce(a, a) < contrastive.info_nce(a, a.roll(1, dims=0))
    with pytest.raises(ValueError, match="two \\(n, d\\) batches"):
        contrastive.info_nce(a, a[:4])
    rng = np.random.default_rng(0)
    snap = rng.standard_normal((20, 5))
    rotation, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    first, second = contrastive.aligned_layouts([snap, snap @ rotation])
    np.testing.assert_allclose(first, second, atol=1e-6)  # a rotated space does not spin the animation


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least 2"),
        (" , ,", "at least 2"),
        ("one", "at least 2"),
        (",".join(str(i) for i in range(61)), "61 entries"),
    ],
)
def test_parse_words_errors(helpers, text, message):
    with pytest.raises(ValueError, match=message):
        live.parse_words(text)


def test_parse_words_cleans(helpers):
    assert live.parse_words(" cat, dog ,,cat\nbig dog ") == ["cat", "dog", "big dog"]


@pytest.mark.parametrize("dims", [2, 3])
def test_tsne_is_stable_under_float_noise(helpers, fresh_cache, dims):
    """Embeddings differ in the last digits between batches and machines; the map must not fall apart."""
    from sklearn.metrics import silhouette_score

    words = [
        "cat",
        "dog",
        "horse",
        "lion",
        "wolf",
        "rabbit",
        "eagle",
        "dolphin",
        "car",
        "truck",
        "bus",
        "train",
        "bicycle",
        "airplane",
        "boat",
        "tram",
        "pizza",
        "bread",
        "cheese",
        "pasta",
        "soup",
        "apple",
        "sushi",
        "cake",
    ]
    labels = [i // 8 for i in range(len(words))]
    vecs = helpers.embed(words)
    rng = np.random.default_rng(0)
    for _ in range(3):
        noisy = vecs + rng.normal(0, 1e-6, vecs.shape).astype(np.float32)
        assert silhouette_score(helpers.project(noisy, "tsne", dims), labels) > 0.35
