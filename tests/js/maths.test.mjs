// book-maths.js and book-collection.js's PCA against answers known by hand: run by `node --test` (tests/test_js.py).
import assert from "node:assert/strict";
import test from "node:test";

import { EigenvalueDecomposition, Matrix } from "ml-matrix";

import { pca as collectionPca } from "../../book/_static/book-collection.js";
import { cosine, crossProducts, dot, mulberry32, norm, pca, symmetricEigen, topK } from "../../book/_static/book-maths.js";

import { tf } from "./plain-tensors.mjs";

const close = (got, want, what, tolerance = 1e-9) =>
  assert.ok(Math.abs(got - want) <= tolerance, `${what}: ${got}, expected ${want}`);

test("dot, norm and cosine", () => {
  assert.equal(dot([1, 2, 3], [4, 5, 6]), 32);
  assert.equal(dot([1, 2], [9, 9, 3, 4], 2), 11); // against the row that starts at 2
  assert.equal(norm([3, 4]), 5);
  assert.equal(norm([9, 3, 4, 9], 1, 2), 5);
  assert.equal(norm([0, 0]), 1); // a row of zeros divides safely
  close(cosine([1, 0], [0, 0, 1, 1], 2), Math.SQRT1_2, "cosine");
  assert.equal(cosine([2, 0], [0, 0, -3, 0], 2), -1);
});

test("top-k: best first, ties to the lower index, skipped items left out", () => {
  const scores = [0.5, 0.9, 0.5, 0.9, 0.1, 0.7];
  const score = (i) => scores[i];
  assert.deepEqual(topK(6, 3, score), [[1, 0.9], [3, 0.9], [5, 0.7]]);
  assert.deepEqual(topK(6, 4, score), [[1, 0.9], [3, 0.9], [5, 0.7], [0, 0.5]]);
  assert.deepEqual(topK(6, 2, score, (i) => i === 1), [[3, 0.9], [5, 0.7]]);
  assert.deepEqual(topK(3, 10, score), [[1, 0.9], [0, 0.5], [2, 0.5]]); // fewer items than k
  assert.deepEqual(topK(6, 0, score), []);
  // the same as a stable sort, on many random draws
  const rand = mulberry32(3);
  for (let trial = 0; trial < 100; trial++) {
    const n = 1 + Math.floor(rand() * 50);
    const k = 1 + Math.floor(rand() * 8);
    const s = Array.from({ length: n }, () => Math.round(rand() * 5) / 5);
    const sorted = s.map((x, i) => [i, x]).sort((a, b) => b[1] - a[1]).slice(0, k);
    assert.deepEqual(topK(n, k, (i) => s[i]), sorted);
  }
});

test("mulberry32: its first values, the same for the same seed", () => {
  const zero = mulberry32(0);
  assert.deepEqual([zero(), zero(), zero()], [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
  const fortyTwo = mulberry32(42);
  assert.deepEqual([fortyTwo(), fortyTwo(), fortyTwo()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  const a = mulberry32(7);
  const b = mulberry32(7);
  for (let i = 0; i < 1000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
});

test("symmetric eigen-decomposition of a known matrix", () => {
  const matrix = [[2, 1], [1, 2]];
  const { values, vector } = symmetricEigen(matrix);
  const order = values.map((v, i) => [v, i]).sort((x, y) => y[0] - x[0]);
  close(order[0][0], 3, "largest eigenvalue");
  close(order[1][0], 1, "smallest eigenvalue");
  const [x, y] = vector(order[0][1]);
  close(Math.abs(x), Math.SQRT1_2, "eigenvector x");
  close(x, y, "eigenvector (1, 1)/√2");
  assert.deepEqual(matrix, [[2, 1], [1, 2]]); // not changed
});

// Four points on a cross, longer along x: PCA's first axis is x, its second y; each axis signed so that its
// largest score is positive (helpers.pca_map's rule). As 2-D points (4 rows > 2 columns: the scatter
// matrix) and padded to 6-D (4 rows <= 6 columns: the Gram matrix), the answer is the same.
const CROSS = [[3, 1], [1, 2], [-1, 1], [1, 0]]; // centred: (2, 0), (0, 1), (-2, 0), (0, -1)
const CROSS_PCA = [[2, 0], [0, 1], [-2, 0], [0, -1]];

function flat(points, width) {
  const out = new Float64Array(points.length * width);
  points.forEach((p, i) => out.set(p, i * width));
  return out;
}

function assertScores(scores, want, what, tolerance) {
  want.forEach((row, i) => row.forEach((x, axis) => close(scores[i * row.length + axis], x, `${what} [${i}][${axis}]`, tolerance)));
}

test("PCA of a known cross, through the scatter matrix and through the Gram matrix", async () => {
  const options = { dims: 2, multiply: crossProducts, eigen: symmetricEigen };
  assertScores(await pca(flat(CROSS, 2), 4, 2, options), CROSS_PCA, "scatter");
  assertScores(await pca(flat(CROSS, 6), 4, 6, options), CROSS_PCA, "Gram");
});

test("the collection's PCA (WebAssembly's product, ml-matrix's eigenvectors) finds the same cross", async () => {
  const ml = { EigenvalueDecomposition, Matrix };
  for (const width of [2, 6]) {
    const X = Float32Array.from(flat(CROSS, width));
    assertScores(await collectionPca(tf, X, 4, width, ml), CROSS_PCA, `collection, width ${width}`, 1e-5);
  }
});

test("PCA's signs: the first point with the largest score on an axis scores positive, however mirrored", async () => {
  const options = { dims: 2, multiply: crossProducts, eigen: symmetricEigen };
  const mirrored = CROSS.map(([x, y]) => [-x, -y]); // centred: (-2, 0), (0, -1), (2, 0), (0, 1)
  assertScores(await pca(flat(mirrored, 2), 4, 2, options), CROSS_PCA, "mirrored");
});

test("PCA of random rows: the scatter and the Gram paths agree, to 1e-9", async () => {
  const rand = mulberry32(11);
  for (let trial = 0; trial < 20; trial++) {
    const d = 2 + Math.floor(rand() * 4);
    const n = d + 1 + Math.floor(rand() * 8); // n > d: the scatter matrix
    const points = Array.from({ length: n }, () => Array.from({ length: d }, () => rand() - 0.5));
    const options = { dims: 2, multiply: crossProducts, eigen: symmetricEigen };
    const scatter = await pca(flat(points, d), n, d, options);
    const gram = await pca(flat(points.map((p) => [...p, ...new Array(n - d).fill(0)]), n), n, n, options);
    scatter.forEach((x, i) => close(gram[i], x, `trial ${trial}, score ${i}`));
  }
});
