/* The model behind every live panel, off the page's main thread (a module Web Worker).
 *
 * book-live-model.js starts this worker the first time a reader asks for the model (or the tokenizer), and
 * sends it the manifest. The worker imports transformers.js from _static/live/, loads all-MiniLM-L6-v2
 * and onnxruntime's WebAssembly from the same folder (never from another site), unpacks the gzipped
 * files with DecompressionStream, and counts the bytes for the page's progress line.
 *
 * Messages in:  {type: "init", live, manifest}
 *               {id, type: "load", what: "model" | "tokenizer"}
 *               {id, type: "embed", texts, progress, count}  -> {vectors: Float32Array (n x width), width,
 *                                                               cut: indices of texts over 256 tokens}
 *               {id, type: "tokenize", text}                 -> {tokens, ids}
 *               {id, type: "memo"}                           -> {size, limit, ran}: texts remembered (bounded), texts run
 *               {type: "cancel", id}                          (an embed stops before its next batch)
 *   and, on the collection the last embed with `keep` left (the workbench; book-collection.js):
 *               {id, type: "scan", threshold, neighbours}    -> {a, b, s, total, histogram, neighbours}
 *               {id, type: "kmeans", k}                      -> {labels, central, sizes, k, distinct}
 *               {id, type: "pca"}                            -> {coords}
 * Messages out: {id, result} | {id, error, reader, cancelled} | {id, progress: [done, total]}
 *               {type: "bytes", received} | {type: "ready", seconds, parts} | {type: "warmed", runs}
 */

/* ==== Loading configuration: everything that decides how the model loads, in one place. ============
   (Which onnxruntime build, session options, threads, how the WebAssembly is compiled: change it here.) */
const LOADING = {
  env: { allowRemoteModels: false, allowLocalModels: true, useFS: false },
  logLevel: 40, // errors only: no console chatter
  wasm: { numThreads: 1, proxy: false }, // one thread: a static site cannot be cross-origin isolated
  runtime: (manifest) => manifest.runtime, // {mjs, wasm}: file names in _static/live/
  pipeline: { dtype: "q8", device: "wasm" },
  pooling: { pooling: "mean", normalize: true },
  batch: 16, // texts per run of the model, sorted by length so that a batch pads little
  warmUp: { runs: 24, beforeReady: 1.0, text: "a short sentence to warm up" }, // seconds of it before "ready"
};
/* ==================================================================================================== */

/* What the model reads (256 word pieces; longer texts are cut, as sentence-transformers does): the model's
   max_seq_length, which browser_model.py writes into the tokenizer's config. */
const maxTokens = (tokenizer) => tokenizer.model_max_length;
let live = null; // URL of _static/live/
let manifest = null; // the page's (live/manifest.js): the model's name, the files and their sizes

class ReaderError extends Error {}

/* ---- fetching, with the bytes counted and gzipped files unpacked ---- */

let received = 0;
let lastReport = 0;
function count(bytes) {
  received += bytes;
  const now = performance.now();
  if (now - lastReport > 50) { lastReport = now; postMessage({ type: "bytes", received }); }
}

/* A script loaded by import(), not through liveFetch: counted once it is in, so that the bytes received reach
   the total the page announced (the manifest's sizes, which count it). */
const imported = new Set();
function countImported(name) {
  const entry = manifest.files[name];
  if (!entry || imported.has(name)) return;
  imported.add(name);
  count(entry.sent);
  postMessage({ type: "bytes", received });
}

async function liveFetch(input, init) {
  const href = new URL(typeof input === "string" ? input : input.url || String(input), live).href;
  const name = href.startsWith(live.href) ? href.slice(live.href.length) : null;
  const entry = name && manifest.files[name];
  const response = await fetch(entry && entry.gz ? href + ".gz" : href, entry && entry.gz ? {} : init);
  if (!response.ok || !response.body) return response;
  let body = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) { count(chunk.byteLength); controller.enqueue(chunk); },
    flush() { postMessage({ type: "bytes", received }); },
  }));
  const headers = new Headers(response.headers);
  if (entry && entry.gz) {
    body = body.pipeThrough(new DecompressionStream("gzip"));
    headers.set("content-length", String(entry.size));
    headers.set("content-type", entry.type || "application/octet-stream");
  }
  return new Response(body, { status: 200, headers });
}

