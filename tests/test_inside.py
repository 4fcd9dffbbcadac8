"""Inside the model: tokens, layers, pooling and map honesty, and the chapter's claims against its numbers."""

from __future__ import annotations

import numpy as np
import pytest

from explainer.chapters import inside

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


def test_an_unknown_character_makes_its_whole_word_unknown():  # "becomes [UNK] as a whole ... coffee☕ too"
    assert inside.tokenize("naïve café ☕") == ["[CLS]", "naive", "cafe", "[UNK]", "[SEP]"]
    assert inside.tokenize("coffee☕ time") == ["[CLS]", "[UNK]", "time", "[SEP]"]


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
    from explainer.infra.bookdata import load_words

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
        "own": [own_sentence_share(0), own_sentence_share(LAYERS)], "bats_paired": bats_paired, "crossing": crossing,
        "twinned": twinned.tolist(), "tokens0": tokens0, "first_scores": first_scores.tolist(),
        "limit": limit, "pieces": len(pieces), "read": read, "last_read": pieces[read - 1],
        "cut": same, "short": short, "order": float(order_score), "passive": float(passive_score),
        "bit": float(similarity(["a dog bit a man"], ["a man bit a dog"])[0, 0]),
        "after_four": [float(x) for x in after_four],
        "medians": {kind: {band: float(np.median(v)) for band, v in by_band.items()} for kind, by_band in bands.items()},
        "floor": floor, "markers": marker_medians, "honesty": honesty, "random": baseline,
        "umap_seeds": umap_seeds, "umap_intruders": umap_intruders,
        "intruders": {k: float(np.median(v)) for k, v in intruders.items()}, "eighth": float(np.median(ranked[:, 7])),
        "inside_theme": float(inside_theme), "petrichor": dict(petrichor_hits), "tokens": tokenize("petrichor"),
        "lens": {w: {words[j]: float(scores[words.index(w), j]) for j in neighbours[words.index(w)]}
                 for w in ("cat", "rainbow", "love")},
        "lens_seeds": [links_kept(project(X, method="umap", dims=2, seed=s)) for s in range(5)],
        "map_seeds": [{w: [words[j] for j in map_neighbours(project(X, method="umap", dims=2, seed=s), k=K)[words.index(w)]]
                       for w in ("cat", "rainbow", "love")} for s in range(5)]}""",
    )
    assert probe["pooled"] > 0.9999  # "the whole recipe"
    different, same_sense = probe["different"], probe["same"]
    assert different[0] > 0.999 and same_sense[0] > 0.999  # same piece, same position, same segment: one vector
    middle, drops = different[1:-1], [a - b for a, b in zip(different, different[1:])]
    assert min(middle) > different[-1] + 0.05  # through layer 5 the club bat "moves only a little"
    assert any(b > a for a, b in zip(middle, middle[1:]))  # "dipping and partly recovering on the way"
    assert max(drops) == drops[-1]  # "the big step is the last layer"
    assert different[-1] < different[0] - 0.1 and min(same_sense) > different[-1] + 0.05  # apart, "modestly"
    assert probe["own"][0] < 0.2 and probe["own"][1] > 0.5  # "only ... by the last layer ... do"
    scores0, twinned, tokens0 = np.array(probe["first_scores"]), np.array(probe["twinned"]), probe["tokens0"]
    for i in np.flatnonzero(twinned):  # "a token sits by its copies, if it has any"
        assert tokens0[int(scores0[i].argmax())] == tokens0[i] or tokens0[i] == "the", tokens0[i]
    assert scores0[~twinned].max() < 0.5  # "the other ... have no close neighbour at all"
    assert probe["bats_paired"]  # "each is still the other's nearest token"
    assert sorted(probe["crossing"]) == ["[CLS]", "[CLS]", "bat", "bat"]  # "the exceptions are the two bats and"
    assert probe["read"] == probe["limit"] - 2 < probe["pieces"]  # 256 tokens with [CLS] and [SEP]: 254 pieces
    assert probe["last_read"] not in {".", "!", "?"}  # "the cut falls in the middle of a sentence"
    assert probe["cut"] > 0.9999 and probe["short"] < 0.95  # text after the limit changes nothing
    words, sentences = probe["medians"]["words"], probe["medians"]["sentences"]
    floor = probe["floor"]
    assert probe["order"] > sentences["paraphrase"]  # "paraphrase territory, for two opposite stories"
    assert probe["passive"] < probe["order"] < probe["bit"]  # "higher still"; "lower than the reversal does"
    four, five = probe["after_four"]
    assert four > five  # "the sentence vector stays nearer the number it names"
    assert words["random"] > sentences["random"] + 0.1 and floor["words"] > floor["sentences"]  # "differ a lot"
    assert abs(words["random"] - sentences["related"]) < 0.1  # "about what two related sentences score"
    assert sentences["paraphrase"] > sentences["related"] > floor["sentences"] > sentences["random"]
    assert words["synonyms"] > words["same theme"] > floor["words"] > words["random"]
    markers = probe["markers"]
    assert markers["with"] - markers["without"] > (markers["with"] - sentences["random"]) / 2  # "much of it"
    h, rnd = probe["honesty"], probe["random"]
    kept = {name: v["neighbours kept"] for name, v in h.items()}
    assert abs(rnd["neighbours kept"] - 5 / 59) < 0.03 and 0.45 < rnd["trustworthiness"] < 0.6  # chance; "not 0"
    runs = {int(d): maps for d, maps in probe["umap_seeds"].items()}  # UMAP 2-D and 3-D for seeds 0 to 4
    assert runs[2][0] == pytest.approx(h["UMAP 2-D"]) and runs[3][0] == pytest.approx(h["UMAP 3-D"])  # the page's map
    for name, scores in [*h.items(), *((f"UMAP {d}-D seed {s}", m) for d in runs for s, m in enumerate(runs[d]))]:
        assert scores["trustworthiness"] > scores["neighbours kept"], name
        assert all(scores[m] > rnd[m] + 0.2 for m in rnd), name  # every method far above a random map
        assert 0.3 < scores["distances kept"] < 0.7, name  # "only moderately"
        if not name.startswith("PCA"):  # "for UMAP and t-SNE it is clearly their weaker side"
            assert scores["distances kept"] < scores["neighbours kept"] - 0.1, name
    pca_gain = kept["PCA 3-D"] - kept["PCA 2-D"]
    assert kept["t-SNE 3-D"] - kept["t-SNE 2-D"] < pca_gain  # "a third dimension helps PCA most"
    for seed, (two, three) in enumerate(zip(runs[2], runs[3])):
        umap_kept = two["neighbours kept"]
        assert umap_kept > kept["PCA 2-D"] + 0.15 and kept["t-SNE 2-D"] > kept["PCA 2-D"] + 0.15  # "far more"
        assert abs(umap_kept - 2 / 3) < 0.08, seed  # "UMAP keeps about two thirds"
        assert three["neighbours kept"] - umap_kept < pca_gain, seed
    for d in (2, 3):  # "t-SNE keeps more of them than a typical UMAP map" (the median of five seeds)
        assert np.median([m["distances kept"] for m in runs[d]]) < h[f"t-SNE {d}-D"]["distances kept"]
    best = max(m["distances kept"] for m in runs[2])  # "the best of the five comes close"
    assert abs(best - h["t-SNE 2-D"]["distances kept"]) < 0.03
    intruders = probe["intruders"]  # near misses on UMAP and t-SNE, not far past the five; far down on PCA
    for rank in [*probe["umap_intruders"], intruders["UMAP 2-D"], intruders["t-SNE 2-D"]]:
        assert 5 < rank <= 10 < intruders["PCA 2-D"]
    assert abs(probe["eighth"] - floor["words"]) < 0.03  # "the eighth ... about the word floor"
    assert probe["inside_theme"] > 0.5  # "most lines stay inside the word's own theme"
    lens = probe["lens"]
    assert (
        {"car", "truck"} <= set(lens["cat"]) and "pride" in lens["rainbow"] and {"song", "melody"} <= set(lens["love"])
    )
    for word, others in [("cat", ("car", "truck")), ("rainbow", ("pride",)), ("love", ("song", "melody"))]:
        assert all(lens[word][o] > floor["words"] for o in others)  # each above the word floor
    for seed, ((within, across, _), on_map) in enumerate(zip(probe["lens_seeds"], probe["map_seeds"])):
        assert across < within / 2, seed  # the lines that leave a theme are "the links a map is worst at keeping"
        hidden = [("cat", "car"), ("cat", "truck"), ("rainbow", "pride"), ("love", "melody")]
        assert not [(w, o) for w, o in hidden if o in on_map[w]], seed  # "not among their word's five nearest"
    assert probe["petrichor"]["a pet shop"] > probe["petrichor"]["the smell of rain"]
    assert probe["tokens"] == ["[CLS]", "pet", "##rich", "##or", "[SEP]"]
