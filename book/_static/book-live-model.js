/* Live panels' model: the reader's own words, embedded by all-MiniLM-L6-v2 running in the browser, and what
 * every panel script shares (window.embeddingsBook). book-live.js is the panels' frame; the kinds follow.
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
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const scriptBase = script ? script.src : document.baseURI; // .../_static/book-live-model.js
  const live = new URL("live/", scriptBase); // .../_static/live/
  const constants = window.bookConstants; // book-constants.js: what the Python shares
  const manifest = () => window.bookLiveManifest || { files: {}, bytes: {}, model: constants.model };

  class ReaderError extends Error {} // a sentence for the reader, shown in the panel's status line
  const cancelled = () => new DOMException("Cancelled", "AbortError");

  /* ---- requests to a Web Worker, each answered by id: the model's worker here, the workbench's helper ---- */

  /* start() gives the worker (starting it if need be; it may throw a ReaderError), cancel(id) stops one
     request. The worker answers {id, result} | {id, error, reader, cancelled} | {id, progress: [...]}:
     settle(data) passes each answer to its request. */
  function workerRequests({ start, cancel }) {
    const pending = new Map(); // id -> {resolve, reject, onProgress}
    let nextId = 0;
    function settle(data) {
      const job = pending.get(data.id);
      if (!job) return;
      if (data.progress) return job.onProgress && job.onProgress(...data.progress);
      pending.delete(data.id);
      if (data.error === undefined) job.resolve(data.result);
      else if (data.cancelled) job.reject(cancelled());
      else job.reject(data.reader ? new ReaderError(data.error) : new Error(data.error));
    }
    function rejectAll(err) {
      pending.forEach(({ reject }) => reject(err));
      pending.clear();
    }
    /* One request: a promise for its answer; onProgress(done, total, ...); an AbortSignal cancels it. */
    function ask(message, { onProgress, signal } = {}) {
      return new Promise((resolve, reject) => {
        if (signal && signal.aborted) return reject(cancelled());
        const worker = start();
        const id = ++nextId;
        pending.set(id, { resolve, reject, onProgress });
        if (signal) signal.addEventListener("abort", () => cancel(id), { once: true });
        worker.postMessage(Object.assign({ id }, message));
      });
    }
    return { ask, settle, rejectAll };
  }

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
  let readyIn = null;
  let readyParts = null; // where the time to ready went, in ms: {library, session, warmUp} (make bench)
  let warmed = null;
  let warmedResolve = null;
  const requests = workerRequests({ start: startWorker, cancel: (id) => worker && worker.postMessage({ type: "cancel", id }) });
  const ask = requests.ask;

  function failAll(message) {
    if (worker) worker.terminate();
    worker = null;
    model = tokenizer = null;
    requests.rejectAll(new ReaderError(message));
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
      requests.settle(data);
    };
    warmed = new Promise((resolve) => (warmedResolve = resolve));
    worker.postMessage({ type: "init", live: live.href, manifest: manifest() });
    return worker;
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

  /* ---- what the reader typed: the checks every panel makes before anything downloads ---- */

  const MEANINGFUL = /[\p{L}\p{N}]/u;
  /* A text cut to at most n characters, an ellipsis standing for the rest. */
  const clipText = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

  /* One text from a box: not empty, not over helpers.MAX_TEXT_CHARS, not only emoji or punctuation. `what`
     names what to type ("a word"); `purpose` what the model would do with it ("compare", "search for"). */
  function checkText(text, what, purpose = "compare") {
    const most = constants.maxTextChars;
    text = String(text == null ? "" : text).trim();
    if (!text) throw new ReaderError(`Type ${what}.`);
    if (text.length > most) {
      throw new ReaderError(`That is ${text.length.toLocaleString("en")} characters; keep it under ${most.toLocaleString("en")} (the model reads at most 256 word pieces anyway).`);
    }
    if (!MEANINGFUL.test(text)) {
      throw new ReaderError(`“${clipText(text, 20)}” has no letters or digits: the model reads emoji and symbols as [UNK], an unknown piece, so there is nothing to ${purpose}.`);
    }
    return text;
  }

  /* The texts given to embed(): a list (or one string) of texts that are not empty. */
  function checkTexts(texts) {
    texts = typeof texts === "string" ? [texts] : Array.from(texts || []);
    if (!texts.length) throw new ReaderError("Give at least one text to embed.");
    texts.forEach((t, i) => {
      if (typeof t !== "string" || !t.trim()) throw new ReaderError(`Text ${i + 1} is empty; every item must contain some text.`);
    });
    return texts;
  }

  /* ---- embedding, tokens, the panels' data ---- */

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
  const escapeHtml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  /* One of the site's ES modules (book-maths.js, book-formats.js), imported when a panel first needs it. */
  const importModule = (name) => import(new URL(name, scriptBase).href);

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
    // for the frame and the kinds
    loadModel,
    loadTokenizer,
    watchBytes: (fn) => { watchers.add(fn); return () => watchers.delete(fn); }, // fn(bytes received so far)
    unsupported, // why this browser cannot run the model, or null
    FAILED,
    panelFile,
    checkText,
    clipText,
    escapeHtml,
    importModule,
    workerRequests,
    constants,
    ReaderError,
  };
})();