/* ---- transformers.js, the model, the tokenizer ---- */

let library = null;
function transformers() {
  if (!library) {
    library = (async () => {
      const tf = await import(new URL("transformers.min.js", live).href);
      countImported("transformers.min.js");
      const { env } = tf;
      Object.assign(env, LOADING.env, { fetch: liveFetch });
      env.localModelPath = new URL("models/", live).pathname;
      env.logLevel = LOADING.logLevel;
      const runtime = LOADING.runtime(manifest);
      Object.assign(env.backends.onnx.wasm, LOADING.wasm, {
        wasmPaths: { mjs: new URL(runtime.mjs, live).href, wasm: new URL(runtime.wasm, live).href },
      });
      return tf;
    })();
    library.catch(() => (library = null));
  }
  return library;
}

let model = null;
function loadModel() {
  if (!model) {
    const started = performance.now();
    model = (async () => {
      const tf = await transformers();
      const loaded = performance.now();
      const extractor = await tf.pipeline("feature-extraction", manifest.model, LOADING.pipeline);
      countImported(LOADING.runtime(manifest).mjs); // onnxruntime imports its glue code itself
      const created = performance.now();
      const done = await warmUpNow(extractor);
      const now = performance.now();
      const parts = { library: loaded - started, session: created - loaded, warmUp: now - created }; // ms, for make bench
      postMessage({ type: "ready", seconds: (now - started) / 1000, parts });
      warmUp(extractor, done);
      return extractor;
    })();
    model.catch(() => (model = null));
  }
  return model;
}

let tokenizerOnly = null;
function loadTokenizer() {
  if (model) return model.then((extractor) => extractor.tokenizer);
  if (!tokenizerOnly) {
    tokenizerOnly = transformers().then((tf) => tf.AutoTokenizer.from_pretrained(manifest.model));
    tokenizerOnly.catch(() => (tokenizerOnly = null));
  }
  return tokenizerOnly;
}

/* ---- one queue: the reader's requests first; warm-up runs only when nothing waits ---- */

const queue = [];
let running = false;
const cancelled = new Set();

async function pump() {
  if (running) return;
  running = true;
  while (queue.length) {
    const job = queue.shift();
    try {
      await job();
    } catch {
      // each job answers its own errors; nothing may escape as an unhandled error
    }
  }
  running = false;
}
function enqueue(job) { queue.push(job); pump(); }

/* V8 first runs WebAssembly with its baseline compiler and optimizes the hot functions after a few dozen
   calls: a text took about 90 ms right after loading and 35 ms once warm (make bench). Up to a second of
   short runs happens before the model is announced ready, so that the reader's first words are quick;
   the rest run while the queue is empty, and a request waits for at most one of them. */
async function warmUpNow(extractor) {
  const until = performance.now() + LOADING.warmUp.beforeReady * 1000;
  let done = 0;
  while (done < LOADING.warmUp.runs && performance.now() < until) {
    await extractor([LOADING.warmUp.text], LOADING.pooling);
    done++;
  }
  return done;
}

function warmUp(extractor, done) {
  const step = () => {
    if (done >= LOADING.warmUp.runs) return postMessage({ type: "warmed", runs: done });
    if (queue.length || running) return setTimeout(step, 20);
    done++;
    enqueue(() => extractor([LOADING.warmUp.text], LOADING.pooling).then(() => setTimeout(step, 0)));
  };
  setTimeout(step, 0);
}

