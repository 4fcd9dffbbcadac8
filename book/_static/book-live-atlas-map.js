/* The atlas panel on screen (its data and search: book-live-atlas.js). Once the map is drawn, this adds:
 * - labels at a readable density for the zoom level (region names; the most frequent words in view);
 * - the distortion lens: click a point to draw lines to its 10 true neighbours in 384-D: green where the map
 *   kept them among its 10 nearest, orange where it did not (colours and sizes from the Python's lens traces);
 * - the frame's "atlas" kind: search, its lists of the nearest items and paragraphs, the query marked on
 *   the map and flown to; a shared link may name the clicked point.
 * Text from the reader or the data reaches the page as text only, and plotly labels are escaped.
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  const atlas = window.bookAtlasData;
  if (!book || !atlas || !window.bookLiveKinds) return;
  const { ReaderError, escapeHtml } = book;
  const { K, short, panel, mapOf, traceOf, traceIndex, itemsOf, indexOf, lensOf, placedLens, rank, checkQuery } = atlas;
  const LENS = ["labels", "kept", "lost", "lens"]; // the traces a lens redraws, by role
  const PARAGRAPH_SNIPPET = 200; // characters of a paragraph of the book listed beside the map

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
    const title = `${escapeHtml(base)}<br><sup>“${escapeHtml(short(label, 40))}”${placed}: ${kept.size} of its ${K} true neighbours are among its ${K} nearest on the map</sup>`;
    div.__atlasLabels = labels.key;
    div.__atlasView = ranges;
    return Plotly.update(div, {
      x: [labels.x, kx, lx, px], y: [labels.y, ky, ly, py],
      text: [labels.text, [], [], [escapeHtml(short(label, 40)), ...truth.map((j) => escapeHtml(short(it.texts[j], 30)))]],
      "textfont.size": [labels.size, 14, 14, 14],
      "marker.size": [6, 6, 6, [18, ...truth.map(() => 9)]],
      "marker.symbol": ["circle", "circle", "circle", ["star", ...truth.map(() => "circle-open")]],
    }, { "xaxis.range": ranges.x, "yaxis.range": ranges.y, "title.text": title },
    LENS.map((role) => traceIndex(div, role))); // fly there: a jump, as WebGL points do not animate
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

  /* The lists beside the map: `nearest` as [index, cosine, kept on the map], `paragraphs` as [index, cosine]. */
  function showLists(p, it, nearest, paragraphs) {
    const box = p.querySelector(".atlas-results");
    const row = ([i, s, kept]) => {
      const r = { text: it.texts[i], score: s, kept };
      if (i >= it.nw) Object.assign(r, { href: it.info[i - it.nw].href, where: `${it.info[i - it.nw].chapter} › ${it.info[i - it.nw].section}:` });
      return r;
    };
    listInto(box.querySelector(".atlas-nearest"), nearest.map(row), 70);
    listInto(box.querySelector(".atlas-book"), paragraphs.map(([i, s]) => row([i, s])), PARAGRAPH_SNIPPET);
    box.querySelector(".atlas-book").parentElement.hidden = !paragraphs.length;
    box.hidden = false;
  }

  const truthRows = (view) => view.truth.map((j, r) => [j, view.scores[r], view.kept.has(j)]);

  let selected = ""; // the text of the point whose lens is shown (a shared link carries it), "" after a search

  /* A point clicked: its lens, with no model. */
  async function clicked(p, div, i) {
    selected = atlas.items.texts[i];
    const say = p.bookSay; // the frame's status line (book-live.js)
    try {
      const view = await lensOf(i);
      const { it } = view;
      const rows = truthRows(view);
      const own = i >= it.nw ? [[i, 1]] : [];
      showLists(p, it, rows, [...own, ...rows.filter(([j]) => j >= it.nw).map(([j, s]) => [j, s])]);
      await drawLens(div, view, it.texts[i]);
      say(`“${short(it.texts[i], 40)}”: ${view.kept.size} of its ${K} true neighbours are also among its ${K} nearest on the map (green lines; orange: pushed away).`);
    } catch (err) {
      say(err instanceof ReaderError ? err.message : "The lens's data could not load; reload the page to try again.", true);
    }
  }

  /* ---- labels at a readable density: region names, then the most frequent words in view ---- */

  let regions = null; // the region names and where they go, from the figure as drawn in Python

  function labelsFor(div, ranges) {
    const items = atlas.items;
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
        if (inView(items.xs[i], items.ys[i])) add(items.xs[i], items.ys[i], escapeHtml(items.texts[i]), 11);
      }
    }
    out.key = out.text.join("|");
    return out;
  }

  /* After the reader zooms or pans: labels at a readable density for the new view. */
  function relabel(div) {
    const full = div._fullLayout;
    if (!full || !atlas.items || !regions) return;
    const view = { x: full.xaxis.range, y: full.yaxis.range };
    const last = div.__atlasView;
    const span = view.x[1] - view.x[0];
    if (last && [0, 1].every((k) => Math.abs(view.x[k] - last.x[k]) < 0.005 * span && Math.abs(view.y[k] - last.y[k]) < 0.005 * span)) return;
    div.__atlasView = view; // the view the labels were chosen for: a lens's own jump needs no second redraw
    const labels = labelsFor(div, view);
    if (labels.key === div.__atlasLabels) return;
    div.__atlasLabels = labels.key;
    Plotly.restyle(div, { x: [labels.x], y: [labels.y], text: [labels.text], "textfont.size": [labels.size] }, [traceIndex(div, "labels")]);
  }

  /* On a narrow screen the map keeps its own shape: as tall as its width allows, no taller. */
  function fitHeight(div, home) {
    const full = div._fullLayout;
    const [x0, x1] = home.x;
    const [y0, y1] = home.y;
    const height = Math.round(full._size.w * (y1 - y0) / (x1 - x0)) + full.margin.t + full.margin.b;
    if (div.clientWidth < window.bookFigures.NARROW && Math.abs(height - full.height) > 8) {
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
    const t = traceOf(div, "labels");
    regions = { x: Array.from(t.x), y: Array.from(t.y), text: Array.from(t.text), span: home.x[1] - home.x[0] };
    div.__atlasLabels = regions.text.join("|");
    let pending = null;
    div.on("plotly_relayout", () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(() => relabel(div)); });
    div.on("plotly_click", (e) => {
      const point = e && e.points && e.points[0];
      const words = traceIndex(div, "words");
      const paragraphs = traceIndex(div, "paragraphs");
      if (!point || (point.curveNumber !== words && point.curveNumber !== paragraphs)) return;
      clicked(p, div, point.pointNumber + (point.curveNumber === paragraphs ? atlas.items.nw : 0))
        .then(() => p.dispatchEvent(new CustomEvent("book:applied"))); // a view to link to and go Back from
    });
  }

  function webgl() {
    try {
      const c = document.createElement("canvas");
      return !!(window.WebGLRenderingContext && (c.getContext("webgl") || c.getContext("experimental-webgl")));
    } catch {
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
      const { it, top, paragraphs, math } = await rank(vector, K, 3);
      const at = indexOf(it, query);
      // a word of the collection: its own place and its shipped neighbours; any other text: placed
      const view = at !== null ? await lensOf(at) : placedLens(math, it, top);
      showLists(p, it, truthRows(view), paragraphs);
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
