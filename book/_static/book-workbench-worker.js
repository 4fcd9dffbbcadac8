/* The workbench's second thread: reads the reader's files, lays out UMAP maps, writes the exports.
 *
 * A classic Web Worker (papaparse and umap-js are UMD scripts, loaded with importScripts from
 * _static/live/, with the settings the Python shares, book-constants.js); mulberry32 and the CSV cells'
 * rule come from the ES modules book-maths.js and book-formats.js. Nothing here fetches anything else, and
 * nothing is stored: a file is read into memory, its texts go back to the page, and the last parsed file is
 * kept only to switch columns.
 *
 * Messages in:  {type: "init", live}, then {id, type: "ready"} -> true once both libraries are in
 *               {id, type: "read", file, column}    -> {items, total, columns, column, notes}
 *               {id, type: "column", column}        -> the same, from the file read last
 *               {id, type: "umap", n, neighbours}   -> {coords}      (progress: [epoch, epochs])
 *               {id, type: "export", what, ...}     -> {blob, name}
 * Messages out: {id, result} | {id, error, reader} | {id, progress: [done, total]}
 */

const MAX_BYTES = 100e6; // files larger than this are not opened
const MAX_CHARS = 30000; // longer texts are cut here: the model reads at most 256 word pieces of them anyway
let parsed = null;
let shared = null; // {workbench: the settings the Python shares, maths, formats: the ES modules}
let sharing = null; // a promise of them, from "init" on

class ReaderError extends Error {}
const count = (n) => n.toLocaleString("en");

function oneLine(text) {
  const line = String(text).replace(/\s+/g, " ").trim();
  return line.length > MAX_CHARS ? line.slice(0, MAX_CHARS) : line;
}

/* ---- files ---- */

/* Bytes to text as a reader's editor would: a byte-order mark first (UTF-8, UTF-16 LE or BE: what Windows
   Notepad saves as "Unicode"), else UTF-8, else Latin-1 (Windows-1252). Only real binary is refused: a NUL
   byte outside UTF-16, or many control characters (a stray BEL or ESC in a text file is fine). */
const BOMS = [["utf-8", [0xef, 0xbb, 0xbf]], ["utf-16le", [0xff, 0xfe]], ["utf-16be", [0xfe, 0xff]]];

function decode(bytes) {
  const bom = BOMS.find(([, mark]) => mark.every((b, i) => bytes[i] === b));
  if (bom) {
    try {
      return { text: new TextDecoder(bom[0], { fatal: true }).decode(bytes), note: null };
    } catch {
      throw new ReaderError(`This file starts like ${bom[0].toUpperCase()} text but is not valid ${bom[0].toUpperCase()}: save it again as UTF-8.`);
    }
  }
  const head = bytes.subarray(0, 65536);
  let control = 0;
  for (const b of head) {
    if (b === 0) control = Infinity; // text never holds a NUL byte; images, .xlsx and .docx files do
    else if (b < 9 || (b > 13 && b < 32)) control++;
  }
  if (control > Math.max(8, head.length / 100)) {
    throw new ReaderError("This file is not text (it holds binary bytes, as an image or a spreadsheet file does): open a .txt, .csv, .tsv or .jsonl file.");
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), note: null };
  } catch {
    return { text: new TextDecoder("windows-1252").decode(bytes), note: "The file is not UTF-8; it was read as Latin-1 (Windows-1252): check that accented letters look right." };
  }
}

function kindOf(name) {
  const ext = (String(name).toLowerCase().match(/\.([a-z0-9]+)$/) || [])[1];
  return { csv: "csv", tsv: "tsv", tab: "tsv", jsonl: "jsonl", ndjson: "jsonl" }[ext] || "txt";
}

/* Does the first row name the columns? Not when it holds a number (an id, a score), nor, in a file of one
   column, when it is as long as the texts below it (a header is short: "text", "comment"). A header that
   asks a question (a survey's "What did you like?") stays a header. */
const numeric = (field) => String(field).trim() !== "" && !Number.isNaN(Number(field));
function hasHeader(data) {
  if (data[0].some(numeric)) return false;
  if (data[0].length > 1 || data.length < 3) return true;
  const lengths = data.slice(1, 201).map((row) => String(row[0]).length).sort((a, b) => a - b);
  const first = String(data[0][0]).length;
  return first <= 20 || first < lengths[Math.floor(lengths.length / 2)] / 2;
}