/* text -> Float32Array, the texts used most recently (an LRU: a Map keeps insertion order, and a text used
   again moves to the end). Bounded, so an hour in the workbench does not grow the tab: about 3 MB. The
   workbench's collection (up to 5,000 texts) is looked up too, so loading it again embeds nothing. */
const MEMO_LIMIT = 2000;
const memo = new Map();
let ran = 0; // texts the model has run on, since the worker started
function remember(text, vector) {
  memo.delete(text);
  memo.set(text, vector);
  while (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value);
}

async function embed(id, texts, progress, wantCount, keep) {
  const extractor = await loadModel();
  const found = new Map(); // this request's vectors, whatever the memo keeps afterwards
  const rows = collection ? collection.rows : new Map();
  for (const t of texts) {
    if (memo.has(t)) found.set(t, memo.get(t));
    else if (rows.has(t)) found.set(t, collection.X.slice(rows.get(t) * collection.d, (rows.get(t) + 1) * collection.d));
  }
  const todo = [...new Set(texts.filter((t) => !found.has(t)))].sort((a, b) => a.length - b.length);
  const total = todo.length;
  let done = 0;
  const chars = todo.reduce((sum, t) => sum + t.length, 0);
  let charsDone = 0;
  if (progress) postMessage({ id, progress: [0, total, 0, chars] });
  for (let start = 0; start < todo.length; start += LOADING.batch) {
    if (progress) { // a collection: let a "cancel" message in between batches
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (cancelled.delete(id)) throw Object.assign(new Error("cancelled"), { cancelled: true });
    }
    const batch = todo.slice(start, start + LOADING.batch);
    const output = await extractor(batch, LOADING.pooling);
    ran += batch.length;
    const width = output.dims[1];
    batch.forEach((t, j) => {
      const vector = output.data.slice(j * width, (j + 1) * width);
      found.set(t, vector);
      remember(t, vector); // kept even if the request is cancelled before its end
    });
    done += batch.length;
    charsDone += batch.reduce((sum, t) => sum + t.length, 0);
    if (progress) postMessage({ id, progress: [done, total, charsDone, chars] });
  }
  cancelled.delete(id);
  texts.forEach((t) => remember(t, found.get(t))); // the texts of this request are now the most recent
  const width = texts.length ? found.get(texts[0]).length : 0;
  const vectors = new Float32Array(texts.length * width);
  texts.forEach((t, i) => vectors.set(found.get(t), i * width));
  if (keep) {
    collection = { X: vectors.slice(), n: texts.length, d: width, scans: null, clusters: new Map(), pca: null,
                   rows: new Map(texts.map((t, i) => [t, i])) };
  }
  const cut = [];
  if (wantCount) {
    const seen = new Map();
    texts.forEach((t, i) => {
      if (!seen.has(t)) seen.set(t, extractor.tokenizer.encode(t).length > maxTokens(extractor.tokenizer));
      if (seen.get(t)) cut.push(i);
    });
  }
  return { result: { vectors, width, cut }, transfer: [vectors.buffer] };
}

/* ---- the workbench's collection ---- */

let collection = null;
let maths = null;
/* transformers.js (its matrix product), book-collection.js, ml-matrix, and the settings the Python shares
   (book-constants.js, written at build time: the histogram's bins, k-means' starts). */
function collectionMaths() {
  if (!maths) {
    const script = (name) => import(new URL(name, live).href);
    maths = Promise.all([transformers(), script("../book-collection.js"), script("matrix.umd.js"), script("../book-constants.js")])
      .then(([tf, module]) => ({ tf, module, ml: globalThis.mlMatrix, workbench: globalThis.bookConstants.workbench }));
    maths.catch(() => (maths = null));
  }
  return maths;
}

function held() {
  if (!collection) throw new ReaderError("Embed a collection first.");
  return collection;
}

