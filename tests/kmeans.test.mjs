// book-collection.js's k-means on collections with repeated rows: run by `node --test` (from test_workbench.py).
import assert from "node:assert/strict";
import test from "node:test";

import { kmeans, random } from "../book/_static/book-collection.js";

// The one tensor operation kmeans asks of its tf: a matrix product, here in plain JavaScript.
const tf = {
  Tensor: class { constructor(type, data, dims) { Object.assign(this, { data, dims }); } },
  async matmul(a, b) {
    const [n, d] = a.dims, k = b.dims[1];
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) for (let c = 0; c < k; c++) out[i * k + c] += a.data[i * d + q] * b.data[q * k + c];
    return { data: out };
  },
};

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
    const found = await kmeans(tf, collection(distinct, n, d, rand), n, d, k, { seed: trial });
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
  const found = await kmeans(tf, X, 20, 8, 3);
  assert.equal(found.k, 2);
  assert.equal(found.sizes[0] + found.sizes[1], 20);
});

test("500 identical rows make one cluster", async () => {
  const X = collection(1, 500, 8, random(2));
  const found = await kmeans(tf, X, 500, 8, 10);
  assert.equal(found.k, 1);
  assert.deepEqual(found.sizes, [500]);
});
