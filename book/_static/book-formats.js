/* The small text formats the site reads and writes: the link fragment that carries a panel's view, and
 * spreadsheet-safe CSV cells.
 *
 * An ES module with no state: book-live-state.js imports it for links, book-workbench-worker.js for the
 * exports, and `node --test` checks it (tests/js/formats.test.mjs).
 */

/* ---- links that carry a view:  #v=1&<kind>.<name>=<value>&...  (see book-live-state.js) ---- */

export const LINK_VERSION = "1";
export const MAX_FRAGMENT = 24000; // characters, percent-encoded: 2,000 characters of any script, and the rest
const MAX_KEYS = 16;
const KEY = /^([a-z]+)\.([a-z][a-z0-9_-]{0,31})$/;
export const NOT_OURS = "This link is not one the book made, so the panel shows its default view.";

export class LinkError extends Error {} // a sentence for the reader: why the link shows the default view

function decode(raw) {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    throw new LinkError("This link is damaged (its text is not valid percent-encoding), so the panel shows its default view.");
  }
}

/* A fragment of letters, digits and "-_.:%" only (or none) is an ordinary anchor: a heading, a figure. */
export const isAnchor = (fragment) => !fragment || /^[\w.:%-]+$/.test(fragment);

/* "#v=1&explorer.words=..." -> Map(kind -> {name: value}); null for an ordinary anchor. Values longer than
   maxValue characters, too many settings, another version or any other shape throw a LinkError. */
export function parseViewLink(hash, { maxValue }) {
  const fragment = String(hash || "").replace(/^#/, "");
  if (isAnchor(fragment)) return null;
  if (fragment.length > MAX_FRAGMENT) {
    throw new LinkError(`This link is too long (${fragment.length.toLocaleString("en")} characters; at most ${MAX_FRAGMENT.toLocaleString("en")}), so the panel shows its default view.`);
  }
  const parts = fragment.split("&").filter(Boolean);
  if (parts.length > MAX_KEYS + 1) throw new LinkError("This link holds too many settings, so the panel shows its default view.");
  const state = new Map();
  let version = null;
  for (const part of parts) {
    const at = part.indexOf("=");
    if (at < 1) throw new LinkError(NOT_OURS);
    const key = decode(part.slice(0, at));
    const value = decode(part.slice(at + 1));
    if (key === "v") { version = value; continue; }
    const match = KEY.exec(key);
    if (!match) throw new LinkError(NOT_OURS);
    if (value.length > maxValue) {
      throw new LinkError(`A setting in this link is over ${maxValue.toLocaleString("en")} characters long, so the panel shows its default view.`);
    }
    if (!state.has(match[1])) state.set(match[1], {});
    state.get(match[1])[match[2]] = value;
  }
  if (version !== LINK_VERSION) {
    throw new LinkError(version === null ? NOT_OURS : "This link was made by another version of the book, so the panel shows its default view.");
  }
  return state;
}

/* The fragment for panels' views, [[kind, {name: value}], ...], every value as given: "#v=1&..."; null when
   a value is over maxValue characters or the whole over MAX_FRAGMENT (too long for a link). */
export function formatViewLink(views, { maxValue }) {
  const out = new URLSearchParams();
  out.set("v", LINK_VERSION);
  for (const [kind, values] of views) for (const [name, value] of Object.entries(values)) out.set(`${kind}.${name}`, value);
  const hash = "#" + out.toString().replace(/\+/g, "%20");
  if ([...out.values()].some((v) => v.length > maxValue) || hash.length > MAX_FRAGMENT) return null;
  return hash;
}

/* ---- CSV cells a spreadsheet would run as formulas (OWASP: CSV injection) ---- */

/* Which CSV cells a spreadsheet would run as formulas: a text that starts with one of `starts`
   (workbench.FORMULA_STARTS: = + - @, tab, carriage return), or with apostrophes and then one of them.
   papaparse's unparse(..., {escapeFormulae: this}) puts one more apostrophe in front of each such cell (and
   quotes it), so removing one always restores the text (workbench.EXPORT_NOTE tells the reader); numbers are
   never touched. */
export function formulaPattern(starts) {
  const inClass = [...starts].map((c) => (/[\]\\^-]/.test(c) ? "\\" + c : c)).join("");
  return new RegExp(`^'*[${inClass}]`);
}
