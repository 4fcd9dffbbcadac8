// book-formats.js: the links that carry a panel's view, and spreadsheet-safe CSV cells. Run by `node --test`
// (tests/test_js.py).
import assert from "node:assert/strict";
import test from "node:test";

import Papa from "papaparse";

import { formatViewLink, formulaPattern, isAnchor, LinkError, parseViewLink } from "../../book/_static/book-formats.js";

const LIMITS = { maxValue: 2000 }; // a test value: the site passes helpers.MAX_TEXT_CHARS
const parse = (hash) => parseViewLink(hash, LIMITS);
const refused = (hash, words) =>
  assert.throws(() => parse(hash), (err) => err instanceof LinkError && words.test(err.message) && /default view/.test(err.message));

test("a link's views, by panel kind", () => {
  const views = parse("#v=1&playground.base=tea&playground.weight=1.5&explorer.words=cat%2C%20dog+bird");
  assert.deepEqual([...views.keys()], ["playground", "explorer"]);
  assert.deepEqual(views.get("playground"), { base: "tea", weight: "1.5" });
  assert.deepEqual(views.get("explorer"), { words: "cat, dog bird" }); // %20 and + are spaces
  assert.deepEqual(parse("v=1&atlas.point=%3Cb%3Eviolin"), new Map([["atlas", { point: "<b>violin" }]])); // text only
});

test("an ordinary anchor, or none, is not a link", () => {
  for (const hash of ["", "#", "#intro", "#fig-1:a", "#100%25", "#a.b_c-d"]) {
    assert.ok(isAnchor(hash.replace(/^#/, "")), hash);
    assert.equal(parse(hash), null, hash);
  }
});

test("links the book did not make show the default view, with a reason", () => {
  refused("#explorer.words=x", /not one the book made/); // no version
  refused("#v=2&explorer.words=x", /another version/);
  refused("#v=1&Explorer.words=x", /not one the book made/); // names are lowercase
  refused("#v=1&explorer=x", /not one the book made/);
  refused("#v=1&=x", /not one the book made/);
  refused("#v=1&explorer.words=%E0%A4%A", /damaged/);
  refused(`#v=1&explorer.words=${"x".repeat(2001)}`, /over 2,000 characters/);
  refused(`#v=1&${Array.from({ length: 17 }, (_, i) => `a.b${i}=1`).join("&")}`, /too many settings/);
  refused(`#v=1&a.b=${"x".repeat(24000)}`, /too long/);
  assert.equal(parse(`#v=1&explorer.words=${"x".repeat(2000)}`).get("explorer").words.length, 2000);
});

test("a view written as a link reads back as the same view", () => {
  const views = [["explorer", { words: "king, queen & 100% <b>", dims: "3" }], ["playground", { base: "a+b", weight: "0.25" }]];
  const hash = formatViewLink(views, LIMITS);
  assert.match(hash, /^#v=1&explorer\.words=king%2C%20queen%20%26%20100%25%20%3Cb%3E&/);
  assert.deepEqual(parse(hash), new Map(views.map(([kind, values]) => [kind, values])));
  assert.equal(formatViewLink([["search", { query: "x".repeat(2001) }]], LIMITS), null); // too long for a link
});

test("CSV cells a spreadsheet would run get one more apostrophe, as the workbench's exports write them", () => {
  const escapeFormulae = formulaPattern("=+-@\t\r"); // a test value: the site passes workbench.FORMULA_STARTS
  const cases = {
    "=1+1": "'=1+1", "+x": "'+x", "-3": "'-3", "@sum": "'@sum", "\tx": "'\tx", "\rx": "'\rx",
    "'=x": "''=x", "''+x": "'''+x", // apostrophes before a formula: one more, so removing one restores the text
    "'": "'", "'a": "'a", "a=b": "a=b", "x-y": "x-y", " =x": " =x", "plain text": "plain text",
  };
  for (const [cell, safe] of Object.entries(cases)) {
    const written = Papa.unparse([[cell]], { escapeFormulae, newline: "\n" });
    assert.equal(Papa.parse(written, { newline: "\n" }).data[0][0], safe, JSON.stringify(cell));
    if (safe !== cell) assert.ok(written.startsWith('"'), `${JSON.stringify(cell)}: an escaped cell is quoted`);
  }
  const numbers = Papa.unparse({ fields: ["text", "x"], data: [["=a", -3], ["b", 0.5]] }, { escapeFormulae, newline: "\n" });
  assert.equal(numbers, "text,x\n\"'=a\",-3\nb,0.5"); // numbers stay numbers, even negative ones
});
