/* Links that carry a view: each live panel keeps its state in the page's URL fragment (after "#", so it
 * never reaches a server's logs), restores it when a link is opened, and offers "Copy link".
 *
 * Format, version 1:  #v=1&<kind>.<name>=<value>&...     e.g.  #v=1&playground.base=paris&playground.weight=1
 * A fragment of letters, digits and "-_.:%" only is an ordinary anchor (a heading, a figure) and is left alone;
 * anything else must be a link in this format.
 *
 * The fragment comes from strangers, so it is parsed strictly: one known version, only the names a panel
 * shares (its named inputs and toggles, minus files, text areas and anything marked data-private, plus a
 * kind's own extra state such as the atlas's clicked point), bounded in length and count as typing is, and
 * each value checked against its input (a range's bounds, a toggle's choices). Values are set as text only,
 * through the frame's fill(): nothing reaches innerHTML, an href or a plotly string unescaped. Anything else
 * gives one line in the panel and the default view. Opening a link never starts the model download: the
 * inputs are filled, and the figure follows once the reader presses the button.
 *
 * History: typing replaces the current entry; each applied change (Enter, a try-this button, a toggle, the
 * slider, a clicked point) adds one (changes less than a second apart, such as a dragged slider, share one),
 * so Back and Forward step between views. In JupyterLab none of this runs.
 *
 * A kind with state beyond its inputs declares kind.state = {names, get(panel) -> {name: value},
 * set(panel, values) -> Promise<boolean>} (true: it showed the view itself, with no model).
 *
 * The format itself (parsing, writing, its limits) is book-formats.js's, an ES module imported when the page
 * opens: a page opened from disk (file:, where browsers refuse modules) keeps its views but has no links.
 *
 * Contract, for tests: window.bookLiveState.parse(hash) -> Promise<Map(kind -> {name: value}) | null>, or it
 * rejects with a LinkError (book-formats.js's parseViewLink).
 */
