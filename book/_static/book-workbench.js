/* The workbench ([data-live="workbench"]): the reader's own texts, embedded in their browser, as a map with
 * clusters, near-duplicate pairs, a search by meaning and exports. Nothing leaves the page: the texts go
 * to the model's worker (book-model-worker.js, with book-collection.js for the pairs, clusters and PCA)
 * and to the workbench's worker (book-workbench-worker.js: files, UMAP, exports), never to a server, a
 * URL or the browser's storage. Everything from a file or the keyboard is shown as text only. Its limits,
 * bins and colours are the Python's (book-constants.js: workbench.py, helpers.COLORS).
 *
 * Contract, for tests: window.embeddingsBook.workbench.load(texts) -> Promise<{n, truncated, clusters}>
 * (what the panel runs, progress and all); .vectors() -> Float32Array[] in input order;
 * .duplicates(threshold) -> Promise<[{a, b, score}]> (a < b, indices into the input, most similar first).
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  if (!book) return;
  const { ReaderError, redraw, escapeHtml, constants } = book;
  const settings = constants.workbench;
  const COLORS = constants.palette;
  const script = document.currentScript;
  const base = script ? script.src : document.baseURI;
  const live = new URL("live/", base);
  const NEAREST = settings.nearest; // items of the nearest list
  const MEANINGFUL = /[\p{L}\p{N}]/u;
  const count = (n) => n.toLocaleString("en");
  const plural = (n, word, many = word + "s") => `${count(n)} ${n === 1 ? word : many}`;
  const shorten = (t, limit = settings.maxLabel) => { t = String(t).replace(/\s+/g, " ").trim(); return t.length <= limit ? t : t.slice(0, limit - 1).trimEnd() + "…"; };
  const abort = () => new DOMException("Cancelled", "AbortError");
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  const clustersWithin = (n, k) => Math.min(n, settings.clusters.max, Math.max(settings.clusters.min, k));
  const autoClusters = (n) => clustersWithin(n, Math.round(Math.sqrt(n / 2))); // as workbench.auto_clusters
  const neighboursFor = (n) => Math.max(1, Math.min(14, n - 2)); // with the text itself, UMAP's 15 (helpers.project)

  /* ---- the workbench's worker: files, UMAP, exports (a Cancel stops it; the next request starts another) ---- */

  let helper = null;
  function startHelper() {
    if (!helper) {
      helper = new Worker(new URL("book-workbench-worker.js", base));
      helper.onerror = (e) => { e.preventDefault(); stopHelper(new ReaderError("The workbench could not start its helper; reload the page to try again.")); };
      helper.onmessage = ({ data }) => requests.settle(data);
      helper.postMessage({ type: "init", live: live.href });
    }
    return helper;
  }
  const requests = book.workerRequests({ start: startHelper, cancel: () => stopHelper(abort()) });
  function stopHelper(err) {
    if (helper) helper.terminate();
    helper = null;
    requests.rejectAll(err);
  }
  const askHelper = requests.ask;

  /* ---- state, one per panel ---- */

  const states = new WeakMap();
  function stateOf(panel) {
    if (!states.has(panel)) states.set(panel, { collection: null, override: null, overrideText: null, notes: [], controller: null });
    return states.get(panel);
  }
  const sameItems = (a, b) => a.length === b.length && a.every((t, i) => t === b[i]);

  function progressOf(panel) {
    const box = panel.querySelector(".wb-progress");
    const bar = box.querySelector("progress");
    const text = box.querySelector(".wb-progress-text");
    return {
      set(label, share) {
        box.hidden = false;
        if (share === null) bar.removeAttribute("value");
        else bar.value = Math.max(0, Math.min(1, share));
        text.textContent = label;
      },
      hide() { box.hidden = true; bar.value = 0; text.textContent = ""; },
    };
  }

  /* ---- checks: what the reader gave, in one clear line ---- */

  function check(inputs, panel) {
    const st = stateOf(panel);
    let items;
    const notes = [];
    if (st.override && inputs.texts === st.overrideText) {
      items = st.override;
      notes.push(...st.notes);
    } else {
      const lines = String(inputs.texts || "").split(/\r\n|\r|\n/);
      items = lines.map((l) => l.replace(/\s+/g, " ").trim()).filter(Boolean);
      const spaces = lines.filter((l) => l.length && !l.trim()).length;
      if (spaces && items.length) notes.push(`${plural(spaces, "line")} held only spaces and ${spaces === 1 ? "was" : "were"} skipped.`);
    }
    if (!items.length) throw new ReaderError("Paste some texts, one per line, or open a file (.txt, .csv, .tsv or .jsonl).");
    if (items.length > settings.maxItems) {
      notes.push(`Using the first ${count(settings.maxItems)} of ${count(items.length)} texts (the notebook below takes any number).`);
      items = items.slice(0, settings.maxItems);
    }
    if (items.length < 3) throw new ReaderError(`Give at least 3 texts, one per line, to map and compare; there ${items.length === 1 ? "is 1" : "are 2"}.`);
    const repeats = items.length - new Set(items).size;
    if (repeats) notes.push(`${plural(repeats, "text")} repeat${repeats === 1 ? "s" : ""} an earlier one; kept and counted (a repeat scores 1.00 with its twin).`);
    const symbols = items.filter((t) => !MEANINGFUL.test(t)).length;
    if (symbols) notes.push(`${plural(symbols, "text")} ${symbols === 1 ? "has" : "have"} no letters or digits: the model reads emoji and symbols as [UNK], so such texts all land on one spot.`);
    const n = items.length;
    const slider = panel.querySelector('input[name="threshold"]'); // its bounds and first value are the Python's
    const threshold = Number.isFinite(Number(inputs.threshold))
      ? Math.min(Number(slider.max), Math.max(Number(slider.min), Number(inputs.threshold))) : Number(slider.defaultValue);
    const asked = Number.parseInt(inputs.clusters, 10);
    const k = Number.isFinite(asked) ? clustersWithin(n, asked) : autoClusters(n);
    const same = st.collection && sameItems(st.collection.items, items);
    const item = same ? Number.parseInt(inputs.item, 10) : NaN; // a picked text belongs to its collection
    if (!same && inputs.item) panel.bookFill({ item: "" });
    return {
      items, notes, threshold: Math.round(threshold * 100) / 100, k,
      method: inputs.method === "pca" || n < 4 ? "pca" : "umap",
      query: String(inputs.query || "").trim().slice(0, constants.maxTextChars),
      item: Number.isInteger(item) && item >= 0 && item < n ? item : null,
    };
  }

  /* ---- run: embed (if the texts changed), cluster, compare every pair, map; then draw it all at once ---- */

  async function run(v, panel, api) {
    const st = stateOf(panel);
    const controller = new AbortController();
    st.controller = controller;
    const { signal } = controller;
    const progress = progressOf(panel);
    const old = st.collection;
    const fresh = !old || !sameItems(old.items, v.items);
    const next = fresh ? { items: v.items, maps: {} } : Object.assign({}, old, { maps: Object.assign({}, old.maps) });
    let embedded = false;
    try {
      if (fresh) {
        const started = performance.now();
        progress.set(`Embedding ${count(v.items.length)} texts…`, 0);
        const out = await api.embedMany(v.items, {
          keep: true, signal,
          onProgress(done, total, chars, allChars) {
            const share = allChars ? chars / allChars : 0;
            const left = share > 0.02 ? Math.round(((performance.now() - started) / 1000) * (1 / share - 1)) : null;
            progress.set(`Embedding: ${count(done)} of ${count(total)} new texts${left !== null ? ` · about ${left} s left` : ""}`, share);
          },
        });
        embedded = true;
        Object.assign(next, { vectors: out.vectors, flat: out.flat, width: out.width, cut: out.cut, clusters: null, scan: null });
      }
      const n = next.items.length;
      if (!next.clusters || next.clusters.asked !== v.k) {
        progress.set("Finding clusters in 384-D…", null);
        next.clusters = Object.assign({ asked: v.k }, await api.askModel({ type: "kmeans", k: v.k }, { signal }));
      }
      if (!next.scan || next.scan.threshold !== v.threshold) {
        progress.set(`Comparing all ${count((n * (n - 1)) / 2)} pairs…`, 0);
        const onProgress = (done, total) => progress.set(`Comparing all ${count((n * (n - 1)) / 2)} pairs…`, done / total);
        const scan = await api.askModel({ type: "scan", threshold: v.threshold, neighbours: neighboursFor(n) }, { signal, onProgress });
        next.scan = Object.assign({ threshold: v.threshold }, scan);
      }
      if (!next.maps[v.method]) {
        if (v.method === "pca") next.maps.pca = (await api.askModel({ type: "pca" }, { signal })).coords;
        else {
          progress.set("Laying out the UMAP map…", 0);
          const onProgress = (epoch, epochs) => progress.set(`Laying out the UMAP map: step ${epoch} of ${epochs}`, epoch / epochs);
          next.maps.umap = (await askHelper({ type: "umap", n, neighbours: next.scan.neighbours }, { signal, onProgress })).coords;
        }
      }
      let found = null;
      if (v.query) {
        const [[q], math] = await Promise.all([api.embed([v.query]), book.importModule("book-maths.js")]);
        found = { title: `Nearest to “${shorten(v.query, 80)}”, by cosine`, hits: search(math, q, next), selected: null };
      } else if (v.item !== null) {
        found = { title: `Nearest to text ${v.item + 1}, “${shorten(next.items[v.item], 80)}”, in 384-D`, hits: neighbours(v.item, next), selected: v.item };
      }
      if (signal.aborted) throw abort();
      st.collection = next;
      await show(panel, next, v, found);
      return summary(next, v);
    } catch (err) {
      if (embedded && old && signal.aborted) await api.embedMany(old.items, { keep: true }).catch(() => null); // the worker's collection back to what the page shows
      throw err;
    } finally {
      if (st.controller === controller) st.controller = null;
      progress.hide();
    }
  }

  function summary(c, v) {
    const parts = [`${plural(c.items.length, "text")}`];
    const kept = c.scan.s.length < c.scan.total ? ` (the ${count(c.scan.s.length)} most similar are listed and exported)` : "";
    if (c.cut.length) parts.push(`${plural(c.cut.length, "text")} over the model's 256 word pieces ${c.cut.length === 1 ? "was" : "were"} cut (it reads only the start)`);
    const { k, asked, distinct } = c.clusters;
    const fewer = k >= asked ? "" : distinct < asked ? ` (the model gives these texts only ${plural(distinct, "different vector")}, so not ${asked})` : ` (k-means left the others empty, so not ${asked})`;
    parts.push(`${plural(k, "cluster")}${fewer}`, `${plural(c.scan.total, "pair")} at or above ${v.threshold.toFixed(2)}${kept}`);
    return [parts.join("; ") + ".", ...v.notes].join(" ");
  }

  /* The texts nearest to a query vector, as [index, cosine] (unit vectors: a dot product is the cosine). */
  function search(math, q, c) {
    return math.topK(c.items.length, NEAREST, (i) => math.dot(q, c.flat, i * c.width));
  }
  function neighbours(item, c) {
    const { index, score, k } = c.scan.neighbours;
    return Array.from({ length: Math.min(k, NEAREST) }, (_, j) => [index[item * k + j], score[item * k + j]]).filter((h) => h[0] >= 0);
  }

  /* ---- what the reader sees ---- */

  /* Thousands of SVG points took the page's main thread a second to draw; WebGL draws them at once. Whether
     the browser has WebGL is found out while the model loads (creating a context takes a moment). */
  let webgl = null;
  function findWebGL() {
    if (webgl !== null) return;
    try {
      const gl = document.createElement("canvas").getContext("webgl");
      webgl = !!gl;
      const lose = gl && gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
    } catch {
      webgl = false;
    }
  }
  const pointsType = (n) => (n > 500 && webgl ? "scattergl" : "scatter"); // 1,000 SVG points: over 200 ms
  /* Plotly sets WebGL up for a figure the first time the figure has a WebGL point to draw: 150-350 ms in one
     task (context, shaders), whatever the number of points. A standby WebGL trace, drawn into the map while the
     model loads and kept in every redraw, pays that once, while the reader waits anyway, instead of freezing
     the page when a big collection is drawn (an empty trace sets nothing up; one blank point, x = y = null, does,
     and neither moves the axes). No legend entry, nothing to hover. */
  const STANDBY = "webgl standby";
  const standby = () => ({ type: "scattergl", mode: "markers", x: [null], y: [null], name: STANDBY, meta: STANDBY, showlegend: false, hoverinfo: "skip" });
  async function warmWebGL(panel) {
    findWebGL();
    const mapDiv = panel.querySelector(".plotly-graph-div");
    if (!webgl || !mapDiv) return;
    await book.pythonFigure(mapDiv); // Python's figure kept as it was, before the standby joins it
    if (!(mapDiv.data || []).some((t) => t.meta === STANDBY)) await Plotly.addTraces(mapDiv, standby());
  }

  function describe(div, text) {
    const wrapper = div.closest("[role=figure]");
    if (wrapper) wrapper.setAttribute("aria-label", text);
  }

  async function show(panel, c, v, found) {
    const [mapDiv, scoresDiv] = panel.querySelectorAll(".plotly-graph-div");
    const floor = Number(panel.dataset.noiseFloor);
    const coords = c.maps[v.method];
    const { labels, central } = c.clusters;
    const names = central.map((best) => escapeHtml(shorten(c.items[best[0]])));
    const type = pointsType(c.items.length);
    // Python's map (workbench.plot_collection_map) redrawn: its "cluster" trace once per cluster, its marks
    const python = await book.pythonFigure(mapDiv);
    const traces = central.map((_, cluster) => {
      const idx = [];
      labels.forEach((l, i) => { if (l === cluster) idx.push(i); });
      return ["cluster", { type, name: `${cluster + 1} · ${names[cluster]}`, x: idx.map((i) => coords[2 * i]), y: idx.map((i) => coords[2 * i + 1]),
                           hovertext: idx.map((i) => escapeHtml(shorten(c.items[i], settings.hoverLabel))), customdata: idx,
                           hovertemplate: `%{hovertext}<extra>cluster ${cluster + 1}</extra>`, marker: { color: COLORS[cluster % COLORS.length] } }];
    });
    const middle = central.map((_, cluster) => {
      const xs = [], ys = [];
      labels.forEach((l, i) => { if (l === cluster) { xs.push(coords[2 * i]); ys.push(coords[2 * i + 1]); } });
      const median = (a) => a.sort((p, q) => p - q)[Math.floor(a.length / 2)];
      return [median(xs), median(ys)];
    });
    // cluster numbers as annotations (above the points, WebGL ones included), in Python's look
    const number = python.layout.annotations.find((a) => a.name === "cluster number");
    const numbers = middle.map(([x, y], i) => book.merged(number, { x, y, text: String(i + 1) }));
    const marks = python.layout.meta.marks; // how Python would mark a clicked text and its nearest
    const looks = [];
    if (found && found.selected !== null) {
      const ring = found.hits.map((h) => h[0]);
      looks.push(book.merged(marks.nearest, { type, x: ring.map((i) => coords[2 * i]), y: ring.map((i) => coords[2 * i + 1]) }),
                 book.merged(marks.picked, { type, x: [coords[2 * found.selected]], y: [coords[2 * found.selected + 1]] }));
    }
    if (webgl) looks.push(standby());
    const title = `${count(c.items.length)} texts, ${v.method.toUpperCase()} map, ${plural(c.clusters.k, "cluster")} found in 384-D`;
    await redraw(mapDiv, traces, { title: { text: title }, annotations: numbers }, looks);
    describe(mapDiv, `${title}. Each point is one text, coloured by its cluster; click a point to list its nearest texts.`);
    await nextTask(); // one figure per task: the page answers the reader in between

    const { histogram, total } = c.scan;
    const { low, width } = settings.bins;
    const centres = Array.from(histogram, (_, b) => low + width * (b + 0.5));
    const pairs = (c.items.length * (c.items.length - 1)) / 2;
    // Python's histogram (workbench.plot_pair_scores) redrawn: its bars, its two lines and their labels, found by name
    const scores = (await book.pythonFigure(scoresDiv)).layout;
    const at = { "noise floor": [floor, `noise floor ${floor.toFixed(2)}`], threshold: [v.threshold, v.threshold.toFixed(2)] };
    const shapes = scores.shapes.map((s) => (s.name in at ? book.merged(s, { x0: at[s.name][0], x1: at[s.name][0] }) : s));
    const annotations = scores.annotations.map((a) => (a.name in at ? book.merged(a, { x: at[a.name][0], text: at[a.name][1] }) : a));
    const scoresTitle = `All ${count(pairs)} pairs by cosine: ${count(total)} at or above ${v.threshold.toFixed(2)}`;
    await redraw(scoresDiv, { pairs: { x: centres, y: Array.from(histogram), marker: { color: centres.map((x) => (x >= v.threshold ? COLORS[3] : COLORS[0])) } } },
                 { title: { text: scoresTitle }, shapes, annotations });
    describe(scoresDiv, `${scoresTitle}. A bar chart of how many pairs of texts have each similarity; red bars are the pairs at or above the threshold.`);
    await nextTask();

    fillPairs(panel, c, v);
    const title2 = panel.querySelector(".wb-found-title");
    const list = panel.querySelector(".wb-list");
    list.replaceChildren();
    if (found) {
      title2.textContent = found.title;
      found.hits.forEach(([i, s]) => {
        const li = document.createElement("li");
        li.textContent = `${s.toFixed(3)} · ${shorten(c.items[i], settings.hoverLabel)}`;
        list.append(li);
      });
    }
    panel.querySelectorAll("[data-export]").forEach((b) => (b.disabled = false));
  }

  function fillPairs(panel, c, v) {
    const table = panel.querySelector(".wb-pairs");
    const { a, b, s, total } = c.scan;
    const shown = settings.shownPairs;
    const rows = Array.from(s.slice(0, shown), (score, p) => {
      const tr = document.createElement("tr");
      [score.toFixed(3), shorten(c.items[a[p]], settings.pairLabel), shorten(c.items[b[p]], settings.pairLabel)].forEach((text) => {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      });
      return tr;
    });
    table.querySelector("tbody").replaceChildren(...rows);
    table.querySelector("caption").textContent = `${plural(total, "near-duplicate pair")} at or above ${v.threshold.toFixed(2)}` +
      (total > shown ? `, the ${shown} most similar shown` : "");
  }

  window.bookWorkbench = { askHelper, stateOf, progressOf, shorten, neighboursFor };
  window.bookLiveKinds.workbench = {
    bytes: (m, panel) => (m.bytes.model || 0) + (m.bytes.workbench || 0) +
      ((m.bytes.panels && m.bytes.panels[panel.dataset.panelData]) || 0),
    prepare: (panel) => Promise.all([warmWebGL(panel), askHelper({ type: "ready" })]),
    check,
    run,
  };
})();
