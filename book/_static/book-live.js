/* Live panels' frame: what every kind of panel shares (its button, status line, Enter, errors, "try this"
 * buttons, sliders and toggles), and draw() for their figures. The model and the shared helpers are
 * book-live-model.js's (window.embeddingsBook); each kind is in book-live-panels.js, book-live-atlas-map.js
 * or book-workbench.js.
 *
 * Every panel is an element [data-live="explorer" | "playground" | "search" | "images" | "tokens" | "atlas" |
 * "workbench"] holding its inputs, a .live-status line and its .plotly-graph-div figures. Enter applies.
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  if (!book) return;
  const { ReaderError, FAILED } = book;
  window.bookLiveKinds = {}; // each kind of panel, by name: filled by the scripts that follow

  const megabytes = (bytes) => `${Math.max(1, Math.round(bytes / 1e6))} MB`;
  const theme = () => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");

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
    const bytes = kind.bytes(book.manifest, panel);
    button.textContent = kind.tokenizerOnly
      ? `Load the tokenizer in your browser · ${megabytes(bytes)}, once`
      : `Run the model in your browser · ${megabytes(bytes)}, once`;
    button.hidden = false;
    const problem = book.unsupported();
    if (problem) say(problem);

    const prepare = () => Promise.all([kind.tokenizerOnly ? book.loadTokenizer() : book.loadModel(),
                                       panel.dataset.panelData ? book.loadPanelData(panel.dataset.panelData) : null,
                                       kind.prepare ? kind.prepare(panel) : null]);

    async function start() {
      if (book.unsupported()) return say(book.unsupported());
      button.disabled = true;
      const before = book.bytesReceived;
      const progress = (now) => now - before >= 0.97 * bytes // the files are in: the engine compiles and starts the model
        ? "Downloaded; preparing the model…"
        : `Downloading… ${megabytes(now - before)} of about ${megabytes(bytes)}`;
      // The download's line never hides what the panel said meanwhile (a bad file, a word to fix).
      const watch = (now) => { if (!saidWhileLoading) { status.textContent = progress(now); status.classList.remove("live-error"); } };
      const first = !loading;
      if (first) { loading = true; saidWhileLoading = false; watch(book.bytesReceived); }
      const unwatch = book.watchBytes(watch);
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
        unwatch();
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
        const { loadPanelData, embed, embedMany, tokenize, askModel, panelFile } = book;
        const note = await kind.run(checked, panel, { loadPanelData, embed, embedMany, tokenize, askModel, say, panelFile });
        const ms = Math.round(performance.now() - t0);
        const readyIn = book.readySeconds;
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
        let values;
        try { values = JSON.parse(b.dataset.try); } catch { values = null; }
        if (!values || typeof values !== "object") return say("This suggestion could not be read.", true);
        fill(values);
        applyAndTell();
      }),
    );

    button.addEventListener("click", async () => { if (await start()) applyAndTell(); });
    if (kind.setup) kind.setup(panel, { apply: applyAndTell, start, say, isReady, loadPanelData: book.loadPanelData, embed: book.embed, askModel: book.askModel });
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
      if (!typed && !book.unsupported()) { typed = true; start(); } // typing starts the download
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
  book.draw = draw;

  const copy = (value) => JSON.parse(JSON.stringify(value));
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);
  /* `changes` on top of `base` (a copy): objects merge key by key (a new marker colour keeps the marker's size), the rest replaces. */
  function merged(base, changes) {
    const out = copy(base);
    for (const [key, value] of Object.entries(changes)) {
      out[key] = isObject(value) && isObject(out[key]) ? merged(out[key], value) : value;
    }
    return out;
  }

  /* A panel's figure redrawn with Python's look: each trace is the one Python drew with that role (its
     `meta`), kept as it was first drawn, with the panel's `changes` on top (new data, a new title); the layout
     is Python's with `layout` on top. The panel changes what it computed, never how the figure looks.
     `changes` is {role: change}, or [[role, change], ...] when one role gives several traces (clusters);
     `more` are whole traces drawn after them (the workbench's marks from layout.meta). */
  async function redraw(div, changes, layout = {}, more = []) {
    const python = await pythonFigure(div);
    const data = (Array.isArray(changes) ? changes : Object.entries(changes)).map(([role, change]) => {
      const trace = python.data.find((t) => t.meta === role);
      if (!trace) throw new Error(`the figure has no trace "${role}"`);
      return merged(trace, change);
    });
    return draw(div, data.concat(more), merged(python.layout, layout));
  }
  /* The figure as Python drew it ({data, layout}, the theme's template left out), kept before the first redraw. */
  async function pythonFigure(div) {
    if (window.bookFigures && window.bookFigures.drawNow) await window.bookFigures.drawNow(div);
    if (!div.__python) {
      const own = copy(div.layout || {});
      delete own.template; // the theme's, set again by draw()
      div.__python = { data: copy(div.data || []), layout: own };
    }
    return div.__python;
  }
  book.redraw = redraw;
  book.pythonFigure = pythonFigure;
  book.merged = merged;

  function init() {
    document.querySelectorAll("[data-live]").forEach(setup);
    if (window.bookLiveState) window.bookLiveState.init(); // views carried by the page's URL (book-live-state.js)
  }
  window.bookLiveInit = init;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(init));
  else setTimeout(init);
})();
