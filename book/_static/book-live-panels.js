/* The five kinds of live panel: what each checks, computes and draws (see book-live.js for the frame).
 * Each kind: bytes(manifest, panel) for its button, check(inputs) -> values or a ReaderError (before
 * anything downloads), run(values, panel, api) -> an optional note for the status line. The maths is
 * book-maths.js's (imported when a panel first runs), the limits and colours the Python's (book-constants.js).
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  if (!book) return;
  const { ReaderError, redraw, escapeHtml, checkText, constants } = book;
  const COLORS = constants.palette;
  const MAX_ENTRY = 200; // characters of one word or phrase in the explorer and the playground
  const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;
  const RTL_NOTE = "Right-to-left text works, though this model learned mostly from English: expect rough answers.";

  const modelBytes = (m) => m.bytes.model || 0;
  const dataBytes = (m, panel) => (panel.dataset.panelData && m.bytes.panels && m.bytes.panels[panel.dataset.panelData]) || 0;
  const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

  function notes(texts) {
    const out = [];
    if (texts.some((t) => RTL.test(t))) out.push(RTL_NOTE);
    if (texts.some((t) => t.split(/\s+/).length > 180)) out.push("Long text: the model reads only its first 256 word pieces.");
    return out.join(" ") || null;
  }

  const maths = () => book.importModule("book-maths.js");

  /* The k rows of `matrix` (row-major, as wide as `query`) nearest to query by cosine, as [row, cosine]. */
  function nearestRows(math, query, matrix, rows, k, skip) {
    const queryNorm = math.norm(query);
    return math.topK(rows, k, (r) => math.cosine(query, matrix, r * query.length, queryNorm), skip);
  }

  /* The explorer's map: the exact PCA of a few vectors (book-maths.js), to 3 decimals, as [[x, y(, z)], ...]. */
  async function pcaOf(math, vectors, dims) {
    const n = vectors.length;
    const d = vectors[0].length;
    const X = new Float64Array(n * d);
    vectors.forEach((v, i) => X.set(v, i * d));
    const scores = await math.pca(X, n, d, { dims, multiply: math.crossProducts, eigen: math.symmetricEigen });
    return Array.from({ length: n }, (_, i) => Array.from({ length: dims }, (_, axis) => round(scores[i * dims + axis])));
  }

  /* Each panel redraws Python's figure (book.redraw): it finds Python's traces by their role (their `meta`),
     changes their data and its title, and keeps the rest of Python's look. */

  const kinds = {
    explorer: {
      bytes: modelBytes,
      check(inputs) {
        const words = [...new Set(String(inputs.words || "").split(/[,\n]/).map((w) => w.trim()).filter(Boolean))];
        if (words.length < 2) throw new ReaderError("Type at least 2 words or phrases, separated by commas.");
        const most = constants.explorer.maxWords;
        if (words.length > most) throw new ReaderError(`That is ${words.length} entries; this explorer draws up to ${most} at a time.`);
        words.forEach((w, i) => {
          if (w.length > MAX_ENTRY) throw new ReaderError(`Entry ${i + 1} is ${w.length.toLocaleString("en")} characters long; keep each word or phrase under ${MAX_ENTRY} (separate them with commas).`);
          checkText(w, "a word");
        });
        return { words, dims: Number(inputs.dims) === 3 ? 3 : 2 };
      },
      async run({ words, dims }, panel, api) {
        const [vectors, math] = await Promise.all([api.embed(words), maths()]);
        const xyz = await pcaOf(math, vectors, dims);
        const [map, heat] = panel.querySelectorAll(".plotly-graph-div");
        const title = { text: `${words.length} texts, PCA to ${dims}-D (computed in your browser)` };
        const labels = words.map(escapeHtml);
        const axis = (a) => xyz.map((p) => p[a]);
        if (dims === 3) { // Python drew the 2-D map; its 3-D look comes with it (panels.explorer_3d)
          const python = (await book.pythonFigure(map)).layout;
          const { trace, layout } = python.meta["3-D"];
          await book.draw(map, [book.merged(trace, { x: axis(0), y: axis(1), z: axis(2), text: labels })],
                          book.merged(layout, { title, height: python.height }));
        } else {
          await redraw(map, { points: { x: axis(0), y: axis(1), text: labels } }, { title });
        }
        const z = vectors.map((u) => vectors.map((v) => round(math.dot(u, v), 2)));
        const { least, perRow, extra, most } = constants.explorer.heatmapHeight; // helpers.heatmap_height
        await redraw(heat, { cosines: { z, text: z, x: labels, y: labels, zmin: Math.min(0, ...z.flat()) } },
                     { height: Math.min(Math.max(least, perRow * words.length + extra), most) });
        return notes(words);
      },
    },

    playground: {
      bytes: (m, panel) => modelBytes(m) + dataBytes(m, panel),
      check(inputs) {
        const a = checkText(inputs.base, "a word in a");
        const b = checkText(inputs.add, "a word in b");
        const c = String(inputs.subtract || "").trim() ? checkText(inputs.subtract, "a word in c") : "";
        [a, b, c].forEach((t) => { if (t.length > MAX_ENTRY) throw new ReaderError(`Keep a, b and c under ${MAX_ENTRY} characters each.`); });
        const w = Number(inputs.weight);
        if (!Number.isFinite(w)) throw new ReaderError("The weight must be a number.");
        return { a, b, c, w };
      },
      async run({ a, b, c, w }, panel, api) {
        const [data, math] = await Promise.all([api.loadPanelData(panel.dataset.panelData), maths()]);
        const words = data.meta.words;
        const [va, vb, vc] = await api.embed(c ? [a, b, c] : [a, b]);
        const query = va.map((x, i) => x + w * vb[i] - (vc ? vc[i] : 0));
        const inputs = new Set([a, b, c].filter(Boolean));
        const hits = nearestRows(math, query, data.vectors, words.length, data.meta.k || 8, (r) => inputs.has(words[r]));
        const label = escapeHtml(`${a} + ${w}·${b}` + (c ? ` − ${c}` : ""));
        const [div] = panel.querySelectorAll(".plotly-graph-div");
        await redraw(div, { nearest: { x: hits.map((h) => round(h[1])), y: hits.map((h) => words[h[0]]), text: hits.map((h) => h[1].toFixed(2)) } },
                     { title: { text: `nearest words to ${label}` } });
        return notes([a, b, c]);
      },
    },

    search: {
      bytes: (m, panel) => modelBytes(m) + dataBytes(m, panel),
      check: (inputs) => ({ query: checkText(inputs.query, "a question or a few keywords") }),
      async run({ query }, panel, api) {
        const [data, math] = await Promise.all([api.loadPanelData(panel.dataset.panelData), maths()]);
        const { ids, passages, keywords } = data.meta;
        const [q] = await api.embed([query]);
        const byMeaning = nearestRows(math, q, data.vectors, ids.length, 3);
        const byKeywords = keywordSearch(math, query, keywords, 3);
        const [div] = panel.querySelectorAll(".plotly-graph-div");
        const bars = (hits) => ({ // the reader's query has no passage to find: every bar muted (Python marks its target's)
          x: hits.map((h) => round(h[1])), y: hits.map((h) => `${ids[h[0]]}  `), marker: { color: constants.muted },
          text: hits.map((h) => passages[h[0]].slice(0, 60) + "…"), hovertext: hits.map((h) => passages[h[0]]),
        });
        await redraw(div, { "by meaning": bars(byMeaning), "by keywords": bars(byKeywords) },
                     { title: { text: escapeHtml(query.length > 80 ? query.slice(0, 79) + "…" : query) } });
        const none = byKeywords.length ? null : "No passage shares a keyword with it.";
        return [none, notes([query])].filter(Boolean).join(" ") || null;
      },
    },

    images: {
      bytes: (m, panel) => modelBytes(m) + dataBytes(m, panel),
      check: (inputs) => ({ sentence: checkText(inputs.sentence, "a sentence that describes a digit") }),
      async run({ sentence }, panel, api) {
        const [data, math] = await Promise.all([api.loadPanelData(panel.dataset.panelData), maths()]);
        const [q] = await api.embed([sentence]);
        const count = data.vectorsShape[0];
        const best = nearestRows(math, q, data.vectors, count, 8);
        const row = [];
        for (let y = 0; y < 8; y++) {
          const line = [];
          best.forEach(([i], k) => {
            if (k) line.push(null);
            for (let x = 0; x < 8; x++) line.push(data.pixels[i * 64 + y * 8 + x]);
          });
          row.push(line);
        }
        const [div] = panel.querySelectorAll(".plotly-graph-div");
        const quoted = sentence.length > 60 ? sentence.slice(0, 59) + "…" : sentence;
        await redraw(div, { images: { z: row } }, { title: { text: `The 8 held-out images closest to “${escapeHtml(quoted)}”` },
                                                    yaxis: { tickvals: [], ticktext: [] } }); // the title names the sentence
        const digits = best.map(([i]) => data.meta.labels[i]);
        const heard = data.meta.sounds ? showClips(math, panel, data, q, quoted, api) : "";
        return [`The images show ${digits.join(", ")}.${heard}`, notes([sentence])].filter(Boolean).join(" ");
      },
    },

    tokens: {
      tokenizerOnly: true,
      bytes: (m) => m.bytes.tokenizer || 0,
      check(inputs) {
        const text = String(inputs.text || "").trim();
        if (!text) throw new ReaderError("Type a word or a sentence.");
        const most = constants.tokens.maxChars;
        if (text.length > constants.maxTextChars) throw new ReaderError(`That is ${text.length.toLocaleString("en")} characters; the panel shows the pieces of up to ${most}.`);
        return { text: text.slice(0, most) };
      },
      async run({ text }, panel, api) {
        const { tokens, ids } = await api.tokenize(text);
        const { markers, colours } = constants.tokens; // inside._piece_kind
        const kind = (t) => colours[markers.includes(t) ? "marker" : t === "[UNK]" ? "unknown" : t.startsWith("##") ? "continuation" : "word"];
        const [div] = panel.querySelectorAll(".plotly-graph-div");
        const perRow = Math.max(4, Math.min(12, Math.floor(((div.clientWidth || 600) - 40) / 60)));
        const rows = Math.ceil(tokens.length / perRow);
        const xs = tokens.map((_, i) => i % perRow);
        const ys = tokens.map((_, i) => -2.2 * Math.floor(i / perRow));
        const height = 170 + 90 * rows;
        div.parentElement.style.height = height + "px";
        await redraw(div, {
          // rows of 60 px cells, wider boxes than Python's one-row strip: a piece such as ##ious fits its box
          pieces: { x: xs, y: ys, text: tokens.map(escapeHtml), marker: { size: 52, color: tokens.map((t) => COLORS[kind(t)]) },
                    textfont: { size: 12 }, customdata: ids },
          ids: { x: xs, y: ys.map((y) => y - 0.9), text: ids.map(String) },
        }, { title: { text: `Your text → ${tokens.length} tokens` }, height,
             xaxis: { range: [-0.7, perRow - 0.3] }, yaxis: { range: [-2.2 * (rows - 1) - 1.4, 0.7] } });
        const unknown = tokens.filter((t) => t === "[UNK]").length;
        return unknown ? `${unknown} piece${unknown > 1 ? "s are" : " is"} [UNK]: characters the vocabulary does not have, which the model cannot see.` : null;
      },
    },
  };

  /* The spoken clips closest to the reader's sentence, as <audio> elements built with DOM calls: text by
     textContent, each src one of the clips the chapter shipped. Returns a sentence for the status line. */
  function showClips(math, panel, data, query, quoted, api) {
    const { folder, clips } = data.meta.sounds;
    const best = nearestRows(math, query, data.sound_vectors, clips.length, 5);
    const figure = panel.querySelector(".book-clips");
    if (!figure) return "";
    const caption = figure.querySelector("figcaption");
    if (caption) caption.textContent = `The ${best.length} spoken clips closest to “${quoted}”`;
    const list = document.createElement("ol");
    const files = clips.map((c) => c.file);
    for (const [i, score] of best) {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.className = "book-clip-label";
      label.textContent = `${clips[i].alt} · cosine ${score.toFixed(2)}`;
      const audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = api.panelFile(folder, clips[i].file, files);
      audio.setAttribute("aria-label", clips[i].alt);
      item.append(label, " ", audio);
      list.append(item);
    }
    figure.querySelector("ol").replaceWith(list);
    return ` The closest clips say ${best.map(([i]) => clips[i].word).join(", ")}.`;
  }

  /* Keyword ranking as the chapter's TfidfVectorizer does it: lowercase words, English stop words out,
     1 + log(count), times idf, length 1, dot product with each passage's row. */
  function keywordSearch(math, query, keywords, k) {
    const stop = new Set(keywords.stop_words);
    const counts = new Map();
    for (const m of query.toLowerCase().matchAll(/[\p{L}\p{N}_](?:[\p{L}\p{N}_-]*[\p{L}\p{N}_])?/gu)) {
      const term = keywords.terms[m[0]];
      if (term === undefined || stop.has(m[0])) continue;
      counts.set(term, (counts.get(term) || 0) + 1);
    }
    const weights = new Map([...counts].map(([t, c]) => [t, (1 + Math.log(c)) * keywords.idf[t]]));
    const norm = Math.sqrt([...weights.values()].reduce((s, w) => s + w * w, 0)) || 1;
    const scores = keywords.passage_terms.map((row) => {
      let s = 0;
      for (const [t, w] of weights) s += (row[t] || 0) * w;
      return s / norm;
    });
    return math.topK(scores.length, k, (r) => scores[r], (r) => !(scores[r] > 0));
  }

  Object.assign(window.bookLiveKinds, kinds);
})();
