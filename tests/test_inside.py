"""Inside the model: tokens, layers, pooling and map honesty, and the chapter's claims against its numbers."""

from __future__ import annotations

import numpy as np
import pytest

import inside

SENTENCES = ["The bat flew out of the cave at dusk.", "naïve café ☕", "東京 is a city", "Embeddings, really?"]


@pytest.mark.parametrize("text", [*SENTENCES, "petrichor", " ".join(["token"] * 300)])
def test_tokenize_is_what_the_model_reads(helpers, text):
    model = helpers.load_model()
    ids = model.tokenize([text])["input_ids"][0].tolist()  # sentence-transformers' own truncation
    tokens = inside.tokenize(text)
    assert tokens == model.tokenizer.convert_ids_to_tokens(ids)
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and len(tokens) <= model.max_seq_length


def test_rare_words_split_and_long_texts_are_cut():
    assert inside.tokenize("petrichor") == ["[CLS]", "pet", "##rich", "##or", "[SEP]"]
    assert inside.tokenize("king") == ["[CLS]", "king", "[SEP]"]
    long = " ".join(["token"] * 300)
    assert len(inside.tokenize(long)) == 256 and len(inside.tokenize(long, truncate=False)) == 302


@pytest.mark.parametrize("text", SENTENCES)
def test_mean_of_last_layer_normalised_is_embed(helpers, text):
    tokens, last = inside.token_vectors(text, 6)
    assert last.shape == (len(tokens), 384) and last.dtype == np.float32
    pooled = last.mean(axis=0) / np.linalg.norm(last.mean(axis=0))
    assert float(pooled @ helpers.embed(text)[0]) > 0.9999


def test_an_ambiguous_word_drifts_apart_with_depth():
    def bat(sentence, layer):
        tokens, vectors = inside.token_vectors(sentence, layer)
        v = vectors[tokens.index("bat")]
        return v / np.linalg.norm(v)

    animal, club = "The bat flew out of the cave at dusk.", "He swung the bat and hit the ball."
    by_layer = [float(bat(animal, n) @ bat(club, n)) for n in range(7)]
    assert by_layer[0] > 0.9 and by_layer[6] < by_layer[0] - 0.1, by_layer


@pytest.mark.parametrize("layer", [-1, 7, 2.5, True, "6"])
def test_token_vectors_bad_layer(layer):
    with pytest.raises(ValueError, match="layer must be an integer from 0"):
        inside.token_vectors("a bat", layer)


@pytest.mark.parametrize("text, error", [("", ValueError), ("   ", ValueError), (3, TypeError), (["a"], TypeError)])
def test_tokenize_bad_input(text, error):
    with pytest.raises(error):
        inside.tokenize(text)


@pytest.fixture(scope="module")
def vocab_vectors(helpers):
    from bookdata import load_words

    return helpers.embed(load_words("vocabulary")[:200])


def test_retention_is_one_for_a_map_onto_itself(vocab_vectors):
    assert inside.neighbour_retention(vocab_vectors, vocab_vectors, k=10) == pytest.approx(1.0)


def test_retention_of_a_random_map_is_near_chance(vocab_vectors):
    coords = np.random.default_rng(0).standard_normal((len(vocab_vectors), 2))
    chance = 10 / (len(vocab_vectors) - 1)
    assert abs(inside.neighbour_retention(vocab_vectors, coords, k=10) - chance) < 0.03


def test_retention_orders_good_and_bad_maps(helpers, vocab_vectors):
    pca = helpers.project(vocab_vectors, method="pca", dims=2)
    shuffled = pca[np.random.default_rng(1).permutation(len(pca))]
    assert inside.neighbour_retention(vocab_vectors, pca) > 2 * inside.neighbour_retention(vocab_vectors, shuffled)


@pytest.mark.parametrize(
    "vectors, coords, k, message",
    [
        (np.eye(5), np.eye(5)[:, :2], 5, "needs more than 5 points"),
        (np.eye(5), np.eye(4)[:, :2], 2, "one map point per vector"),
        (np.eye(5), np.full((5, 2), np.nan), 2, "coords row 0 holds NaN"),
        (np.eye(5), np.eye(5)[:, :2], 0, "k must be a positive integer"),
    ],
)
def test_retention_bad_input(vectors, coords, k, message):
    with pytest.raises(ValueError, match=message):
        inside.neighbour_retention(vectors, coords, k=k)