function table(text, kind) {
  const result = Papa.parse(text, { header: false, skipEmptyLines: "greedy", delimiter: kind === "tsv" ? "\t" : "" });
  const data = result.data;
  if (!data.length) throw new ReaderError("This file holds no rows.");
  const notes = [];
  let names = data[0].map((f) => String(f).trim());
  let body = data.slice(1);
  if (!hasHeader(data) || !names.some(Boolean)) { // no header: keep the first row as data
    names = data[0].map((_, i) => `column ${i + 1}`);
    body = data;
    notes.push("The first row reads like a text, not like column names, so it is kept as a text and the columns are numbered.");
  }
  const used = new Map(); // a name given twice gets a number: "text", "text (2)"
  const columns = names.map((n, i) => {
    const name = n || `column ${i + 1}`;
    used.set(name, (used.get(name) || 0) + 1);
    return used.get(name) > 1 ? `${name} (${used.get(name)})` : name;
  });
  // rows with no prototype: a column named "__proto__" or "constructor" is just a column
  const rows = body.map((cells) => {
    const row = Object.create(null);
    columns.forEach((c, i) => { row[c] = cells[i] === undefined ? "" : cells[i]; });
    return row;
  });
  const broken = body.map((cells, i) => (cells.length === columns.length ? -1 : i)).filter((i) => i >= 0);
  const first = broken.length ? broken[0] + 1 + (body === data ? 0 : 1) : 0;
  if (broken.length) notes.push(`${count(broken.length)} row${broken.length > 1 ? "s" : ""} did not split into the header's columns cleanly (first: row ${first}).`);
  return { rows, columns, notes };
}

function jsonLines(text) {
  const rows = [];
  let bad = 0;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line);
      if (value && typeof value === "object" && !Array.isArray(value)) rows.push(value);
      else bad++;
    } catch {
      bad++;
    }
  }
  if (!rows.length) throw new ReaderError("No line of this file is a JSON object; a .jsonl file holds one object per line, like {\"text\": \"…\"}.");
  const columns = [...new Set(rows.slice(0, 1000).flatMap((r) => Object.keys(r)))];
  return { rows, columns, notes: bad ? [`${count(bad)} line${bad > 1 ? "s were" : " was"} not a JSON object and ${bad > 1 ? "were" : "was"} skipped.`] : [] };
}

/* The column with the longest texts, among those that are mostly not numbers. */
function bestColumn(rows, columns) {
  const sample = rows.slice(0, 500);
  let best = columns[0];
  let length = -1;
  for (const c of columns) {
    const values = sample.map((r) => r[c]).filter((v) => typeof v === "string" && v.trim());
    const words = values.filter((v) => Number.isNaN(Number(v)));
    const mean = words.reduce((s, v) => s + v.length, 0) / Math.max(1, values.length);
    if (words.length >= values.length / 2 && mean > length) { best = c; length = mean; }
  }
  return best;
}

function choose(column) {
  const { rows, columns, notes, kind, name } = parsed;
  if (!rows) { // plain text: one item per line
    const lines = parsed.lines;
    const items = lines.map(oneLine).filter(Boolean);
    if (!items.length) throw new ReaderError(`${name} holds only blank lines: nothing to embed.`);
    return finish(items, lines.length - items.length, [], "", notes);
  }
  let chosen = column;
  const out = [...notes];
  if (!columns.includes(chosen)) {
    chosen = bestColumn(rows, columns);
    if (column) out.push(`${name} has no column “${column}”; using “${chosen}” (choose another above).`);
  }
  let skipped = 0;
  const items = [];
  for (const row of rows) {
    const value = row[chosen];
    const text = typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? oneLine(value) : "";
    if (text) items.push(text);
    else skipped++;
  }
  if (!items.length) throw new ReaderError(`The ${kind === "jsonl" ? "key" : "column"} “${chosen}” holds no text in this file; choose another.`);
  return finish(items, skipped, columns, chosen, out);
}

function finish(items, skipped, columns, column, notes) {
  const total = items.length;
  if (skipped) notes = [...notes, `${count(skipped)} empty ${parsed.rows ? "value" : "line"}${skipped > 1 ? "s" : ""} skipped.`];
  const limit = shared.workbench.maxItems; // texts the workbench embeds at once
  if (total > limit) notes = [...notes, `The file holds ${count(total)} texts; the first ${count(limit)} are used (the notebook below takes any number).`];
  return { result: { items: items.slice(0, limit), total, columns, column, notes, name: parsed.name } };
}

async function read(file, column) {
  if (!file || typeof file.arrayBuffer !== "function") throw new ReaderError("Choose a file to open.");
  if (!file.size) throw new ReaderError(`${file.name} is empty.`);
  if (file.size > MAX_BYTES) {
    throw new ReaderError(`${file.name} is ${Math.round(file.size / 1e6)} MB; the workbench opens files up to ${MAX_BYTES / 1e6} MB (cut it first, or use the notebook below).`);
  }
  const { text, note } = decode(new Uint8Array(await file.arrayBuffer()));
  const kind = kindOf(file.name);
  const base = { kind, name: file.name, notes: note ? [note] : [] };
  if (kind === "txt") parsed = Object.assign(base, { lines: text.split(/\r\n|\r|\n/), rows: null });
  else {
    const t = kind === "jsonl" ? jsonLines(text) : table(text, kind);
    parsed = Object.assign(base, t, { notes: [...base.notes, ...t.notes] });
  }
  return choose(column);
}

