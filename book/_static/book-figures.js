/* The book's plotly figures in the static site.
 *
 * - Theme: each figure is drawn with the book's light or dark template (window.bookTemplates, written at
 *   build time from helpers.TEMPLATES) and switches when the theme sets data-theme on <html>.
 * - Narrow screens: legends move below the plot, side margins shrink, long titles wrap, heatmaps drop
 *   cell numbers that no longer fit and shorten long tick labels (the full text stays on hover).
 * - Labels: on 2-D maps a label that would overlap one already shown is hidden (bigger labels first);
 *   every word stays on hover.
 * - Lazy drawing: a figure far below the fold is drawn when the reader scrolls near it, so the first
 *   screen is ready sooner. window.bookFigures.drawAll() draws the rest at once (printing uses it).
 */
(function () {
  "use strict";
  if (!window.Plotly) return;

  const NARROW = 640; // px: below this width a figure gets its phone layout
  const MARGIN = 600; // px: figures this close to the viewport are drawn right away
  const templates = window.bookTemplates || {};
  const realNewPlot = Plotly.newPlot.bind(Plotly);
  const pending = new Map(); // div -> function that draws it
  const drawn = new Set();
  const saved = new WeakMap(); // div -> what the figure had before it was fitted to a narrow screen

  const theme = () => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");
  const withoutTags = (s) => String(s || "").replace(/<[^>]+>/g, ""); // the text a reader sees of a plotly string

  function titleText(gd) {
    const t = gd.layout && gd.layout.title;
    return typeof t === "string" ? t : (t && t.text) || "";
  }

  /* Break a plotly title into lines of at most `limit` characters; a <sup> line gets more room. */
  function wrap(text, limit) {
    return String(text)
      .split(/<br\s*\/?>/i)
      .map((line) => {
        const sup = line.match(/^<sup>(.*)<\/sup>$/i);
        const body = sup ? sup[1] : line;
        const max = sup ? Math.round(limit * 1.35) : limit;
        if (withoutTags(body).length <= max) return line;
        const out = [];
        let cur = "";
        for (const word of body.split(" ")) {
          if (cur && withoutTags(cur + " " + word).length > max) {
            out.push(cur);
            cur = word;
          } else {
            cur = cur ? cur + " " + word : word;
          }
        }
        if (cur) out.push(cur);
        return out.map((l) => (sup ? "<sup>" + l + "</sup>" : l)).join("<br>");
      })
      .join("<br>");
  }

  function shorten(label, max) {
    label = String(label);
    return label.length > max ? label.slice(0, max - 1).trimEnd() + "…" : label;
  }

  /* The relayout and restyle updates that fit a drawn figure to its current width. */
  function fitUpdates(gd) {
    const full = gd._fullLayout;
    if (!full) return null;
    const width = gd.clientWidth || full.width;
    const narrow = width < NARROW;
    // figures are authored for a wide screen; a live panel's Plotly.react brings a new figure (new gd.data)
    let keep = saved.get(gd);
    if (!keep || keep.data !== gd.data) keep = { narrow: false, data: gd.data };
    saved.set(gd, keep);
    const layout = {};
    const style = {};

    // titles: wrap to the width (frames bring new titles, so remember which text we wrapped)
    const current = titleText(gd);
    if (current) {
      if (current !== keep.wrappedTitle) keep.title = current;
      const size = (full.title && full.title.font && full.title.font.size) || 17;
      const limit = Math.max(18, Math.floor((width - 40) / (size * 0.56)));
      const wanted = wrap(keep.title, limit);
      keep.wrappedTitle = wanted;
      if (wanted !== current) layout["title.text"] = wanted;
      const lines = wanted.split(/<br\s*\/?>/i).length;
      if (!narrow && full.margin.t < 30 + 24 * lines) layout["margin.t"] = 30 + 24 * lines;
    }

    // On a phone: legend below the plot, small side margins, the title on top and menus under it,
    // smaller subplot titles, shorter menu labels. The figure's own settings come back on a wide screen.
    const copy = (v) => JSON.parse(JSON.stringify(v === undefined ? null : v));
    if (!("legend" in keep)) {
      const own = gd.layout || {};
      Object.assign(keep, { legend: copy(own.legend || {}), margin: copy(own.margin || {}), height: full.height,
                            bottom: full.margin.b,
                            menus: copy(own.updatemenus || []), annotations: copy(own.annotations || []) });
    }
    if (narrow !== keep.narrow) {
      keep.narrow = narrow;
      if (narrow) {
        Object.assign(layout, {
          "legend.orientation": "h", "legend.x": 0, "legend.xanchor": "left",
          "legend.yref": "container", "legend.y": 0, "legend.yanchor": "bottom",
          "margin.l": Math.min(full.margin.l, 12), "margin.r": Math.min(full.margin.r, 12),
        });
        keep.menus.forEach((menu, i) => {
          if (menu.y > 1) Object.assign(layout, { [`updatemenus[${i}].y`]: 1.02, [`updatemenus[${i}].yanchor`]: "bottom" });
          (menu.buttons || []).forEach((b, j) => {
            if (String(b.label).length > 26) layout[`updatemenus[${i}].buttons[${j}].label`] = shorten(b.label, 26);
          });
        });
        keep.annotations.forEach((a, i) => {
          if (a.yref === "paper" && a.y >= 1) layout[`annotations[${i}].font.size`] = 12;
        });
      } else {
        Object.assign(layout, { legend: keep.legend, margin: keep.margin, updatemenus: keep.menus,
                                height: keep.height, "title.yref": null, "title.y": null, "title.yanchor": null });
        gd.parentElement.style.height = keep.height + "px";
        if (keep.annotations.length) layout.annotations = keep.annotations;
      }
    }
    if (narrow && full.showlegend && full.legend.orientation === "h") {
      // the legend under the plot, in room added to the figure rather than taken from the plot
      const box = gd.querySelector(".legend");
      const extra = box ? Math.ceil(box.getBoundingClientRect().height) + 8 : 0;
      if (extra && Math.abs(full.margin.b - (keep.bottom + extra)) > 4) {
        Object.assign(layout, { "margin.b": keep.bottom + extra, height: keep.height + extra });
        gd.parentElement.style.height = keep.height + extra + "px";
      }
    }
    if (narrow && current) {
      // The title's first line 10 px from the top (plotly anchors a title on its first line), then
      // room for every line, then for the menus that sit above the plot.
      const height = full.height || 450;
      const lines = (layout["title.text"] || current).split(/<br\s*\/?>/i).length;
      const menus = keep.menus.some((m) => m.y > 1) ? 40 + 0.03 * height : 0;
      const room = Math.round(22 + 22 * lines + menus);
      const y = 1 - 25 / height;
      if (Math.abs(full.margin.t - room) > 4) layout["margin.t"] = room;
      if (full.title.yref !== "container" || typeof full.title.y !== "number" || Math.abs(full.title.y - y) > 0.001) {
        Object.assign(layout, { "title.yref": "container", "title.y": y, "title.yanchor": "middle" });
      }
    }

    // long legend entries (whole sentences) are shortened on a phone; the full text is back on a wide screen
    if (!("names" in keep)) keep.names = (gd.data || []).map((t) => t.name);
    const names = { values: [], indices: [] };
    keep.names.forEach((name, i) => {
      if (typeof name !== "string" || name.length <= 28) return;
      const wantedName = narrow ? shorten(name, 28) : name;
      if (gd.data[i] && gd.data[i].name !== wantedName) {
        names.values.push(wantedName);
        names.indices.push(i);
      }
    });
    if (names.indices.length) style.names = [{ name: names.values }, names.indices];

    const bars = { positions: [], indices: [] };
    (gd.data || []).forEach((trace, i) => {
      if (trace.type !== "bar" || (trace.textposition !== "inside" && trace.textposition !== "none")) return;
      if (!("bartext" in keep)) keep.bartext = {};
      if (!(i in keep.bartext)) keep.bartext[i] = trace.textposition;
      const long = [].concat(trace.text || []).some((t) => String(t).length > 12);
      const wantedPosition = narrow && long ? "none" : keep.bartext[i];
      if (trace.textposition !== wantedPosition) {
        bars.positions.push(wantedPosition);
        bars.indices.push(i);
      }
    });
    if (bars.indices.length) style.bars = [{ textposition: bars.positions }, bars.indices];

    // heatmaps: numbers only where a cell can hold them; shortened tick labels on a phone
    const heat = (gd.data || []).map((t, i) => [t, i]).filter(([t]) => t.type === "heatmap");
    if (heat.length && full.xaxis) {
      const texttemplate = [];
      const indices = [];
      heat.forEach(([trace, i]) => {
        if (!("texttemplate" in keep)) keep.texttemplate = {};
        if (!(i in keep.texttemplate)) keep.texttemplate[i] = trace.texttemplate || "";
        if (!keep.texttemplate[i]) return;
        const z = gd._fullData[i] && gd._fullData[i].z;
        const columns = (z && z[0] && z[0].length) || (full.xaxis._categories || []).length || 1;
        const fits = full.xaxis._length / columns >= 26;
        const wantedText = fits ? keep.texttemplate[i] : "";
        if ((trace.texttemplate || "") !== wantedText) {
          texttemplate.push(wantedText);
          indices.push(i);
        }
      });
      if (indices.length) style.update = [{ texttemplate }, indices];
      const columns = (full.xaxis._categories || []).length;
      const crowded = narrow && (columns > 8 || full.xaxis.ticktext && full.xaxis.ticktext.length > 8);
      if (!("xlabels" in keep)) keep.xlabels = full.xaxis.showticklabels;
      if (full.xaxis.showticklabels !== (crowded ? false : keep.xlabels)) {
        layout["xaxis.showticklabels"] = crowded ? false : keep.xlabels;
      }
      heat.forEach(([trace, i]) => {
        if (trace.showscale === false) return;
        if (narrow && !(trace.colorbar && trace.colorbar.thickness === 12)) style.colorbar = [{ "colorbar.thickness": 12 }, [i]];
      });
      for (const axis of ["xaxis", "yaxis"]) {
        const ax = full[axis];
        if (!ax || !(axis + "ticks" in keep || ax.type === "category" || ax.ticktext)) continue;
        if (!(axis + "ticks" in keep)) {
          const own = (gd.layout && gd.layout[axis]) || {};
          keep[axis + "ticks"] = { tickvals: own.tickvals || null, ticktext: own.ticktext || null,
                                   categories: (ax._categories || []).slice() };
        }
        const orig = keep[axis + "ticks"];
        const labels = orig.ticktext || orig.categories;
        if (!labels.length || !labels.some((l) => String(l).length > 16)) continue;
        if (narrow && !keep[axis + "short"]) {
          keep[axis + "short"] = true;
          layout[axis + ".tickvals"] = orig.tickvals || orig.categories;
          layout[axis + ".ticktext"] = labels.map((l) => shorten(l, 16));
        } else if (!narrow && keep[axis + "short"]) {
          keep[axis + "short"] = false;
          layout[axis + ".tickvals"] = orig.tickvals;
          layout[axis + ".ticktext"] = orig.ticktext;
        }
      }
    }
    return { layout, style };
  }

  function fit(gd) {
    if (gd.__bookFitting || !gd._fullLayout) return;
    const updates = fitUpdates(gd);
    if (!updates) return;
    const jobs = [];
    gd.__bookFitting = true;
    for (const update of Object.values(updates.style)) jobs.push(Plotly.restyle(gd, ...update));
    if (Object.keys(updates.layout).length) jobs.push(Plotly.relayout(gd, updates.layout));
    Promise.all(jobs).finally(() => {
      gd.__bookFitting = false;
      thinLabels(gd);
    });
    if (!jobs.length) {
      gd.__bookFitting = false;
      thinLabels(gd);
    }
  }

  /* Hide 2-D labels that would overlap one already shown; bigger labels get their place first. */
  function thinLabels(gd) {
    const nodes = Array.from(gd.querySelectorAll(".scatterlayer .textpoint text"));
    const items = nodes
      .filter((n) => n.textContent)
      .map((n, order) => ({ n, order, size: parseFloat(n.style.fontSize) || 12 }));
    items.sort((a, b) => b.size - a.size || a.order - b.order);
    const kept = [];
    const frame = gd.getBoundingClientRect();
    for (const { n } of items) {
      n.style.opacity = "";
      const r = n.getBoundingClientRect();
      if (!r.width) continue;
      const outside = r.left < frame.left || r.right > frame.right;
      const clash = outside || kept.some((k) => r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top);
      if (clash) n.style.opacity = "0";
      else kept.push(r);
    }
  }

  function prepare(layout) {
    layout = Object.assign({}, layout);
    if (templates[theme()]) layout.template = templates[theme()];
    return layout;
  }

  function afterDraw(gd) {
    drawn.add(gd);
    gd.dispatchEvent(new CustomEvent("book:drawn")); // for scripts that add to a figure once it exists
    gd.on("plotly_afterplot", () => fit(gd));
    fit(gd);
    return gd;
  }

  const eager = new URLSearchParams(window.location.search).has("eager"); // ?eager: draw all at once (bench)
  const near = (div) => {
    const r = div.getBoundingClientRect();
    return r.top < window.innerHeight + MARGIN && r.bottom > -MARGIN;
  };

  const observer =
    "IntersectionObserver" in window
      ? new IntersectionObserver(
          (entries) => entries.forEach((e) => e.isIntersecting && drawPending(e.target)),
          { rootMargin: MARGIN + "px 0px" },
        )
      : null;

  function drawPending(div) {
    const draw = pending.get(div);
    if (!draw) return Promise.resolve(div);
    pending.delete(div);
    if (observer) observer.unobserve(div);
    return draw();
  }

  Plotly.newPlot = function (target, data, layout, config) {
    const div = typeof target === "string" ? document.getElementById(target) : target;
    const draw = () => realNewPlot(div, data, prepare(layout), config).then(afterDraw);
    if (!div || !observer || eager || !div.classList.contains("plotly-graph-div") || drawn.has(div) || near(div)) {
      return draw();
    }
    return new Promise((resolve, reject) => {
      pending.set(div, () => draw().then(resolve, reject));
      observer.observe(div);
    });
  };

  new MutationObserver(() => {
    const template = templates[theme()];
    if (template) drawn.forEach((gd) => Plotly.relayout(gd, { template }));
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });

  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => drawn.forEach(fit), 150);
  });

  const drawAll = () => Promise.all(Array.from(pending.keys()).map(drawPending));
  window.addEventListener("beforeprint", drawAll);
  window.bookFigures = { drawAll, drawNow: drawPending, drawn: () => drawn.size, pending: () => pending.size, NARROW };
})();