def test_the_chapter_says_what_its_numbers_say(run_chapter):
    probe = run_chapter(
        "inside",
        """{
        "pooled": pooled_cosine, "different": different_sense, "same": same_sense,
        "own": [own_sentence_share(0), own_sentence_share(LAYERS)],
        "cut": same, "short": short, "order": float(order_score), "passive": float(passive_score),
        "bit": float(similarity(["a dog bit a man"], ["a man bit a dog"])[0, 0]),
        "medians": {kind: {band: float(np.median(v)) for band, v in by_band.items()} for kind, by_band in bands.items()},
        "spread": {kind: [float(x) for x in np.percentile(by_band["random"], [5, 95])] for kind, by_band in bands.items()},
        "floor": floor, "markers": marker_medians, "honesty": honesty, "random": baseline,
        "intruders": {k: float(np.median(v)) for k, v in intruders.items()}, "eighth": float(np.median(ranked[:, 7])),
        "inside_theme": float(inside_theme), "petrichor": dict(petrichor_hits), "tokens": tokenize("petrichor"),
        "lens": {w: {words[j]: float(scores[words.index(w), j]) for j in neighbours[words.index(w)]}
                 for w in ("cat", "rainbow", "love")}}""",
    )
    assert probe["pooled"] > 0.9999  # "the whole recipe"
    different, same_sense = probe["different"], probe["same"]
    assert different[0] > 0.999 and same_sense[0] > 0.999  # same piece, same position: the same vector
    drops = [a - b for a, b in zip(different, different[1:])]
    assert max(drops) == drops[-1]  # "most in the last layer"
    assert different[-1] < different[0] - 0.1 and same_sense[-1] > different[-1] + 0.05  # modestly apart
    assert probe["own"][0] < 0.2 < 0.7 < probe["own"][1]  # by what they are, then by sentence
    assert probe["cut"] > 0.9999 and probe["short"] < 0.95  # text after the limit changes nothing
    assert probe["order"] > 0.85 and probe["passive"] < probe["order"] < probe["bit"]  # "about 0.9"; higher still
    words, sentences = probe["medians"]["words"], probe["medians"]["sentences"]
    floor = probe["floor"]
    assert 0.35 <= floor["words"] <= 0.45 and 0.15 <= floor["sentences"] <= 0.3  # "about 0.4", "about 0.2"
    assert probe["spread"]["sentences"][0] >= -0.15 and probe["spread"]["sentences"][1] <= 0.25  # "−0.1 and 0.2"
    assert probe["spread"]["words"][0] >= 0.08 and probe["spread"]["words"][1] <= 0.45  # "0.1 and 0.4"
    assert abs(words["random"] - sentences["related"]) < 0.1  # "about what two related sentences score"
    assert 0.25 <= sentences["related"] <= 0.35 and 0.7 <= sentences["paraphrase"] <= 0.8  # "around 0.3", "0.75"
    assert sentences["random"] < 0.1 and words["same theme"] > floor["words"] and words["synonyms"] > 0.6
    markers = probe["markers"]
    assert markers["with"] - markers["without"] > (markers["with"] - sentences["random"]) / 2  # "much of it"
    h, rnd = probe["honesty"], probe["random"]
    kept = {name: v["neighbours kept"] for name, v in h.items()}
    assert 0.35 < kept["PCA 2-D"] < 0.45 and 0.65 < kept["UMAP 2-D"] < 0.75 and 0.75 <= kept["t-SNE 2-D"] < 0.85
    gains = {m: kept[f"{m} 3-D"] - kept[f"{m} 2-D"] for m in ("PCA", "UMAP", "t-SNE")}
    assert max(gains, key=gains.get) == "PCA"  # a third dimension helps PCA most
    assert abs(rnd["neighbours kept"] - 5 / 59) < 0.03 and 0.45 < rnd["trustworthiness"] < 0.6
    assert max(kept.values()) < 0.85  # "at best about eight in ten" (takeaways)
    for scores in h.values():
        assert scores["trustworthiness"] > scores["neighbours kept"]
        assert all(scores[m] > rnd[m] + 0.2 for m in rnd)  # every method far above a random map
        assert 0.3 < scores["distances kept"] < 0.7  # "only moderately"
    assert h["t-SNE 2-D"]["distances kept"] > h["UMAP 2-D"]["distances kept"]
    assert h["t-SNE 3-D"]["distances kept"] > h["UMAP 3-D"]["distances kept"]
    # "about its 8th nearest words ... on PCA's, about its 14th" (a median of 8.5 prints as 8)
    intruders = probe["intruders"]
    assert 7.5 <= intruders["UMAP 2-D"] <= 9 and 7.5 <= intruders["t-SNE 2-D"] <= 9 and 13 <= intruders["PCA 2-D"] <= 15
    assert abs(probe["eighth"] - floor["words"]) < 0.02  # "the eighth typically scores at the word floor"
    assert 0.8 < probe["inside_theme"] < 0.95  # "most lines stay inside the word's own theme"
    lens = probe["lens"]
    assert (
        {"car", "truck"} <= set(lens["cat"]) and "pride" in lens["rainbow"] and {"song", "melody"} <= set(lens["love"])
    )
    for word, others in [("cat", ("car", "truck")), ("rainbow", ("pride",)), ("love", ("song", "melody"))]:
        assert all(lens[word][o] > floor["words"] for o in others)  # each above the word floor
    assert probe["petrichor"]["a pet shop"] > probe["petrichor"]["the smell of rain"]
    assert probe["tokens"] == ["[CLS]", "pet", "##rich", "##or", "[SEP]"]
