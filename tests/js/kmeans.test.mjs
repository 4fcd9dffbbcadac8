// book-collection.js's k-means on collections with repeated rows: run by `node --test` (tests/test_js.py).
import assert from "node:assert/strict";
import test from "node:test";

import { kmeans } from "../../book/_static/book-collection.js";
import { mulberry32 as random } from "../../book/_static/book-maths.js";

import { tf } from "./plain-tensors.mjs";

const STARTS = 4; // any number of starts obeys the rule; the site uses workbench.KMEANS_STARTS

function collection(distinct, n, d, rand) {
  const base = Array.from({ length: distinct }, () => {
    const v = Array.from({ length: d }, () => rand() - 0.5);
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  });
  const rows = [...base, ...Array.from({ length: n - distinct }, () => base[Math.floor(rand() * distinct)])];
  return Float32Array.from(rows.flat());
}

test("never an empty cluster, never more clusters than different rows", async () => {
  const rand = random(7);
  for (let trial = 0; trial < 80; trial++) {
    const d = 8, distinct = 1 + Math.floor(rand() * 12), n = distinct + Math.floor(rand() * 30), k = 1 + Math.floor(rand() * 10);
    const found = await kmeans(tf, collection(distinct, n, d, rand), n, d, k, { seed: trial, starts: STARTS });
    assert.equal(found.k, Math.min(k, distinct), `k ${found.k} for ${distinct} different rows, asked ${k}`);
    assert.equal(found.sizes.length, found.k);
    assert.ok(found.sizes.every((s) => s > 0));
    assert.equal(found.sizes.reduce((a, b) => a + b, 0), n);
    assert.ok(found.labels.every((l) => l >= 0 && l < found.k));
    assert.equal(found.distinct, Math.min(distinct, k));
  }
});

test("twenty answers that are all yes or no make two clusters", async () => {
  const rand = random(1);
  const X = collection(2, 20, 8, rand);
  const found = await kmeans(tf, X, 20, 8, 3, { starts: STARTS });
  assert.equal(found.k, 2);
  assert.equal(found.sizes[0] + found.sizes[1], 20);
});

test("500 identical rows make one cluster", async () => {
  const X = collection(1, 500, 8, random(2));
  const found = await kmeans(tf, X, 500, 8, 10, { starts: STARTS });
  assert.equal(found.k, 1);
  assert.deepEqual(found.sizes, [500]);
});
