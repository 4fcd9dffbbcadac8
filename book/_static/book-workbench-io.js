/* The workbench's ways in and out (book-workbench.js computes and draws): a file, the demo collection, Cancel,
 * a click on the map, the exports, and window.embeddingsBook.workbench for tests and the console.
 *
 * A file is read by the workbench's worker, never uploaded; an export is made in the page and saved with
 * the browser's own download (a blob: link, no request). The texts are never written to localStorage,
 * sessionStorage, IndexedDB, cookies or the URL.
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  const wb = window.bookWorkbench;
  const kind = window.bookLiveKinds && window.bookLiveKinds.workbench;
  if (!book || !wb || !kind) return;
  const { ReaderError } = book;
  // Larger collections are used but not copied into the text box: laying out a thousand lines there kept
  // the page's main thread busy for most of a second.
  const SHOWN = { lines: 200, chars: 20000 };

  /* Texts from a file, the demo or load(): kept as they are, and shown in the box, one per line. */
  function useItems(panel, items, notes) {
    const st = wb.stateOf(panel);
    const box = panel.querySelector('textarea[name="texts"]');
    const shown = items.length <= SHOWN.lines ? items.map((t) => String(t).replace(/\s+/g, " ").trim()).join("\n") : "";
    const fits = items.length <= SHOWN.lines && shown.length <= SHOWN.chars;
    box.value = fits ? shown : "";
    box.placeholder = fits ? "" : `${items.length.toLocaleString("en")} texts are in use, too many to show here; type or paste to replace them.`;
    st.override = items;
    st.overrideText = box.value;
    st.notes = notes;
  }

  function setColumns(panel, columns, chosen) {
    const select = panel.querySelector('select[name="column"]');
    const options = [["", columns.length ? "(choose)" : "(not a table)"], ...columns.map((c) => [c, c])];
    select.replaceChildren(...options.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label; // a column name from the reader's file: text only
      return option;
    }));
    select.value = chosen || "";
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  kind.setup = function setup(panel, frame) {
    const st = wb.stateOf(panel);
    const fileInput = panel.querySelector('input[type="file"]');
    const column = panel.querySelector('select[name="column"]');
    const fail = (err) => frame.say(err instanceof ReaderError ? err.message : "That could not be read; try another file.", true);

    async function opened(reply) {
      setColumns(panel, reply.columns, reply.column);
      const from = reply.column ? ` (${reply.column.length > 40 ? "the chosen column" : `column “${reply.column}”`})` : "";
      useItems(panel, reply.items, [`Read from ${wb.shorten(reply.name, 60)}${from}.`, ...reply.notes]);
      return frame.apply();
    }

    fileInput.addEventListener("change", async () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      frame.say(`Reading ${wb.shorten(file.name, 60)}…`);
      try {
        await opened(await wb.askHelper({ type: "read", file, column: column.value }));
      } catch (err) {
        fail(err);
      }
    });
    column.addEventListener("change", async () => {
      if (!column.value) return;
      try {
        await opened(await wb.askHelper({ type: "column", column: column.value }));
      } catch (err) {
        fail(err);
      }
    });
    panel.querySelector('textarea[name="texts"]').addEventListener("input", () => {
      st.override = null; // typing takes over from the file
    });
    panel.querySelector('select[name="clusters"]').addEventListener("change", () => frame.isReady() && frame.apply());
    panel.querySelector(".wb-run").addEventListener("click", () => frame.apply());
    panel.querySelector(".wb-cancel").addEventListener("click", () => st.controller && st.controller.abort());
    panel.querySelector(".wb-demo").addEventListener("click", async () => {
      try {
        const data = await frame.loadPanelData(panel.dataset.panelData);
        setColumns(panel, [], "");
        useItems(panel, data.meta.demo, ["The demo: this book's own paragraphs."]);
        await frame.apply();
      } catch (err) {
        fail(err);
      }
    });
    panel.querySelectorAll("[data-export]").forEach((button) =>
      button.addEventListener("click", async () => {
        const c = st.collection;
        if (!c) return frame.say("Embed your texts first; the exports hold what your browser computed.", true);
        const method = panel.querySelector('.live-toggle button[aria-pressed="true"]');
        const coords = c.maps[method && c.maps[method.value] ? method.value : Object.keys(c.maps)[0]];
        const names = c.clusters.central.map((best) => c.items[best[0]]);
        try {
          const { blob, name } = await wb.askHelper({ type: "export", what: button.dataset.export, texts: c.items, flat: c.flat,
                                                      width: c.width, coords, labels: c.clusters.labels, names, pairs: c.scan });
          download(blob, name);
          frame.say(`Saved ${name} (${Math.max(1, Math.round(blob.size / 1e3)).toLocaleString("en")} kB), made in this page.`);
        } catch (err) {
          fail(err);
        }
      }),
    );
    const map = panel.querySelector(".plotly-graph-div");
    let bound = false;
    const bind = () => { // a click on a point lists its true neighbours (plotly's events exist once it has drawn)
      if (bound || typeof map.on !== "function") return;
      bound = true;
      map.on("plotly_click", (event) => {
        const point = event && event.points && event.points[0];
        if (!point || point.customdata === undefined || !st.collection) return;
        panel.bookFill({ item: String(point.customdata), query: "" });
        frame.apply();
      });
    };
    new MutationObserver(bind).observe(map, { childList: true });
    bind();
  };

  /* ---- for tests and the console ---- */

  const panelOf = () => {
    const panel = document.querySelector('[data-live="workbench"]');
    if (!panel || !panel.bookApply) throw new ReaderError("This page has no workbench.");
    return panel;
  };

  book.workbench = {
    async load(texts) {
      const panel = panelOf();
      const items = Array.from(texts || [], (t) => (typeof t === "string" ? t : ""));
      const blank = items.findIndex((t) => !t.trim());
      if (!items.length || blank >= 0) {
        const message = items.length ? `Text ${blank + 1} is empty; every text must hold something.` : "Give at least 3 texts.";
        panel.querySelector(".live-status").textContent = message;
        throw new ReaderError(message);
      }
      useItems(panel, items, []);
      const outcome = await panel.bookApply();
      if (!outcome.ok) throw new ReaderError(outcome.message);
      const c = wb.stateOf(panel).collection;
      return { n: c.items.length, truncated: c.cut.length, clusters: c.clusters.k };
    },
    vectors() {
      const c = wb.stateOf(panelOf()).collection;
      return c ? c.vectors : [];
    },
    async duplicates(threshold) {
      const c = wb.stateOf(panelOf()).collection;
      if (!c) throw new ReaderError("Load some texts first.");
      const out = await book.askModel({ type: "scan", threshold: Number(threshold), neighbours: wb.neighboursFor(c.items.length) });
      return Array.from(out.s, (score, p) => ({ a: out.a[p], b: out.b[p], score }));
    },
  };
})();
