"""The atlas: the model's 20,000 most frequent English words and the book's own paragraphs on one 2-D map.

Making the words' map is the expensive part: embed 20,000 words, find each one's exact nearest
neighbours by cosine in 384-D, lay them out with UMAP, group them into regions with k-means. ``make()``
does it once per model version, word list and settings, into its own folder under the cache
(``.cache/atlas/<key>``, written to a temporary folder and renamed: never half-written). The site's
build makes it before the chapters run, like the browser model's export; a notebook that finds no map
makes it itself, once.

The book's paragraphs change with every edit of the prose, so they are not part of that map. ``load()``
embeds them (cached per text, like every embedding) and places each one at the score-weighted mean of
its ten nearest words' positions on the map: an approximation, stated on the page. Queries are placed the
same way among all items. Search is exact: cosine against every item's 384-D vector.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache as memoize
from pathlib import Path

import numpy as np

from explainer.infra import cache
from explainer.infra.booktext import Paragraph, paragraphs
from explainer.infra.checks import check_k
from explainer.infra.neighbours import central_items, kept_counts, map_neighbours, squared_distances, top_k
from explainer.infra.projections import pca, umap_on_neighbours
from explainer.infra.wordlist import atlas_words, recipe
from helpers import DEFAULT_MODEL, MODEL_PACKAGE, check_texts, embed, load_model

FORMAT = 1  # bump when what the folder holds, or how it is made, changes
SETTINGS = {"neighbours": 15, "min_dist": 0.0, "epochs": 200, "init": "pca", "seed": 0, "regions": 60}
GRID = 10_000  # map positions are integers from 0 to GRID along the map's longer side
K = 10  # neighbours shown and compared: "k of 10 true neighbours are also among its 10 nearest on the map"
WORD_FILES = ("words.txt", "vectors.npy", "seconds.json")  # the embedding: model and word list
MAP_FILES = ("coords.npy", "neighbours.npy", "scores.npy", "regions.npy", "meta.json")  # + settings


def key(words: list[str] | None = None) -> str:
    """What the words' vectors depend on: the model's fingerprint, the word list and the format.

    The book's own word list is keyed by its recipe (package versions and rule), so that reading the map
    never needs to compute the list; any other list by its words.
    """
    model = cache.model_fingerprint(DEFAULT_MODEL, MODEL_PACKAGE)
    blob = json.dumps([model, FORMAT, recipe() if words is None else words]).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def folder(words: list[str] | None = None) -> Path:
    """Where the map for the installed model, the word list and SETTINGS lives (it need not exist yet).

    Two levels: ``<key>/`` holds the words and their vectors (the costly part), ``<key>/map-<settings>/``
    the layout, so a change of settings never embeds the words again.
    """
    settings = hashlib.sha256(json.dumps([FORMAT, SETTINGS]).encode()).hexdigest()[:12]
    return cache.CACHE_DIR / "atlas" / key(words) / f"map-{settings}"


def nearest_by_cosine(
    queries: np.ndarray, items: np.ndarray, k: int, skip: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each query's k nearest items by cosine (unit rows), best first, ties by index: (indices, scores).

    ``skip[i]``, an item's index, is never query i's (itself, when the queries are the items). The scores are
    computed for 2,048 queries at a time, so 20,000 words against each other fit in memory.
    """
    idx = np.empty((len(queries), k), dtype=np.int64)
    scores = np.empty((len(queries), k), dtype=np.float32)
    for start in range(0, len(queries), 2048):
        sims = queries[start : start + 2048] @ items.T
        if skip is not None:
            sims[np.arange(len(sims)), skip[start : start + len(sims)]] = -np.inf
        top = top_k(sims, k)
        idx[start : start + len(sims)] = top
        scores[start : start + len(sims)] = np.take_along_axis(sims, top, axis=1)
    return idx, scores


def _embed_words(words: list[str]) -> np.ndarray:
    """The words' vectors, as helpers.embed computes them, in batches of similar length (little padding).

    Not through helpers.embed's per-text cache: 20,000 small files would cost more than the encoding.
    """
    import torch

    order = sorted(range(len(words)), key=lambda i: (len(words[i]), i))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # words are 3-6 tokens: one thread is as fast, and 5x faster on a busy machine
    try:
        encoded = load_model().encode(
            [words[i] for i in order], batch_size=128, normalize_embeddings=True, show_progress_bar=False
        )
    finally:
        torch.set_num_threads(threads)
    vectors = np.empty(encoded.shape, dtype=np.float32)
    vectors[order] = encoded
    return vectors


