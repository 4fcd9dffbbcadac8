/* Live panels: the reader's own words, embedded by all-MiniLM-L6-v2 running in the browser.
 *
 * Nothing heavy loads with the page. When the reader presses a panel's button (which states the
 * download size) or types into a panel, a Web Worker starts (book-model-worker.js): it imports
 * transformers.js from _static/live/ and loads the quantized ONNX model, its tokenizer and onnxruntime's
 * WebAssembly from the same folder, never from another site, off the page's main thread. Large files are
 * stored gzipped and unpacked in the browser (DecompressionStream).
 *
 * Contract, for tests and curious readers in the console:
 *   window.embeddingsBook.embed(texts) -> Promise<Float32Array[]>   unit-length rows; the first call loads
 *   window.embeddingsBook.embedMany(texts, {onProgress, signal}) -> Promise<{vectors, flat, width, cut}>
 *   window.embeddingsBook.tokenize(text) -> Promise<{tokens, ids}>   only the tokenizer loads
 * and every panel is an element [data-live="explorer" | "playground" | "search" | "images" | "tokens" | "atlas" | "workbench"]
 * holding its inputs, a .live-status line and its .plotly-graph-div figures. Enter applies.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const scriptBase = script ? script.src : document.baseURI; // .../_static/book-live.js
  const live = new URL("live/", scriptBase); // .../_static/live/
  const manifest = () => window.bookLiveManifest || { files: {}, bytes: {}, model: "all-MiniLM-L6-v2" };

  class ReaderError extends Error {} // a sentence for the reader, shown in the panel's status line

  const megabytes = (bytes) => `${Math.max(1, Math.round(bytes / 1e6))} MB`;
  const theme = () => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");

  /* ---- the model, in a Web Worker (book-model-worker.js): the page never waits behind it ---- */

  let received = 0; // bytes the worker and the panel data fetched, for the progress line
  const watchers = new Set();
  const report = () => watchers.forEach((fn) => fn(received));
  let workerBytes = 0;
  let dataBytes = 0;

  /* fetch() for the panels' own data: files stored as .gz are fetched gzipped and unpacked */
  async function liveFetch(input) {
    const href = new URL(input, location.href).href;
    const name = href.startsWith(live.href) ? href.slice(live.href.length) : null;
    const entry = name && manifest().files[name];
    const response = await fetch(entry && entry.gz ? href + ".gz" : href);
    if (!response.ok || !response.body) return response;
    let body = response.body.pipeThrough(new TransformStream({
      transform(chunk, controller) { dataBytes += chunk.byteLength; received = workerBytes + dataBytes; report(); controller.enqueue(chunk); },
    }));
    if (entry && entry.gz) body = body.pipeThrough(new DecompressionStream("gzip"));
    return new Response(body, { status: 200, headers: response.headers });
  }

  function unsupported() {
    if (location.protocol === "file:") {
      return "Browsers do not run the model from files on disk: run `make serve` and open http://127.0.0.1:8000 to use this panel. The figure below stays as it is.";
    }
    if (typeof WebAssembly !== "object" || typeof DecompressionStream !== "function" || typeof Worker !== "function") {
      return "This browser lacks WebAssembly, DecompressionStream or Web Workers, which the model needs. The figure below stays as it is.";
    }
    return null;
  }

  const FAILED = "The model could not load (the download failed or was blocked). The figure below stays as it is; reload to try again.";
  let worker = null;
  let nextId = 0;
  const pending = new Map(); // id -> {resolve, reject, onProgress}
  let readyIn = null;
  let readyParts = null; // where the time to ready went, in ms: {library, session, warmUp} (make bench)
  let warmed = null;
  let warmedResolve = null;

  function failAll(message) {
    if (worker) worker.terminate();
    worker = null;
    model = tokenizer = null;
    pending.forEach(({ reject }) => reject(new ReaderError(message)));
    pending.clear();
  }

  function startWorker() {
    if (worker) return worker;
    const problem = unsupported();
    if (problem) throw new ReaderError(problem);
    worker = new Worker(new URL("book-model-worker.js", scriptBase), { type: "module" });
    worker.onerror = (event) => { event.preventDefault(); failAll(FAILED); };
    worker.onmessageerror = () => failAll(FAILED);
    worker.onmessage = ({ data }) => {
      if (data.type === "bytes") { workerBytes = data.received; received = workerBytes + dataBytes; return report(); }
      if (data.type === "ready") { readyIn = data.seconds; readyParts = data.parts || null; return; }
      if (data.type === "warmed") { if (warmedResolve) warmedResolve(data.runs); return; }
      const job = pending.get(data.id);
      if (!job) return;
      if (data.progress) return job.onProgress && job.onProgress(...data.progress);
      pending.delete(data.id);
      if (data.error === undefined) return job.resolve(data.result);
      if (data.cancelled) return job.reject(new DOMException("Cancelled", "AbortError"));
      job.reject(data.reader ? new ReaderError(data.error) : new Error(data.error));
    };
    warmed = new Promise((resolve) => (warmedResolve = resolve));
    worker.postMessage({ type: "init", live: live.href, manifest: manifest() });
    return worker;
  }

  /* One request to the worker: a promise for its answer; onProgress(done, total); signal cancels. */
  function ask(message, { onProgress, signal } = {}) {
    return new Promise((resolve, reject) => {
      const w = startWorker(); // throws a ReaderError where the model cannot run
      const id = ++nextId;
      pending.set(id, { resolve, reject, onProgress });
      if (signal) {
        if (signal.aborted) { pending.delete(id); return reject(new DOMException("Cancelled", "AbortError")); }
        signal.addEventListener("abort", () => w.postMessage({ type: "cancel", id }), { once: true });
      }
      w.postMessage(Object.assign({ id }, message));
    });
  }

  let model = null;
  let tokenizer = null;
  function loadModel() {
    if (!model) {
      model = ask({ type: "load", what: "model" }).catch((err) => {
        model = null;
        throw err instanceof ReaderError ? err : new ReaderError(FAILED);
      });
    }
    return model;
  }
  function loadTokenizer() {
    if (model) return model;
    if (!tokenizer) {
      tokenizer = ask({ type: "load", what: "tokenizer" }).catch((err) => {
        tokenizer = null;
        throw err instanceof ReaderError ? err : new ReaderError(FAILED);
      });
    }
    return tokenizer;
  }

  function checkTexts(texts) {
    texts = typeof texts === "string" ? [texts] : Array.from(texts || []);
    if (!texts.length) throw new ReaderError("Give at least one text to embed.");
    texts.forEach((t, i) => {
      if (typeof t !== "string" || !t.trim()) throw new ReaderError(`Text ${i + 1} is empty; every item must contain some text.`);
    });
    return texts;
  }

  function rows(vectors, width, n) {
    return Array.from({ length: n }, (_, i) => vectors.subarray(i * width, (i + 1) * width));
  }

  /* Unit vectors for texts, in order (the first call loads the model). */
  async function embed(texts) {
    texts = checkTexts(texts);
    await loadModel();
    const { vectors, width } = await ask({ type: "embed", texts });
    return rows(vectors, width, texts.length);
  }

  /* A collection: progress as (done, total), cancel with an AbortSignal; also which texts were cut at 256 tokens. */
  async function embedMany(texts, { onProgress, signal, keep = false } = {}) {
    texts = checkTexts(texts);
    await loadModel();
    const message = { type: "embed", texts, progress: true, count: true, keep };
    const { vectors, width, cut } = await ask(message, { onProgress, signal });
    return { vectors: rows(vectors, width, texts.length), flat: vectors, width, cut };
  }

  /* The model's word pieces of a text, and their ids (only the tokenizer loads). */
  async function tokenize(text) {
    await loadTokenizer();
    return ask({ type: "tokenize", text: String(text) });
  }

  const panelData = new Map();
  function loadPanelData(name) {
    if (!panelData.has(name)) {
      const base = new URL(`panels/${name}`, live).href;
      const job = Promise.all([liveFetch(base + ".json"), liveFetch(base + ".bin")]).then(async ([j, b]) => {
        if (!j.ok || !b.ok) throw new ReaderError("The data for this panel did not download; reload the page to try again.");
        const { meta, arrays } = await j.json();
        const buffer = await b.arrayBuffer();
        const out = { meta };
        for (const [key, a] of Object.entries(arrays)) {
          const count = a.shape.reduce((x, y) => x * y, 1);
          const View = { int8: Int8Array, uint16: Uint16Array, float16: Uint16Array }[a.dtype] || Uint8Array;
          const view = new View(buffer, a.offset, count);
          out[key] = a.dtype === "float16" ? halfToFloat(view) : view;
          out[key + "Shape"] = a.shape;
        }
        return out;
      });
      job.catch(() => panelData.delete(name));
      panelData.set(name, job);
    }
    return panelData.get(name);
  }

  /* The address of a file a panel's data lists (an audio clip): only names from that list, never the reader's. */
  function panelFile(name, file, listed) {
    if (!listed.includes(file)) throw new Error(`${file} is not one of the panel's files`);
    return new URL(`panels/${encodeURIComponent(name)}/${encodeURIComponent(file)}`, live).href;
  }

  function halfToFloat(halves) {
    const out = new Float32Array(halves.length);
    for (let i = 0; i < halves.length; i++) {
      const h = halves[i];
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      out[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024) : exp === 31 ? NaN : sign * 2 ** (exp - 15) * (1 + frac / 1024);
    }
    return out;
  }

  /* Plotly reads a few HTML tags in its strings (<b>, <br>, <a href>): text from the reader or the data is
     escaped before it goes into a title, a label or a hover text, and plotly shows it as typed. */
  const plain = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  window.embeddingsBook = {
    embed,
    embedMany,
    tokenize,
    askModel: ask, // the model worker's other requests (the workbench's collection: book-model-worker.js)
    get readySeconds() { return readyIn; },
    get readyParts() { return readyParts; },
    get warmedUp() { return warmed; },
    get bytesReceived() { return received; },
    get manifest() { return manifest(); },
    loadPanelData, // a panel's published data (data-panel-data): {meta, <array>, <array>Shape}
    plain,
    ReaderError,
  };
  window.bookLiveKinds = {}; // filled by book-live-panels.js

  /* ---- the panel frame shared by every kind: button, status line, Enter, errors ---- */

  function onePlainLine(text) {
    return String(text).replace(/\s+/g, " ").trim();
  }

  function setup(panel) {
    const kind = window.bookLiveKinds[panel.dataset.live];
    if (!kind) return;
    const status = panel.querySelector(".live-status");
    const button = panel.querySelector(".live-load");
    let loading = false; // a download runs: its progress shows unless the panel has said something since
    let saidWhileLoading = false;
    const say = (text, error = false) => {
      status.textContent = onePlainLine(text);
      status.classList.toggle("live-error", error);
      if (loading) saidWhileLoading = true;
    };
    const bytes = kind.bytes(manifest(), panel);
    button.textContent = kind.tokenizerOnly
      ? `Load the tokenizer in your browser · ${megabytes(bytes)}, once`
      : `Run the model in your browser · ${megabytes(bytes)}, once`;
    button.hidden = false;
    const problem = unsupported();
    if (problem) say(problem);

    const prepare = () => Promise.all([kind.tokenizerOnly ? loadTokenizer() : loadModel(),
                                       panel.dataset.panelData ? loadPanelData(panel.dataset.panelData) : null,
                                       kind.prepare ? kind.prepare(panel) : null]);

    async function start() {
      if (unsupported()) return say(unsupported());
      button.disabled = true;
      const before = received;
      const progress = (now) => now - before >= 0.97 * bytes // the files are in: the engine compiles and starts the model
        ? "Downloaded; preparing the model…"
        : `Downloading… ${megabytes(now - before)} of about ${megabytes(bytes)}`;
      // The download's line never hides what the panel said meanwhile (a bad file, a word to fix).
      const watch = (now) => { if (!saidWhileLoading) { status.textContent = progress(now); status.classList.remove("live-error"); } };
      const first = !loading;
      if (first) { loading = true; saidWhileLoading = false; watch(received); }
      watchers.add(watch);
      try {
        await prepare();
        button.hidden = true;
        // A download started by typing ends on a line that says what to do, not on a stale progress line.
        if (first && !saidWhileLoading) say("The model is ready: press Enter to run it on what you typed.");
        return true;
      } catch (err) {
        button.disabled = false;
        if (first) loading = false;
        say(err instanceof ReaderError ? err.message : FAILED, true);
        return false;
      } finally {
        watchers.delete(watch);
        if (first) loading = false;
      }
    }

    /* Read the inputs, check them, load what is missing, run: the outcome {ok, message}. Requests made
       while one runs are merged into one more run afterwards. */
    async function update() {
      try {
        const inputs = Object.fromEntries(new FormData(panel.querySelector("form")).entries());
        panel.querySelectorAll("[aria-pressed=true]").forEach((b) => (inputs[b.name] = b.value));
        const checked = kind.check(inputs, panel); // throws ReaderError before anything loads
        if (!(await start())) return { ok: false, message: status.textContent };
        say("Working…");
        const t0 = performance.now();
        const note = await kind.run(checked, panel, { loadPanelData, embed, embedMany, tokenize, askModel: ask, say, panelFile });
        const ms = Math.round(performance.now() - t0);
        const ready = readyIn && !kind.tokenizerOnly ? ` (model ready in ${readyIn.toFixed(1)} s)` : "";
        say(`Updated in ${ms} ms${ready}.` + (note ? ` ${note}` : ""));
        return { ok: true, message: status.textContent };
      } catch (err) {
        if (err && err.name === "AbortError") {
          dropQueued = true; // what was asked while it ran is cancelled too
          say("Cancelled: the figures still show the last finished run. Press the button again to start over.");
        } else {
          say(err instanceof ReaderError ? err.message : `Something went wrong: ${onePlainLine(err && err.message || err)}`, true);
        }
        return { ok: false, message: status.textContent };
      }
    }

    let running = null;
    let again = null;
    let dropQueued = false;
    function apply() {
      if (running) {
        if (!again) {
          again = running.then((outcome) => {
            again = null;
            if (dropQueued) return outcome;
            return apply();
          });
        }
        return again;
      }
      dropQueued = false;
      running = update().finally(() => (running = null));
      return running;
    }
    /* An applied change the reader made (not a view restored from a link or from history) is announced,
       so book-live-state.js can add it to the page's history. */
    const applyAndTell = ({ quiet = false } = {}) =>
      apply().then((outcome) => {
        if (outcome && outcome.ok && !quiet) panel.dispatchEvent(new CustomEvent("book:applied"));
        return outcome;
      });
    const isReady = () => button.hidden; // the model is in: the load button is gone
    panel.bookApply = applyAndTell;
    panel.bookSay = say;
    panel.bookReady = isReady;

    /* Set the panel's inputs from {name: value} (a "try this" button; later a shared link), as text only. */
    function fill(values) {
      for (const [name, value] of Object.entries(values || {})) {
        const text = String(value);
        const toggles = panel.querySelectorAll(`.live-toggle button[name="${CSS.escape(name)}"]`);
        if (toggles.length) {
          toggles.forEach((b) => b.setAttribute("aria-pressed", String(b.value === text)));
          continue;
        }
        const field = panel.querySelector(`form [name="${CSS.escape(name)}"]`);
        if (!field) continue;
        field.value = text;
        const out = panel.querySelector(`output[name="${CSS.escape(name)}-value"]`);
        if (out) out.textContent = field.value;
      }
    }
    panel.bookFill = fill;

    panel.querySelectorAll("[data-try]").forEach((b) =>
      b.addEventListener("click", () => {
        let values = null;
        try { values = JSON.parse(b.dataset.try); } catch (err) { values = null; }
        if (!values || typeof values !== "object") return say("This suggestion could not be read.", true);
        fill(values);
        applyAndTell();
      }),
    );

    button.addEventListener("click", async () => { if (await start()) applyAndTell(); });
    if (kind.setup) kind.setup(panel, { apply: applyAndTell, start, say, isReady, loadPanelData, embed, askModel: ask });
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target.matches("input")) { e.preventDefault(); applyAndTell(); }
    });
    let typed = false;
    panel.addEventListener("input", (e) => {
      if (e.target.type === "range") { // while a slider moves, the figure follows; the history waits
        const out = panel.querySelector(`output[name="${e.target.name}-value"]`);
        if (out) out.textContent = e.target.value;
        if (!button.hidden) return;
        return applyAndTell({ quiet: true });
      }
      if (!typed && !unsupported()) { typed = true; start(); } // typing starts the download
    });
    panel.addEventListener("change", (e) => { // a slider let go: one history entry for the whole drag
      if (e.target.type === "range" && button.hidden) applyAndTell();
    });
    panel.querySelectorAll(".live-toggle button").forEach((b) =>
      b.addEventListener("click", () => {
        b.parentElement.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
        applyAndTell();
      }),
    );
  }

  /* Draw into a panel's figure with the book's look (and its light or dark template). */
  async function draw(div, data, layout) {
    if (window.bookFigures && window.bookFigures.drawNow) await window.bookFigures.drawNow(div);
    const template = window.bookTemplates && window.bookTemplates[theme()];
    layout = Object.assign({}, layout, { updatemenus: [], sliders: [] }, template ? { template } : {});
    return Plotly.react(div, { data, layout, frames: [], config: { displaylogo: false, responsive: true } });
  }
  window.embeddingsBook.draw = draw;

  function init() {
    document.querySelectorAll("[data-live]").forEach(setup);
    if (window.bookLiveState) window.bookLiveState.init(); // views carried by the page's URL (book-live-state.js)
  }
  window.bookLiveInit = init;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(init));
  else setTimeout(init);
})();
