/* Live panels: the reader's own words, embedded by all-MiniLM-L6-v2 running in the browser.
 *
 * Nothing heavy loads with the page. When the reader presses a panel's button (which states the
 * download size) or types into a panel, transformers.js is imported from _static/live/ and loads the
 * quantized ONNX model, its tokenizer and onnxruntime's WebAssembly from the same folder: never from
 * another site. Large files are stored gzipped and unpacked in the browser (DecompressionStream).
 *
 * Contract, for tests and curious readers in the console:
 *   window.embeddingsBook.embed(texts) -> Promise<Float32Array[]>   unit-length rows; the first call loads
 * and every panel is an element [data-live="explorer" | "playground" | "search" | "images" | "tokens" | "atlas"]
 * holding its inputs, a .live-status line and its .plotly-graph-div figures. Enter applies.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const live = new URL("live/", script ? script.src : document.baseURI); // .../_static/live/
  const manifest = () => window.bookLiveManifest || { files: {}, bytes: {}, model: "all-MiniLM-L6-v2" };

  class ReaderError extends Error {} // a sentence for the reader, shown in the panel's status line

  const megabytes = (bytes) => `${Math.max(1, Math.round(bytes / 1e6))} MB`;
  const theme = () => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");

  /* ---- loading, with the bytes counted for the progress line ---- */

  let received = 0;
  const watchers = new Set();
  const report = () => watchers.forEach((fn) => fn(received));

  function counted(body) {
    return body.pipeThrough(
      new TransformStream({
        transform(chunk, controller) {
          received += chunk.byteLength;
          report();
          controller.enqueue(chunk);
        },
      }),
    );
  }

  /* fetch() for transformers.js and the panels: files stored as .gz are fetched gzipped and unpacked */
  async function liveFetch(input, init) {
    const href = new URL(typeof input === "string" ? input : input.url || String(input), location.href).href;
    const name = href.startsWith(live.href) ? href.slice(live.href.length) : null;
    const entry = name && manifest().files[name];
    const response = await fetch(entry && entry.gz ? href + ".gz" : href, entry && entry.gz ? {} : init);
    if (!response.ok || !response.body) return response;
    let body = counted(response.body);
    const headers = new Headers(response.headers);
    if (entry && entry.gz) {
      body = body.pipeThrough(new DecompressionStream("gzip"));
      headers.set("content-length", String(entry.size));
      headers.set("content-type", entry.type || "application/octet-stream");
    }
    return new Response(body, { status: 200, headers });
  }

  function unsupported() {
    if (location.protocol === "file:") {
      return "Browsers do not run the model from files on disk: run `make serve` and open http://127.0.0.1:8000 to use this panel. The figure below stays as it is.";
    }
    if (typeof WebAssembly !== "object" || typeof DecompressionStream !== "function") {
      return "This browser lacks WebAssembly or DecompressionStream, which the model needs. The figure below stays as it is.";
    }
    return null;
  }

  let library = null;
  function transformers() {
    if (!library) {
      library = (async () => {
        const problem = unsupported();
        if (problem) throw new ReaderError(problem);
        const tf = await import(live.href + "transformers.min.js");
        const { env } = tf;
        const m = manifest();
        Object.assign(env, { allowRemoteModels: false, allowLocalModels: true, useFS: false, fetch: liveFetch });
        env.localModelPath = new URL("models/", live).pathname;
        env.logLevel = 40; // errors only: no console chatter
        Object.assign(env.backends.onnx.wasm, {
          wasmPaths: { mjs: live.href + m.runtime.mjs, wasm: live.href + m.runtime.wasm },
          numThreads: 1,
          proxy: false,
        });
        return tf;
      })();
      library.catch(() => (library = null));
    }
    return library;
  }

  let model = null;
  let readyIn = null;
  function loadModel() {
    if (!model) {
      const started = performance.now();
      model = (async () => {
        const tf = await transformers();
        const extractor = await tf.pipeline("feature-extraction", manifest().model, { dtype: "q8", device: "wasm" });
        readyIn = (performance.now() - started) / 1000;
        warming = warmUp(extractor);
        return extractor;
      })();
      model.catch(() => (model = null));
    }
    return model;
  }

  /* V8 first runs WebAssembly with its baseline compiler and optimizes the hot functions after a few dozen
     calls: a text took about 40 ms at first and 22 ms afterwards (make bench). A few short runs in idle
     time, one at a time, so that a reader's request waits for at most one of them, bring that forward. */
  let warming = null;
  function warmUp(extractor, runs = 24) {
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 16));
    return new Promise((resolve) => {
      let done = 0;
      const step = () => {
        if (done++ >= runs) return resolve(runs);
        extractor(["a short sentence to warm up"], { pooling: "mean", normalize: true }).then(() => idle(step), resolve);
      };
      idle(step);
    });
  }

  let tokenizerPromise = null;
  function loadTokenizer() {
    if (model) return model.then((extractor) => extractor.tokenizer);
    if (!tokenizerPromise) {
      tokenizerPromise = transformers().then((tf) => tf.AutoTokenizer.from_pretrained(manifest().model));
      tokenizerPromise.catch(() => (tokenizerPromise = null));
    }
    return tokenizerPromise;
  }

  const memo = new Map();
  async function embed(texts) {
    texts = typeof texts === "string" ? [texts] : Array.from(texts || []);
    if (!texts.length) throw new ReaderError("Give at least one text to embed.");
    texts.forEach((t, i) => {
      if (typeof t !== "string" || !t.trim()) throw new ReaderError(`Text ${i + 1} is empty; every item must contain some text.`);
    });
    const extractor = await loadModel();
    const todo = [...new Set(texts.filter((t) => !memo.has(t)))].sort((a, b) => a.length - b.length);
    for (let start = 0; start < todo.length; start += 16) { // similar lengths together: little padding
      const batch = todo.slice(start, start + 16);
      const output = await extractor(batch, { pooling: "mean", normalize: true });
      const width = output.dims[1];
      batch.forEach((t, j) => memo.set(t, output.data.slice(j * width, (j + 1) * width)));
    }
    return texts.map((t) => memo.get(t));
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

  window.embeddingsBook = {
    embed,
    tokenizer: loadTokenizer,
    get readySeconds() { return readyIn; },
    get warmedUp() { return warming; },
    get bytesReceived() { return received; },
    get manifest() { return manifest(); },
    loadPanelData, // a panel's published data (data-panel-data): {meta, <array>, <array>Shape}
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
    const say = (text, error = false) => {
      status.textContent = onePlainLine(text);
      status.classList.toggle("live-error", error);
    };
    const bytes = kind.bytes(manifest(), panel);
    button.textContent = kind.tokenizerOnly
      ? `Load the tokenizer in your browser · ${megabytes(bytes)}, once`
      : `Run the model in your browser · ${megabytes(bytes)}, once`;
    button.hidden = false;
    const problem = unsupported();
    if (problem) say(problem);

    let busy = false;
    let queued = false;
    const prepare = () => Promise.all([kind.tokenizerOnly ? loadTokenizer() : loadModel(),
                                       panel.dataset.panelData ? loadPanelData(panel.dataset.panelData) : null]);

    async function start() {
      if (unsupported()) return say(unsupported());
      button.disabled = true;
      const before = received;
      const watch = (now) => say(`Downloading… ${megabytes(now - before)} of about ${megabytes(bytes)}`);
      watchers.add(watch);
      try {
        await prepare();
        button.hidden = true;
        return true;
      } catch (err) {
        button.disabled = false;
        say(err instanceof ReaderError ? err.message : "The model could not load (the download failed or was blocked). The figure below stays as it is; reload to try again.", true);
        return false;
      } finally {
        watchers.delete(watch);
      }
    }

    async function apply() {
      if (busy) { queued = true; return; }
      busy = true;
      try {
        const inputs = Object.fromEntries(new FormData(panel.querySelector("form")).entries());
        panel.querySelectorAll("[aria-pressed=true]").forEach((b) => (inputs[b.name] = b.value));
        const checked = kind.check(inputs); // throws ReaderError before anything loads
        if (!(await start())) return;
        say("Working…");
        const t0 = performance.now();
        const note = await kind.run(checked, panel, { loadPanelData, embed, loadTokenizer, panelFile });
        const ms = Math.round(performance.now() - t0);
        const ready = readyIn && !kind.tokenizerOnly ? ` (model ready in ${readyIn.toFixed(1)} s)` : "";
        say(`Updated in ${ms} ms${ready}.` + (note ? ` ${note}` : ""));
      } catch (err) {
        say(err instanceof ReaderError ? err.message : `Something went wrong: ${onePlainLine(err && err.message || err)}`, true);
      } finally {
        busy = false;
        if (queued) { queued = false; apply(); }
      }
    }

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
        apply();
      }),
    );

    button.addEventListener("click", async () => { if (await start()) apply(); });
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && e.target.matches("input")) { e.preventDefault(); apply(); }
    });
    let typed = false;
    panel.addEventListener("input", (e) => {
      if (e.target.type === "range") {
        const out = panel.querySelector(`output[name="${e.target.name}-value"]`);
        if (out) out.textContent = e.target.value;
        if (!button.hidden) return;
        return apply();
      }
      if (!typed && !unsupported()) { typed = true; start(); } // typing starts the download
    });
    panel.querySelectorAll(".live-toggle button").forEach((b) =>
      b.addEventListener("click", () => {
        b.parentElement.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
        apply();
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
  }
  window.bookLiveInit = init;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(init));
  else setTimeout(init);
})();