def _layout(vectors: np.ndarray, idx: np.ndarray, scores: np.ndarray, seed: int | None = None) -> np.ndarray:
    """UMAP to 2-D on the exact cosine neighbours, started from PCA (seeded: the same map every time).

    ``seed`` defaults to the book's (``SETTINGS["seed"]``); ``reseeded`` passes others."""
    start = pca(vectors, 2)
    n = len(vectors)
    self_first = (np.hstack([np.arange(n)[:, None], idx]), np.hstack([np.zeros((n, 1)), 1 - scores]))
    neighbours = (self_first[0].astype(np.int32), np.clip(self_first[1], 0, None).astype(np.float32))
    coords = umap_on_neighbours(
        vectors,
        neighbours,
        dims=2,
        seed=SETTINGS["seed"] if seed is None else seed,
        min_dist=SETTINGS["min_dist"],
        init=10 * start / np.abs(start).max(),
        epochs=SETTINGS["epochs"],
    )
    return coords.astype(np.float32)


def _regions(vectors: np.ndarray, seed: int | None = None) -> np.ndarray:
    """k-means in 384-D: one region number per word (``seed`` defaults to the book's)."""
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=SETTINGS["regions"], n_init=1, random_state=SETTINGS["seed"] if seed is None else seed)
    return model.fit_predict(vectors).astype(np.int16)


def make(words: list[str] | None = None, log: Callable[[str], None] | None = None) -> Path:
    """The map's folder, made on first use (minutes), then read from the cache (milliseconds).

    ``words`` defaults to the book's list (``wordlist.atlas_words()``); tests pass a few of their own.
    Each level is written to a temporary folder and renamed: a whole folder or none.
    """
    target = folder(words)
    if _valid(target):
        return target
    times: dict[str, float] = {}

    def timed(step: str, work: Callable):
        started = time.perf_counter()
        out = work()
        times[step] = round(time.perf_counter() - started, 1)
        return out

    if not _valid(target.parent, WORD_FILES):
        words = words if words is not None else atlas_words()
        if log:
            log(f"Embedding the atlas's {len(words):,} words once for this model (a minute or two on a laptop)…")
        vectors = timed("embed", lambda: _embed_words(words))
        _write_folder(
            target.parent,
            {"words.txt": "\n".join(words), "vectors.npy": vectors, "seconds.json": json.dumps(times)},
        )
    words = (target.parent / "words.txt").read_text(encoding="utf-8").split("\n")
    vectors = np.load(target.parent / "vectors.npy")
    if log:
        log(f"Laying out the atlas's {len(words):,} words (UMAP, once per setting)…")
    itself = np.arange(len(vectors))  # a word is never its own neighbour
    idx, scores = timed("neighbours", lambda: nearest_by_cosine(vectors, vectors, SETTINGS["neighbours"] - 1, itself))
    coords = timed("umap", lambda: _layout(vectors, idx, scores))
    regions = timed("regions", lambda: _regions(vectors))
    times = {**json.loads((target.parent / "seconds.json").read_text()), **times}
    meta = json.dumps({"settings": SETTINGS, "seconds": times, "words": len(words)})
    files = {"coords.npy": coords, "neighbours.npy": idx.astype(np.int32), "scores.npy": scores, "regions.npy": regions}
    _write_folder(target, {**files, "meta.json": meta})
    return target


