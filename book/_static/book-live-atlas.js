/* The atlas panel's data: 20,000 words and the book's paragraphs on one map, searchable by meaning.
 *
 * The map itself is an ordinary figure of the page (atlas_view.map_figure: plotly scattergl), whose traces
 * are found by the names atlas_view.TRACES gives them (book-constants.js): the words, the paragraphs, the
 * region names, and the lens's lines and points. This script reads the items from that figure and answers:
 * - the distortion lens: an item's 10 true neighbours in 384-D (fetched once, no model needed), and which of
 *   them the map kept among its 10 nearest;
 * - search: the query embedded in the browser, exact cosine against every item's int8 vector, the 10
 *   nearest items and the 3 nearest paragraphs, and where an unlisted query goes on the map (the
 *   score-weighted mean of its 10 nearest items' positions: an approximation).
 * book-live-atlas-map.js draws all this (labels, the lens, the lists) and is the frame's "atlas" kind.
 *
 * Contract, for tests and curious readers in the console:
 *   window.embeddingsBook.atlas.search(text, k)     -> Promise<[{text, score, kind}]>  (kind "word" | "paragraph")
 *   window.embeddingsBook.atlas.neighbours(text, k) -> Promise<{text, kind, neighbours: [{text, score, kind}], onMap}>
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  if (!book || !window.bookLiveKinds) return;
  const { ReaderError, constants } = book;
  const K = constants.atlas.k; // neighbours shown and compared (atlas.K)
  const TRACES = constants.atlas.traces; // role -> trace name (atlas_view.TRACES)

  const short = book.clipText;
  const panel = () => document.querySelector('[data-live="atlas"]');
  const mapOf = (p) => p && p.querySelector(".plotly-graph-div");
  const maths = () => book.importModule("book-maths.js");
  /* The drawn map's trace with a role ("words", "paragraphs", "labels", "kept", "lost", "lens"), and its index. */
  const traceOf = (div, role) => div._fullData.find((t) => t.name === TRACES[role]);
  const traceIndex = (div, role) => traceOf(div, role).index;

  /* ---- the items on the map, read from the figure: the words, then the paragraphs ---- */

  let items = null;
  async function itemsOf() {
    if (items) return items;
    const div = mapOf(panel());
    if (!div) throw new ReaderError("This page has no atlas.");
    if (window.bookFigures) await window.bookFigures.drawNow(div);
    const words = traceOf(div, "words"); // _fullData: typed arrays decoded (div.data keeps plotly's packed form)
    const paras = traceOf(div, "paragraphs");
    const nw = words.x.length;
    const n = nw + paras.x.length;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    const texts = new Array(n);
    for (let i = 0; i < nw; i++) { xs[i] = words.x[i]; ys[i] = words.y[i]; texts[i] = words.text[i]; }
    const info = [];
    for (let j = 0; j < paras.x.length; j++) {
      const [, href, section, text, chapter] = paras.customdata[j];
      xs[nw + j] = paras.x[j]; ys[nw + j] = paras.y[j]; texts[nw + j] = text;
      info.push({ href, section, chapter });
    }
    const lookup = new Map(texts.map((t, i) => [t, i]));
    items = { n, nw, xs, ys, texts, info, lookup, kind: (i) => (i < nw ? "word" : "paragraph") };
    return items;
  }

  const indexOf = (it, text) => {
    const t = String(text || "").trim();
    return it.lookup.has(t) ? it.lookup.get(t) : it.lookup.has(t.toLowerCase()) ? it.lookup.get(t.toLowerCase()) : null;
  };

  /* The k items nearest on the map to (x, y), ties by index; `skip` is the item itself. */
  function mapNeighbours(math, it, x, y, k, skip = -1) {
    return math.topK(it.n, k, (i) => -((it.xs[i] - x) ** 2 + (it.ys[i] - y) ** 2), (i) => i === skip).map(([i]) => i);
  }

  /* Where a text off the map goes: the mean of its nearest items' positions ([index, score], best first),
     weighted by cosine (negative scores count as zero), as atlas.weighted_position does in Python. */
  function weightedPosition(it, top) {
    let w = top.map(([, s]) => Math.max(s, 0));
    if (!(w.reduce((a, b) => a + b, 0) > 0)) w = top.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    return [0, 1].map((axis) => top.reduce((a, [i], r) => a + w[r] * (axis ? it.ys[i] : it.xs[i]), 0) / total);
  }

  /* ---- data fetched on demand: each item's true neighbours (a click), int8 vectors (search) ---- */

  function servedOnly() {
    if (location.protocol === "file:") {
      throw new ReaderError("The lens and the search need the site served: run `make serve` and open http://127.0.0.1:8000. The map stays as it is.");
    }
  }

  let lensData = null;
  function loadLens() {
    servedOnly();
    if (!lensData) {
      lensData = Promise.all([book.loadPanelData("atlas-neighbours"), itemsOf()]).then(([d, it]) => {
        if (d.meta.items !== it.n) throw new ReaderError("The atlas's data does not match this page; reload it.");
        return d;
      });
      lensData.catch(() => (lensData = null));
    }
    return lensData;
  }

  let vectorData = null;
  function loadVectors() {
    servedOnly();
    if (!vectorData) {
      vectorData = Promise.all([book.loadPanelData("atlas"), itemsOf(), maths()]).then(([d, it, math]) => {
        const width = d.vectorsShape[1];
        if (d.vectorsShape[0] !== it.n) throw new ReaderError("The atlas's data does not match this page; reload it.");
        const norms = new Float32Array(it.n); // cosine needs no per-row scale: it cancels out
        for (let r = 0; r < it.n; r++) norms[r] = math.norm(d.vectors, r * width, width);
        return { vectors: d.vectors, width, norms };
      });
      vectorData.catch(() => (vectorData = null));
    }
    return vectorData;
  }

  const checkQuery = (text) => book.checkText(text, "a word, a phrase or a question", "search for");

  function checkK(k, most) {
    k = k === undefined ? K : Number(k);
    if (!Number.isInteger(k) || k < 1 || k > most) throw new ReaderError(`k must be a whole number from 1 to ${most}.`);
    return k;
  }

  /* Exact cosine of a query vector against every item: the k best and the `books` best paragraphs, each as
     [index, cosine], best first. */
  async function rank(vector, k, books = 0) {
    const [it, data, math] = await Promise.all([itemsOf(), loadVectors(), maths()]);
    const { vectors, width, norms } = data;
    const queryNorm = math.norm(vector, 0, width);
    const scores = new Float32Array(it.n);
    for (let r = 0; r < it.n; r++) scores[r] = math.dot(vector, vectors, r * width) / norms[r] / queryNorm;
    const top = math.topK(it.n, k, (i) => scores[i]);
    const paragraphs = books ? math.topK(it.n - it.nw, books, (j) => scores[it.nw + j]).map(([j, s]) => [it.nw + j, s]) : [];
    return { it, top, paragraphs, math };
  }

  const result = (it, [i, s]) => ({ text: it.texts[i], score: Math.round(s * 1e4) / 1e4, kind: it.kind(i) });

  async function search(text, k) {
    text = checkQuery(text);
    k = checkK(k, 100);
    const [vector] = await book.embed([text]);
    const { it, top } = await rank(vector, k);
    return top.map((hit) => result(it, hit));
  }

  /* An item's true neighbours (shipped, exact), and how many of them the map kept among its k nearest. */
  async function lensOf(i, k = K) {
    const [it, d, math] = await Promise.all([itemsOf(), loadLens(), maths()]);
    const width = d.neighboursShape[1];
    const truth = Array.from(d.neighbours.subarray(i * width, i * width + k));
    const scores = Array.from(d.scores.subarray(i * width, i * width + k));
    const near = new Set(mapNeighbours(math, it, it.xs[i], it.ys[i], k, i));
    return { it, x: it.xs[i], y: it.ys[i], truth, scores, kept: new Set(truth.filter((j) => near.has(j))) };
  }

  /* The lens of a text that may be off the map: placed among its nearest items `top` ([index, cosine]). */
  function placedLens(math, it, top) {
    const [x, y] = weightedPosition(it, top);
    const near = new Set(mapNeighbours(math, it, x, y, K));
    const truth = top.map(([i]) => i);
    return { it, x, y, truth, scores: top.map(([, s]) => s), kept: new Set(truth.filter((j) => near.has(j))) };
  }

  async function neighbours(text, k) {
    k = checkK(k, K);
    const it = await itemsOf();
    const i = indexOf(it, text);
    if (i === null) throw new ReaderError(`“${short(String(text), 40)}” is not on the map; search for it instead.`);
    const view = await lensOf(i, k);
    return {
      text: it.texts[i], kind: it.kind(i), onMap: view.kept.size,
      neighbours: view.truth.map((j, r) => result(it, [j, view.scores[r]])),
    };
  }

  book.atlas = { search, neighbours };
  /* For book-live-atlas-map.js. */
  window.bookAtlasData = {
    K, short, panel, mapOf, traceOf, traceIndex, itemsOf, indexOf, lensOf, placedLens, rank, checkQuery,
    get items() { return items; },
  };
})();
