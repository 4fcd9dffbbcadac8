/* The atlas panel: 20,000 words and the book's paragraphs on one map, searchable by meaning.
 *
 * The map itself is an ordinary figure of the page (plotly scattergl: the words, then the paragraphs,
 * then an SVG text trace of labels, then the lens's lines and points). This script adds, once it is drawn:
 * - labels at a readable density for the zoom level (region names; the most frequent words in view);
 * - the distortion lens: click a point to draw lines to its 10 true neighbours in 384-D (fetched once,
 *   no model needed): green where the map kept them among its 10 nearest, orange where it did not;
 * - search (the frame's "atlas" kind): the query embedded in the browser, exact cosine against every
 *   item's int8 vector, the 10 nearest items and the 3 nearest paragraphs listed, the query marked on the
 *   map at the score-weighted mean of its 10 nearest items' positions (an approximation) and flown to.
 *
 * Contract, for tests and curious readers in the console:
 *   window.embeddingsBook.atlas.search(text, k)     -> Promise<[{text, score, kind}]>  (kind "word" | "paragraph")
 *   window.embeddingsBook.atlas.neighbours(text, k) -> Promise<{text, kind, neighbours: [{text, score, kind}], onMap}>
 * Text from the reader or the data reaches the page as text only, and plotly labels are escaped.
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  if (!book || !window.bookLiveKinds) return;
  const { ReaderError } = book;
  const K = 10;
  const MAX_CHARS = 2000;
  const MEANINGFUL = /[\p{L}\p{N}]/u;
  const TRACE = { words: 0, paragraphs: 1, labels: 2, kept: 3, lost: 4, lens: 5 };
  const KEPT = "#54A24B";
  const LOST = "#F58518";

  const escape = book.plain; // for plotly strings
  const short = (s, n) => (s.length > n ? s.slice(0, n - 1) + "…" : s);
  const panel = () => document.querySelector('[data-live="atlas"]');
  const mapOf = (p) => p && p.querySelector(".plotly-graph-div");

  /* ---- the items on the map, read from the figure: words (trace 0), then paragraphs (trace 1) ---- */

  let items = null;
  async function itemsOf() {
    if (items) return items;
    const div = mapOf(panel());
    if (!div) throw new ReaderError("This page has no atlas.");
    if (window.bookFigures) await window.bookFigures.drawNow(div);
    const [words, paras] = div._fullData; // typed arrays decoded (div.data keeps plotly's packed form)
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

  /* The k best of n scores, best first, ties by index (as numpy's lexsort in atlas.py). */
  function best(n, k, score, skip = -1) {
    const top = []; // [score, index], sorted
    for (let i = 0; i < n; i++) {
      if (i === skip) continue;
      const s = score(i);
      if (top.length === k && !(s > top[k - 1][0])) continue;
      let at = top.length;
      while (at > 0 && s > top[at - 1][0]) at--;
      top.splice(at, 0, [s, i]);
      if (top.length > k) top.pop();
    }
    return top;
  }

  /* The k items nearest on the map to (x, y), ties by index; `skip` is the item itself. */
  function mapNeighbours(it, x, y, k, skip = -1) {
    return best(it.n, k, (i) => -((it.xs[i] - x) ** 2 + (it.ys[i] - y) ** 2), skip).map(([, i]) => i);
  }

  /* Where a text off the map goes: the mean of its nearest items' positions, weighted by cosine
     (negative scores count as zero), as atlas.weighted_position does in Python. */
  function weightedPosition(it, top) {
    let w = top.map(([s]) => Math.max(s, 0));
    if (!(w.reduce((a, b) => a + b, 0) > 0)) w = top.map(() => 1);
    const total = w.reduce((a, b) => a + b, 0);
    return [0, 1].map((axis) => top.reduce((a, [, i], r) => a + w[r] * (axis ? it.ys[i] : it.xs[i]), 0) / total);
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
      vectorData = Promise.all([book.loadPanelData("atlas"), itemsOf()]).then(([d, it]) => {
        const width = d.vectorsShape[1];
        if (d.vectorsShape[0] !== it.n) throw new ReaderError("The atlas's data does not match this page; reload it.");
        const norms = new Float32Array(it.n); // cosine needs no per-row scale: it cancels out
        for (let r = 0; r < it.n; r++) {
          let s = 0;
          for (let j = r * width; j < (r + 1) * width; j++) s += d.vectors[j] * d.vectors[j];
          norms[r] = Math.sqrt(s) || 1;
        }
        return { vectors: d.vectors, width, norms };
      });
      vectorData.catch(() => (vectorData = null));
    }
    return vectorData;
  }

  function checkQuery(text) {
    text = String(text == null ? "" : text).trim();
    if (!text) throw new ReaderError("Type a word, a phrase or a question.");
    if (text.length > MAX_CHARS) {
      throw new ReaderError(`That is ${text.length.toLocaleString("en")} characters; keep it under ${MAX_CHARS.toLocaleString("en")} (the model reads at most 256 word pieces anyway).`);
    }
    if (!MEANINGFUL.test(text)) {
      throw new ReaderError(`“${short(text, 20)}” has no letters or digits: the model reads emoji and symbols as [UNK], an unknown piece, so there is nothing to search for.`);
    }
    return text;
  }

  function checkK(k, most) {
    k = k === undefined ? K : Number(k);
    if (!Number.isInteger(k) || k < 1 || k > most) throw new ReaderError(`k must be a whole number from 1 to ${most}.`);
    return k;
  }

  /* Exact cosine of a query vector against every item: the k best, and the `books` best paragraphs. */
  async function rank(vector, k, books = 0) {
    const [it, data] = await Promise.all([itemsOf(), loadVectors()]);
    const { vectors, width, norms } = data;
    let qq = 0;
    for (let j = 0; j < width; j++) qq += vector[j] * vector[j];
    const qn = Math.sqrt(qq) || 1;
    const scores = new Float32Array(it.n);
    for (let r = 0; r < it.n; r++) {
      let s = 0;
      const o = r * width;
      for (let j = 0; j < width; j++) s += vector[j] * vectors[o + j];
      scores[r] = s / norms[r] / qn;
    }
    const top = best(it.n, k, (i) => scores[i]);
    const book_ = books ? best(it.n - it.nw, books, (j) => scores[it.nw + j]).map(([s, j]) => [s, it.nw + j]) : [];
    return { it, top, book: book_ };
  }

  const result = (it, s, i) => ({ text: it.texts[i], score: Math.round(s * 1e4) / 1e4, kind: it.kind(i) });

  async function search(text, k) {
    text = checkQuery(text);
    k = checkK(k, 100);
    const [vector] = await book.embed([text]);
    const { it, top } = await rank(vector, k);
    return top.map(([s, i]) => result(it, s, i));
  }

  /* An item's true neighbours (shipped, exact), and how many of them the map kept among its k nearest. */
  async function lensOf(i, k = K) {
    const [it, d] = await Promise.all([itemsOf(), loadLens()]);
    const width = d.neighboursShape[1];
    const truth = Array.from(d.neighbours.subarray(i * width, i * width + k));
    const scores = Array.from(d.scores.subarray(i * width, i * width + k));
    const near = new Set(mapNeighbours(it, it.xs[i], it.ys[i], k, i));
    return { it, x: it.xs[i], y: it.ys[i], truth, scores, kept: new Set(truth.filter((j) => near.has(j))) };
  }

  async function neighbours(text, k) {
    k = checkK(k, K);
    const it = await itemsOf();
    const i = indexOf(it, text);
    if (i === null) throw new ReaderError(`“${short(String(text), 40)}” is not on the map; search for it instead.`);
    const view = await lensOf(i, k);
    return {
      text: it.texts[i], kind: it.kind(i), onMap: view.kept.size,
      neighbours: view.truth.map((j, r) => result(it, view.scores[r], j)),
    };
  }

  book.atlas = { search, neighbours };

  /* ---- drawing: the lens, the result lists, the view ---- */

  const dark = () => document.documentElement.dataset.theme === "dark";

  /* Axis ranges centred on (x, y) that show `span` map units along the plot's shorter side, at the map's
     one-to-one scale (so plotly does not stretch them again). */
  function rangesAround(div, x, y, span) {
    const { w, h } = div._fullLayout._size;
    const [sx, sy] = w >= h ? [span * w / h, span] : [span, span * h / w];
    return { x: [x - sx / 2, x + sx / 2], y: [y - sy / 2, y + sy / 2] };
  }

  /* The lens, the labels for the new view, the title and the view itself, in one redraw. */
  async function drawLens(div, view, label) {
    const { it, x, y, truth, kept } = view;
    const line = (keep) => {
      const xs = [];
      const ys = [];
      truth.filter((j) => kept.has(j) === keep).forEach((j) => { xs.push(x, it.xs[j], null); ys.push(y, it.ys[j], null); });
      return [xs, ys];
    };
    const [kx, ky] = line(true);
    const [lx, ly] = line(false);
    const px = [x, ...truth.map((j) => it.xs[j])];
    const py = [y, ...truth.map((j) => it.ys[j])];
    const span = Math.max(800, 1.3 * Math.max(Math.max(...px) - Math.min(...px), Math.max(...py) - Math.min(...py)));
    const ranges = rangesAround(div, x, y, span);
    const labels = labelsFor(div, ranges);
    const base = (div.layout.meta && div.layout.meta.atlasTitle) || "";
    const placed = label === it.texts[indexOf(it, label)] ? "" : " (placed among its nearest items)";
    const title = `${escape(base)}<br><sup>“${escape(short(label, 40))}”${placed}: ${kept.size} of its ${K} true neighbours are among its ${K} nearest on the map</sup>`;
    div.__atlasLabels = labels.key;
    div.__atlasView = ranges;
    return Plotly.update(div, {
      x: [labels.x, kx, lx, px], y: [labels.y, ky, ly, py],
      text: [labels.text, [], [], [escape(short(label, 40)), ...truth.map((j) => escape(short(it.texts[j], 30)))]],
      "textfont.size": [labels.size, 14, 14, 14],
      "marker.size": [6, 6, 6, [18, ...truth.map(() => 9)]],
      "marker.symbol": ["circle", "circle", "circle", ["star", ...truth.map(() => "circle-open")]],
    }, { "xaxis.range": ranges.x, "yaxis.range": ranges.y, "title.text": title },
    [TRACE.labels, TRACE.kept, TRACE.lost, TRACE.lens]); // fly there: a jump, as WebGL points do not animate
  }

  function listInto(ol, rows, snippet) {
    ol.replaceChildren(...rows.map(({ text, score, kept, href, where }) => {
      const li = document.createElement("li");
      if (href) {
        const a = document.createElement("a");
        a.href = href;
        a.textContent = where;
        li.append(a, document.createTextNode(" "));
      }
      const words = document.createElement("span");
      words.textContent = href ? short(text, snippet) : text;
      const num = document.createElement("span");
      num.className = "atlas-score";
      num.textContent = ` ${score.toFixed(2)}${kept === undefined ? "" : kept ? " · kept near on the map" : " · pushed away"}`;
      li.append(words, num);
      return li;
    }));
  }

  function showLists(p, it, nearest, paragraphs) {
    const box = p.querySelector(".atlas-results");
    const row = ([s, i], kept) => {
      const r = { text: it.texts[i], score: s, kept };
      if (i >= it.nw) Object.assign(r, { href: it.info[i - it.nw].href, where: `${it.info[i - it.nw].chapter} › ${it.info[i - it.nw].section}:` });
      return r;
    };
    listInto(box.querySelector(".atlas-nearest"), nearest.map(([s, i, kept]) => row([s, i], kept)), 70);
    listInto(box.querySelector(".atlas-book"), paragraphs.map((pair) => row(pair)), 200);
    box.querySelector(".atlas-book").parentElement.hidden = !paragraphs.length;
    box.hidden = false;
  }

  let selected = ""; // the text of the point whose lens is shown (a shared link carries it), "" after a search

  /* A point clicked: its lens, with no model. */
  async function clicked(p, div, i) {
    selected = items.texts[i];
    const say = p.bookSay; // the frame's status line (book-live.js)
    try {
      const view = await lensOf(i);
      const { it } = view;
      const rows = view.truth.map((j, r) => [view.scores[r], j, view.kept.has(j)]);
      const own = i >= it.nw ? [[1, i]] : [];
      showLists(p, it, rows, [...own, ...rows.filter(([, j]) => j >= it.nw).map(([s, j]) => [s, j])]);
      await drawLens(div, view, it.texts[i]);
      say(`“${short(it.texts[i], 40)}”: ${view.kept.size} of its ${K} true neighbours are also among its ${K} nearest on the map (green lines; orange: pushed away).`);
    } catch (err) {
      say(err instanceof ReaderError ? err.message : "The lens's data could not load; reload the page to try again.", true);
    }
  }

  /* ---- labels at a readable density: region names, then the most frequent words in view ---- */

  let regions = null; // the region names and where they go, from the figure as drawn in Python

  function labelsFor(div, ranges) {
    const [x0, x1] = ranges.x;
    const [y0, y1] = ranges.y;
    const inView = (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
    const room = Math.max(6, Math.floor((div.clientWidth * div.clientHeight) / 9000));
    const out = { x: [], y: [], text: [], size: [] };
    const add = (x, y, text, size) => { out.x.push(x); out.y.push(y); out.text.push(text); out.size.push(size); };
    regions.x.forEach((x, r) => inView(x, regions.y[r]) && add(x, regions.y[r], regions.text[r], 13));
    if (x1 - x0 < 0.5 * regions.span) { // zoomed in: the most frequent words in view (the words come in that order)
      const enough = room + out.x.length;
      for (let i = 0; i < items.nw && out.x.length < enough; i++) {
        if (inView(items.xs[i], items.ys[i])) add(items.xs[i], items.ys[i], escape(items.texts[i]), 11);
      }
    }
    out.key = out.text.join("|");
    return out;
  }

  /* After the reader zooms or pans: labels at a readable density for the new view. */
  function relabel(div) {
    const full = div._fullLayout;
    if (!full || !items || !regions) return;
    const view = { x: full.xaxis.range, y: full.yaxis.range };
    const last = div.__atlasView;
    const span = view.x[1] - view.x[0];
    if (last && [0, 1].every((k) => Math.abs(view.x[k] - last.x[k]) < 0.005 * span && Math.abs(view.y[k] - last.y[k]) < 0.005 * span)) return;
    div.__atlasView = view; // the view the labels were chosen for: a lens's own jump needs no second redraw
    const labels = labelsFor(div, view);
    if (labels.key === div.__atlasLabels) return;
    div.__atlasLabels = labels.key;
    Plotly.restyle(div, { x: [labels.x], y: [labels.y], text: [labels.text], "textfont.size": [labels.size] }, [TRACE.labels]);
  }

  /* On a narrow screen the map keeps its own shape: as tall as its width allows, no taller. */
  function fitHeight(div, home) {
    const full = div._fullLayout;
    const [x0, x1] = home.x;
    const [y0, y1] = home.y;
    const height = Math.round(full._size.w * (y1 - y0) / (x1 - x0)) + full.margin.t + full.margin.b;
    if (div.clientWidth < 640 && Math.abs(height - full.height) > 8) {
      div.parentElement.style.height = height + "px";
      Plotly.relayout(div, { height, "xaxis.range": home.x.slice(), "yaxis.range": home.y.slice() }); // the whole map again
    }
  }

  /* Once the map is drawn: labels, the lens on click. Returns a promise, the same one on every call. */
  function attach(p, div) {
    if (!div.__atlas) div.__atlas = attaching(p, div);
    return div.__atlas;
  }

  async function attaching(p, div) {
    const home = div.layout.meta.atlasHome; // the whole map's extent (plotly widens one axis to keep the scale)
    await itemsOf();
    fitHeight(div, home);
    div.on("plotly_afterplot", () => fitHeight(div, home)); // after a turned phone or a wrapped title
    const t = div._fullData[TRACE.labels];
    regions = { x: Array.from(t.x), y: Array.from(t.y), text: Array.from(t.text), span: home.x[1] - home.x[0] };
    div.__atlasLabels = regions.text.join("|");
    let pending = null;
    div.on("plotly_relayout", () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(() => relabel(div)); });
    div.on("plotly_click", (e) => {
      const point = e && e.points && e.points[0];
      if (!point || (point.curveNumber !== TRACE.words && point.curveNumber !== TRACE.paragraphs)) return;
      clicked(p, div, point.pointNumber + (point.curveNumber === TRACE.paragraphs ? items.nw : 0))
        .then(() => p.dispatchEvent(new CustomEvent("book:applied"))); // a view to link to and go Back from
    });
  }

  function webgl() {
    try {
      const c = document.createElement("canvas");
      return !!(window.WebGLRenderingContext && (c.getContext("webgl") || c.getContext("experimental-webgl")));
    } catch (err) {
      return false;
    }
  }

  function init() {
    const p = panel();
    const div = mapOf(p);
    if (!div) return;
    if (!webgl()) p.querySelector(".atlas-nowebgl").hidden = false;
    if (div._fullLayout) attach(p, div);
    else div.addEventListener("book:drawn", () => attach(p, div), { once: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(init));
  else setTimeout(init);

  /* ---- the frame's "atlas" kind: the search box ---- */

  window.bookLiveKinds.atlas = {
    bytes: (m) => (m.bytes.model || 0) + ((m.bytes.panels || {}).atlas || 0) + ((m.bytes.panels || {})["atlas-neighbours"] || 0),
    check: (inputs) => ({ query: checkQuery(inputs.query) }),
    async run({ query }, p, api) {
      selected = "";
      const div = mapOf(p);
      const [vector] = await api.embed([query]);
      const { it, top, book: paragraphs } = await rank(vector, K, 3);
      const at = indexOf(it, query);
      let view;
      if (at !== null) {
        view = await lensOf(at); // a word of the collection: its own place and its shipped neighbours
      } else {
        const [x, y] = weightedPosition(it, top);
        const near = new Set(mapNeighbours(it, x, y, K));
        const truth = top.map(([, i]) => i);
        view = { it, x, y, truth, scores: top.map(([s]) => s), kept: new Set(truth.filter((j) => near.has(j))) };
      }
      showLists(p, it, view.truth.map((j, r) => [view.scores[r], j, view.kept.has(j)]), paragraphs);
      await drawLens(div, view, query);
      const where = at !== null
        ? `“${short(query, 40)}” is on the map: ${view.kept.size} of its ${K} true neighbours are among its ${K} nearest there.`
        : `“${short(query, 40)}” is not in the collection: placed at the score-weighted mean of its ${K} nearest items (an approximation); ${view.kept.size} of them are among its ${K} nearest there.`;
      return where;
    },
    /* A shared link may name the clicked point: any item's text (a word or a paragraph), looked up, never run. */
    state: {
      names: ["point"],
      get: () => ({ point: selected }),
      async set(p, { point }) {
        if (!point) return false;
        const div = mapOf(p);
        const it = await itemsOf();
        const i = it.lookup.get(point);
        if (i === undefined) {
          p.bookSay("This link names a point that is not on this map, so the map shows its default view.", true);
          return true;
        }
        await attach(p, div); // the map is drawn (itemsOf waited for it); its labels are read once
        await clicked(p, div, i);
        return true;
      },
    },
  };
})();