async function scanPairs(id, threshold, neighbours) {
  const c = held();
  const { tf, module, workbench } = await collectionMaths();
  const cached = c.scans;
  const last = cached && cached.pairs.s.length ? cached.pairs.s[cached.pairs.s.length - 1] : Infinity;
  const usable = cached && threshold >= cached.threshold && cached.neighbours.k >= neighbours &&
    (cached.total <= module.PAIR_CAP || threshold === cached.threshold || threshold > last);
  if (!usable) {
    const stop = () => cancelled.has(id);
    const progress = (done, total) => postMessage({ id, progress: [done, total] });
    const found = await module.scan(tf, c.X, c.n, c.d, { threshold, k: neighbours, bins: workbench.bins, stop, progress });
    if (!found) { cancelled.delete(id); throw Object.assign(new Error("cancelled"), { cancelled: true }); }
    c.scans = Object.assign(found, { threshold });
  }
  const { pairs, histogram } = c.scans;
  let keep = 0;
  while (keep < pairs.s.length && pairs.s[keep] >= threshold) keep++;
  const total = c.scans.threshold === threshold ? c.scans.total : keep;
  const result = { a: Int32Array.from(pairs.a.slice(0, keep)), b: Int32Array.from(pairs.b.slice(0, keep)),
                   s: Float32Array.from(pairs.s.slice(0, keep)), total, histogram: histogram.slice(),
                   neighbours: { index: c.scans.neighbours.index.slice(), score: c.scans.neighbours.score.slice(), k: c.scans.neighbours.k } };
  return { result, transfer: [result.a.buffer, result.b.buffer, result.s.buffer] };
}

async function clusters(id, k) {
  const c = held();
  if (!c.clusters.has(k)) {
    const { tf, module, workbench } = await collectionMaths();
    const found = await module.kmeans(tf, c.X, c.n, c.d, k, { starts: workbench.kmeansStarts, stop: () => cancelled.has(id) });
    if (!found) { cancelled.delete(id); throw Object.assign(new Error("cancelled"), { cancelled: true }); }
    c.clusters.set(k, found);
  }
  const found = c.clusters.get(k);
  return { result: { labels: found.labels.slice(), central: found.central, sizes: found.sizes, k: found.k, distinct: found.distinct } };
}

async function principal() {
  const c = held();
  if (!c.pca) {
    const { tf, module, ml } = await collectionMaths();
    c.pca = await module.pca(tf, c.X, c.n, c.d, ml);
  }
  return { result: { coords: c.pca.slice() } };
}

async function tokenize(text) {
  const tokenizer = await loadTokenizer();
  return {
    result: {
      tokens: tokenizer.tokenize(text, { add_special_tokens: true }).slice(0, maxTokens(tokenizer)),
      ids: Array.from(tokenizer.encode(text).slice(0, maxTokens(tokenizer)), Number),
    },
  };
}

function answer(id, work) {
  enqueue(async () => {
    try {
      const { result, transfer = [] } = await work();
      postMessage({ id, result }, transfer);
    } catch (err) {
      postMessage({ id, error: String((err && err.message) || err), reader: err instanceof ReaderError, cancelled: !!(err && err.cancelled) });
    }
  });
}

onmessage = ({ data }) => {
  const { id, type } = data || {};
  if (type === "init") {
    live = new URL(data.live);
    manifest = data.manifest;
  } else if (type === "cancel") {
    cancelled.add(data.id);
  } else if (type === "load") {
    answer(id, async () => { await (data.what === "tokenizer" ? loadTokenizer() : loadModel()); return { result: true }; });
  } else if (type === "embed") {
    answer(id, () => embed(id, data.texts, data.progress, data.count, data.keep));
  } else if (type === "scan") {
    answer(id, () => scanPairs(id, data.threshold, data.neighbours));
  } else if (type === "kmeans") {
    answer(id, () => clusters(id, data.k));
  } else if (type === "pca") {
    answer(id, principal);
  } else if (type === "tokenize") {
    answer(id, () => tokenize(data.text));
  } else if (type === "memo") {
    answer(id, async () => ({ result: { size: memo.size, limit: MEMO_LIMIT, ran } }));
  }
};