def _write_folder(target: Path, files: dict) -> None:
    """Write files into a temporary folder beside ``target`` and rename it into place; a damaged ``target``
    is replaced, and another process that got there first wins."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".making-") as tmp:
        work = Path(tmp) / target.name
        work.mkdir()
        for name, content in files.items():
            if name.endswith(".npy"):
                np.save(work / name, content)
            else:
                (work / name).write_text(content, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)  # damaged or partial: made again, never served
        try:
            work.rename(target)
        except OSError:
            if not target.exists():
                raise


def _valid(path: Path, names: tuple[str, ...] = MAP_FILES) -> bool:
    """A whole folder: every file there, one row per word in each array, finite positions."""
    words = path / "words.txt" if names == WORD_FILES else path.parent / "words.txt"
    if not all((path / name).exists() for name in names) or not words.exists():
        return False
    try:
        n = len(words.read_text(encoding="utf-8").split("\n"))
        arrays = [np.load(path / name, mmap_mode="r") for name in names if name.endswith(".npy")]
        return all(a.shape[0] == n and np.isfinite(a[: min(n, 64)]).all() for a in arrays)
    except (OSError, ValueError):
        return False


# --- the whole atlas: words and paragraphs --------------------------------------------------------------


@dataclass
class Atlas:
    """Every item on the map (the words, then the book's paragraphs) with its vector and map position."""

    texts: list[str]
    kinds: list[str]  # "word" or "paragraph"
    vectors: np.ndarray  # (N, 384) float32, unit rows
    xy: np.ndarray  # (N, 2) int32, map positions on the 0..GRID grid
    regions: np.ndarray  # (words,) region number of each word
    region_names: list[str]
    paragraphs: list[Paragraph]
    true: np.ndarray = field(repr=False)  # (N, K) each item's K nearest items by cosine, best first
    true_scores: np.ndarray = field(repr=False)
    seconds: dict = field(default_factory=dict)  # what making the words' map took

    @property
    def words(self) -> int:
        return len(self.regions)

    def index(self, text: str) -> int | None:
        """The item whose text this is (a word is matched in lowercase), or None."""
        lookup = self.__dict__.setdefault("_lookup", {t: i for i, t in enumerate(self.texts)})
        return lookup.get(text, lookup.get(text.strip().lower()))

    def search(self, query: str | np.ndarray, k: int = K) -> list[tuple[str, float, str]]:
        """The k items nearest to a text (or a vector) by exact cosine in 384-D: (text, score, kind)."""
        top, scores = self.nearest(query, check_k(k))
        return [(self.texts[i], round(float(s), 4), self.kinds[i]) for i, s in zip(top, scores)]

    def nearest(self, query: str | np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k items nearest to a text (or a vector) by cosine, best first, ties by index: (indices, scores)."""
        vector = embed(check_texts(query, "query"))[0] if isinstance(query, str) else np.asarray(query, np.float32)
        sims = self.vectors @ vector
        top = top_k(sims, k)
        return top, sims[top]

    def place(self, query: str | np.ndarray) -> np.ndarray:
        """A map position for any text: the score-weighted mean of its K nearest items' positions."""
        top, scores = self.nearest(query, K)
        return weighted_position(self.xy[top], scores)

    def map_neighbours(self, where: int | np.ndarray, k: int = K) -> np.ndarray:
        """The k items nearest on the map to an item (itself left out) or to a position; ties by index."""
        if isinstance(where, (int, np.integer)):
            return map_neighbours(self.xy, k, rows=[where])[0]
        point = np.asarray(where, np.float64).reshape(1, 2)
        return top_k(-squared_distances(point, self.xy.astype(np.float64))[0], k)

    def kept(self, i: int, k: int = K) -> int:
        """How many of item i's k true neighbours are also among its k nearest on the map."""
        return int(kept_counts(self.true[i : i + 1, :k], self.map_neighbours(i, k)[None])[0])

    def retention(self, k: int = K) -> np.ndarray:
        """For every word, how many of its k true neighbours are among its k nearest on the map."""
        on_map = map_neighbours(self.xy, k, rows=np.arange(self.words))
        return kept_counts(self.true[: self.words, :k], on_map).astype(np.int16)


def weighted_position(xy: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The mean of map positions weighted by cosine (negative scores count as zero)."""
    weights = np.clip(np.asarray(scores, np.float64), 0, None)
    weights = weights if weights.sum() > 0 else np.ones_like(weights)
    return (np.asarray(xy, np.float64) * weights[:, None]).sum(axis=0) / weights.sum()


def _grid(coords: np.ndarray) -> np.ndarray:
    """UMAP's coordinates as integers from 0 to GRID on the longer side (the same scale on both axes)."""
    low = coords.min(axis=0)
    scale = GRID / float((coords.max(axis=0) - low).max())
    return np.round((coords - low) * scale).astype(np.int32)


def _region_names(words: list[str], vectors: np.ndarray, regions: np.ndarray) -> list[str]:
    """Each region named by the two words nearest its centre (its words' mean direction)."""
    return [" · ".join(words[i] for i in best) for best in central_items(vectors, regions, per=2)]


@memoize
def load(log: Callable[[str], None] | None = print) -> Atlas:
    """The atlas: the cached words' map (made once if missing) plus the book's paragraphs, placed on it."""
    where = make(log=log)
    words = (where.parent / "words.txt").read_text(encoding="utf-8").split("\n")
    vectors = np.load(where.parent / "vectors.npy")
    word_xy = _grid(np.load(where / "coords.npy"))
    word_true, word_scores = np.load(where / "neighbours.npy"), np.load(where / "scores.npy")
    regions = np.load(where / "regions.npy")
    seconds = json.loads((where / "meta.json").read_text())["seconds"]

    found = paragraphs()
    texts = [p.text for p in found]
    para_vectors = embed(texts) if texts else np.zeros((0, vectors.shape[1]), np.float32)
    # each paragraph at the score-weighted mean of its K nearest words
    para_xy = _place_paragraphs(word_xy, para_vectors, vectors)
    all_vectors = np.vstack([vectors, para_vectors]).astype(np.float32)
    n = len(words)

    # true neighbours among all items: words' cached word neighbours merged with every paragraph
    cand = np.hstack([word_true[:, :K], np.tile(np.arange(n, n + len(found)), (n, 1))])
    cand_scores = np.hstack([word_scores[:, :K], vectors @ para_vectors.T])
    order = top_k(cand_scores, K, ids=cand)
    true = [np.take_along_axis(cand, order, axis=1)]
    true_scores = [np.take_along_axis(cand_scores, order, axis=1)]
    if len(found):
        p_idx, p_scores = nearest_by_cosine(para_vectors, all_vectors, K, skip=np.arange(n, n + len(found)))
        true.append(p_idx)
        true_scores.append(p_scores)
    return Atlas(
        texts=words + texts,
        kinds=["word"] * n + ["paragraph"] * len(found),
        vectors=all_vectors,
        xy=np.vstack([word_xy, para_xy]).astype(np.int32),
        regions=regions,
        region_names=_region_names(words, vectors, regions),
        paragraphs=found,
        true=np.vstack(true).astype(np.int32),
        true_scores=np.vstack(true_scores).astype(np.float32),
        seconds=seconds,
    )


def _place_paragraphs(word_xy: np.ndarray, para_vectors: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each paragraph at the score-weighted mean of its K nearest words' map positions (grid integers)."""
    para_xy = np.array([weighted_position(word_xy[t], s) for t, s in zip(*nearest_by_cosine(para_vectors, vectors, K))])
    return np.round(para_xy).astype(np.int32).reshape(-1, 2)


def reseeded(a: Atlas, seed: int) -> Atlas:
    """The same atlas laid out by UMAP and grouped by k-means with another seed, in memory (about a minute).

    A claim about the map must not be one seed's accident: the tests check the page's claims on seeds 0-4.
    Everything else (words, vectors, true neighbours, paragraphs) is the book's atlas, unchanged.
    """
    from dataclasses import replace

    where = make(log=None)
    n = a.words
    vectors = a.vectors[:n]
    idx, scores = np.load(where / "neighbours.npy"), np.load(where / "scores.npy")
    word_xy = _grid(_layout(vectors, idx, scores, seed))
    regions = _regions(vectors, seed)
    xy = np.vstack([word_xy, _place_paragraphs(word_xy, a.vectors[n:], vectors)]).astype(np.int32)
    names = _region_names(a.texts[:n], vectors, regions)
    return replace(a, xy=xy, regions=regions, region_names=names)


def laid_out(a: Atlas, coords: np.ndarray) -> Atlas:
    """The same atlas with its words at other 2-D positions (another method's map, e.g. PCA's), in memory.

    The paragraphs are placed again among the words, as ``load`` places them; everything else is unchanged.
    """
    from dataclasses import replace

    n = a.words
    word_xy = _grid(np.asarray(coords, np.float64)[:n])
    xy = np.vstack([word_xy, _place_paragraphs(word_xy, a.vectors[n:], a.vectors[:n])]).astype(np.int32)
    return replace(a, xy=xy)