/* ---- UMAP, on the exact neighbours the model worker found (as helpers.project does in Python) ---- */

function umap(id, n, neighbours) {
  const k = neighbours.k;
  const indices = [];
  const distances = [];
  for (let i = 0; i < n; i++) { // the point itself first, at distance 0, then its neighbours by cosine distance
    indices.push([i, ...neighbours.index.subarray(i * k, (i + 1) * k)]);
    distances.push([0, ...Array.from(neighbours.score.subarray(i * k, (i + 1) * k), (s) => Math.max(0, 1 - s))]);
  }
  const model = new UMAP.UMAP({ nComponents: 2, nNeighbors: k + 1, minDist: shared.workbench.umapMinDist, random: shared.maths.mulberry32(0) });
  model.setPrecomputedKNN(indices, distances);
  const epochs = model.initializeFit(indices); // only its length is read once the neighbours are given
  for (let e = 0; e < epochs; e++) {
    model.step();
    if (e % 20 === 0) postMessage({ id, progress: [e, epochs] });
  }
  const coords = new Float32Array(n * 2);
  model.getEmbedding().forEach(([x, y], i) => { coords[2 * i] = x; coords[2 * i + 1] = y; });
  return { result: { coords }, transfer: [coords.buffer] };
}

/* ---- exports ---- */

/* A CSV file in which a cell a spreadsheet would run as a formula gets one more apostrophe (book-formats.js). */
function csv(fields, data) {
  const escapeFormulae = shared.formats.formulaPattern(shared.workbench.formulaStarts);
  return new Blob([Papa.unparse({ fields, data }, { newline: "\n", escapeFormulae }) + "\n"], { type: "text/csv" });
}
const number = (x) => Number(x.toPrecision(7));

/* NumPy's .npy format, version 1.0: magic, header length, a dict padded with spaces to a multiple of 64. */
function npy(flat, n, width) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${width}), }`;
  header += " ".repeat(64 - ((10 + header.length + 1) % 64 || 64)) + "\n";
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  const body = new Float32Array(flat); // little-endian on every browser's platform
  return new Blob([head, body.buffer], { type: "application/octet-stream" });
}

function exported({ what, texts, flat, width, coords, labels, names, pairs }) {
  const n = texts.length;
  if (what === "vectors.npy") return npy(flat, n, width);
  if (what === "vectors.csv") {
    const fields = ["text", ...Array.from({ length: width }, (_, j) => `d${j}`)];
    return csv(fields, texts.map((t, i) => [t, ...Array.from(flat.subarray(i * width, (i + 1) * width), number)]));
  }
  if (what === "map.csv") {
    return csv(["text", "x", "y", "cluster", "cluster_label"],
      texts.map((t, i) => [t, number(coords[2 * i]), number(coords[2 * i + 1]), labels[i] + 1, names[labels[i]]]));
  }
  if (what === "pairs.csv") {
    return csv(["a", "b", "cosine", "text_a", "text_b"],
      Array.from(pairs.s, (s, p) => [pairs.a[p], pairs.b[p], number(s), texts[pairs.a[p]], texts[pairs.b[p]]]));
  }
  throw new ReaderError("Unknown export.");
}

/* ---- messages ---- */

onmessage = async ({ data }) => {
  const { id, type } = data || {};
  if (type === "init") {
    const at = (name) => new URL(name, data.live).href;
    importScripts(at("papaparse.min.js"), at("umap-js.min.js"), at("../book-constants.js"));
    sharing = Promise.all([import(at("../book-maths.js")), import(at("../book-formats.js"))])
      .then(([maths, formats]) => { shared = { workbench: globalThis.bookConstants.workbench, maths, formats }; });
    return;
  }
  try {
    await sharing;
    let out;
    if (type === "ready") out = { result: typeof Papa === "object" && typeof UMAP === "object" };
    else if (type === "read") out = await read(data.file, data.column);
    else if (type === "column") {
      if (!parsed) throw new ReaderError("Open a file first.");
      out = choose(data.column);
    } else if (type === "umap") out = umap(id, data.n, data.neighbours);
    else if (type === "export") out = { result: { blob: exported(data), name: data.what } };
    else throw new ReaderError("Unknown request.");
    postMessage({ id, result: out.result }, out.transfer || []);
  } catch (err) {
    postMessage({ id, error: String((err && err.message) || err), reader: err instanceof ReaderError });
  }
};