(function () {
  "use strict";
  const book = window.embeddingsBook;
  if (!book) return;
  const MAX_VALUE = book.constants.maxTextChars; // characters: a whole box of a search panel; a view with more is not put in a link
  const SAME_ENTRY_MS = 1000; // applied changes closer together than this share one history entry
  const TYPED_MS = 250; // the address follows typing this often at most
  let formats = null; // book-formats.js, once imported
  const importFormats = () => book.importModule("book-formats.js").then((module) => (formats = module));
  const parse = (hash) => formats.parseViewLink(hash, { maxValue: MAX_VALUE });

  /* ---- one panel: what it shares, how to read and set it ---- */

  function fields(panel) {
    return Array.from(panel.querySelectorAll("form [name]")).filter((el) =>
      el.matches("input, select") && el.type !== "file" && el.type !== "hidden" && !el.closest("[data-private]"));
  }

  function names(panel) {
    const kind = window.bookLiveKinds[panel.dataset.live] || {};
    const out = new Set(fields(panel).map((el) => el.name));
    panel.querySelectorAll(".live-toggle button[name]").forEach((b) => out.add(b.name));
    ((kind.state && kind.state.names) || []).forEach((n) => out.add(n));
    return out;
  }

  function read(panel) {
    const kind = window.bookLiveKinds[panel.dataset.live] || {};
    const out = {};
    fields(panel).forEach((el) => { out[el.name] = el.type === "checkbox" ? (el.checked ? "1" : "0") : el.value; });
    panel.querySelectorAll('.live-toggle button[aria-pressed="true"]').forEach((b) => { out[b.name] = b.value; });
    if (kind.state) Object.assign(out, kind.state.get(panel) || {});
    return out;
  }

  /* Check every value against its input before anything is set; a sentence for the reader if one fails. */
  function problem(panel, values) {
    const allowed = names(panel);
    for (const [name, value] of Object.entries(values)) {
      if (!allowed.has(name)) return formats.NOT_OURS;
      const toggles = panel.querySelectorAll(`.live-toggle button[name="${CSS.escape(name)}"]`);
      if (toggles.length && !Array.from(toggles).some((b) => b.value === value)) return formats.NOT_OURS;
      const field = panel.querySelector(`form [name="${CSS.escape(name)}"]`);
      if (field && field.type === "range") {
        const x = Number(value);
        if (!/^-?\d+(\.\d+)?$/.test(value) || x < Number(field.min) || x > Number(field.max)) return formats.NOT_OURS;
      }
      if (field && field.tagName === "SELECT" && !Array.from(field.options).some((o) => o.value === value)) return formats.NOT_OURS;
    }
    return null;
  }

  /* Set a panel's inputs (as text, through the frame's fill) and its kind's own state; true when the kind
     showed the view itself. */
  async function write(panel, values) {
    const kind = window.bookLiveKinds[panel.dataset.live] || {};
    const own = (kind.state && kind.state.names) || [];
    panel.bookFill(Object.fromEntries(Object.entries(values).filter(([n]) => !own.includes(n))));
    if (!kind.state) return false;
    return kind.state.set(panel, Object.fromEntries(Object.entries(values).filter(([n]) => own.includes(n))));
  }

  /* ---- the page: every panel, the URL, history ---- */

  let panels = [];
  const defaults = new Map(); // panel -> its values as the page came, the view a bare URL shows
  let committed = location.hash; // the fragment of the last applied view (history's current entry)
  let lastPush = 0;

  /* The URL fragment for the panels' current view: "" for the page's own view, null if it is too long. */
  function fragment() {
    let changed = false;
    const views = panels.map((panel) => {
      const now = read(panel); // all of it: a link opens exactly this view
      const before = defaults.get(panel) || {};
      if (Object.entries(now).some(([name, value]) => value !== before[name])) changed = true;
      return [panel.dataset.live, now];
    });
    const hash = formats.formatViewLink(views, { maxValue: MAX_VALUE });
    return hash === null ? null : changed ? hash : "";
  }

  const url = (hash) => location.pathname + location.search + hash;

  /* Replace while typing: the address bar follows, history does not fill up. At most once per TYPED_MS:
     Safari throws after 100 replaceState calls in 10 s, and a fast typist or a held key gets there. */
  let typing = null;
  function typed() {
    if (typing) return;
    typing = setTimeout(() => {
      typing = null;
      const now = fragment();
      if (now !== null) history.replaceState(history.state, "", url(now));
    }, TYPED_MS);
  }

  function applied() { // one history entry per applied change
    const now = fragment();
    if (now === null) return; // too long for a link: the address keeps the last view that fits
    const soon = performance.now() - lastPush < SAME_ENTRY_MS;
    if (now === committed || soon) {
      history.replaceState(history.state, "", url(now));
    } else {
      history.replaceState(history.state, "", url(committed)); // the entry we leave keeps its own view
      history.pushState({ book: true }, "", url(now));
      lastPush = performance.now();
    }
    committed = now;
  }

  /* A link the panel cannot show: do what its line says, the page's own view (already there when the page
     has just opened), and leave the line in place. */
  async function showDefault(panel, message) {
    const view = defaults.get(panel) || {};
    const differs = Object.entries(read(panel)).some(([name, value]) => view[name] !== undefined && view[name] !== value);
    const shown = await write(panel, view);
    if (differs && !shown && panel.bookReady()) await panel.bookApply({ quiet: true });
    panel.bookSay(message, true);
  }

  /* Show the view the URL holds: on opening the page (a shared link) and on Back or Forward. */
  async function restore({ fromHistory }) {
    let state;
    try {
      state = parse(location.hash);
      if (state && [...state.keys()].some((kind) => !panels.some((panel) => panel.dataset.live === kind))) {
        throw new formats.LinkError(formats.NOT_OURS); // a view of a panel this page does not have
      }
    } catch (err) {
      if (!(err instanceof formats.LinkError)) throw err;
      for (const panel of panels) await showDefault(panel, err.message);
      return;
    }
    if (state === null && !fromHistory) return; // no fragment, or a heading's anchor: the page as it came
    for (const panel of panels) {
      const values = state ? state.get(panel.dataset.live) || {} : {};
      const wrong = problem(panel, values);
      if (wrong) { await showDefault(panel, wrong); continue; }
      const shown = await write(panel, Object.assign({}, defaults.get(panel), values));
      if (shown || (!Object.keys(values).length && !fromHistory)) continue;
      if (panel.bookReady()) panel.bookApply({ quiet: true });
      else if (Object.keys(values).length) panel.bookSay("Opened from a link: press the button above to see this view (the model downloads once).");
    }
  }

  async function copy(panel) {
    const now = fragment();
    if (now === null) {
      return panel.bookSay(`This view is too long for a link (at most ${MAX_VALUE.toLocaleString("en")} characters in a box); shorten it to share it.`, true);
    }
    history.replaceState(history.state, "", url(now));
    const link = location.href;
    try {
      await navigator.clipboard.writeText(link);
      panel.bookSay("Link copied: it opens this view.");
    } catch {
      panel.bookSay("Your browser did not let the page copy: the link is in the address bar.");
    }
  }

  function init() {
    panels = Array.from(document.querySelectorAll("[data-live]")).filter((p) => p.bookFill && p.bookApply);
    if (!panels.length) return;
    panels.forEach((panel) => defaults.set(panel, read(panel)));
    if (location.protocol === "file:") return; // browsers refuse ES modules from disk: no links there
    importFormats().then(offerLinks);
  }

  /* Once book-formats.js is in: a "Copy link" button per panel, history, and the view the URL holds. */
  function offerLinks() {
    panels.forEach((panel) => {
      panel.addEventListener("input", typed);
      panel.addEventListener("book:applied", applied); // the frame announces the reader's changes only
      const actions = panel.querySelector(".live-actions");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "live-copy";
      button.textContent = "Copy link";
      button.addEventListener("click", () => copy(panel));
      actions.appendChild(button);
      if (panel.dataset.shareNote) {
        const note = document.createElement("span");
        note.className = "live-share-note";
        note.textContent = panel.dataset.shareNote;
        actions.appendChild(note);
      }
    });
    window.addEventListener("popstate", () => {
      const hash = location.hash.replace(/^#/, "");
      if (hash && formats.isAnchor(hash)) return; // a heading's anchor: the reader moved on the page, not the view
      committed = location.hash;
      restore({ fromHistory: true });
    });
    restore({ fromHistory: false });
  }

  window.bookLiveState = { parse: (hash) => importFormats().then(() => parse(hash)), init };
})();
