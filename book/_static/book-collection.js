/* A collection of the reader's texts, as numbers: every pair's cosine, k-means clusters, an exact PCA.
 *
 * An ES module that book-model-worker.js imports when the workbench asks (never on the other pages'
 * panels). The heavy part, X·Xᵀ for up to 5,000 × 5,000 pairs, is a matrix product that transformers.js
 * runs on onnxruntime's WebAssembly (tf.matmul), a block of rows at a time: plain JavaScript loops took
 * about ten times as long. Everything works on unit rows, so a dot product is the cosine. The maths every
 * panel shares (top-k, mulberry32, PCA) is book-maths.js's.
 */

import { dot, mulberry32, norm, pca as principalComponents, topK } from "./book-maths.js";

export const PAIR_CAP = 100000; // the most similar pairs kept (the count is exact either way)

const tick = () => new Promise((resolve) => setTimeout(resolve, 0)); // lets a "cancel" message in

function transpose(X, d, from, to) {
  const cols = to - from;
  const out = new Float32Array(d * cols);
  for (let j = 0; j < cols; j++) {
    const o = (from + j) * d;
    for (let k = 0; k < d; k++) out[k * cols + j] = X[o + k];
  }
  return out;
}

/* Scores of rows [r0, r1) against rows [c0, n): a (r1 - r0) x (n - c0) Float32Array. */
async function block(tf, X, n, d, r0, r1, c0) {
  const a = new tf.Tensor("float32", X.subarray(r0 * d, r1 * d), [r1 - r0, d]);
  const b = new tf.Tensor("float32", transpose(X, d, c0, n), [d, n - c0]);
  return (await tf.matmul(a, b)).data;
}

/* Every pair (i < j) once: the histogram of all cosines in `bins` ({low, high, width}: workbench.BINS, the
   ends take what falls outside), the pairs at or above `threshold` (the PAIR_CAP most similar, sorted), and
   each text's `k` nearest others (for UMAP and "true neighbours"). */
export async function scan(tf, X, n, d, { threshold, k, bins, stop, progress }) {
  const count = Math.round((bins.high - bins.low) / bins.width);
  const histogram = new Float64Array(count);
  const bestScore = new Float32Array(n * k).fill(-Infinity);
  const bestIndex = new Int32Array(n * k).fill(-1);
  const worst = new Int32Array(n); // position of each row's weakest kept neighbour
  const offer = (row, other, s) => {
    const base = row * k;
    if (s <= bestScore[base + worst[row]]) return;
    bestScore[base + worst[row]] = s;
    bestIndex[base + worst[row]] = other;
    let w = 0;
    for (let q = 1; q < k; q++) if (bestScore[base + q] < bestScore[base + w]) w = q;
    worst[row] = w;
  };
  let pairs = { a: [], b: [], s: [] };
  let floor = threshold;
  let total = 0;
  const rows = Math.max(32, Math.min(512, Math.floor(2.5e6 / n)));
  for (let r0 = 0; r0 < n; r0 += rows) {
    await tick();
    if (stop()) return null;
    const r1 = Math.min(n, r0 + rows);
    const cols = n - r0;
    const scores = await block(tf, X, n, d, r0, r1, r0);
    for (let i = 0; i < r1 - r0; i++) {
      const gi = r0 + i;
      const line = i * cols;
      for (let j = i + 1; j < cols; j++) {
        const s = scores[line + j];
        const bin = Math.floor((s - bins.low) / bins.width);
        histogram[bin < 0 ? 0 : bin >= count ? count - 1 : bin]++;
        const gj = r0 + j;
        offer(gi, gj, s);
        offer(gj, gi, s);
        if (s >= threshold) {
          total++;
          if (s >= floor) { pairs.a.push(gi); pairs.b.push(gj); pairs.s.push(s); }
        }
      }
    }
    if (pairs.s.length > 2 * PAIR_CAP) { pairs = sortPairs(pairs, PAIR_CAP); floor = pairs.s[pairs.s.length - 1]; }
    progress(r1, n);
  }
  return { pairs: sortPairs(pairs, PAIR_CAP), total, histogram, neighbours: orderNeighbours(bestScore, bestIndex, n, k) };
}

/* Most similar first; ties by the first index, then the second (as the Python side sorts). */
export function sortPairs({ a, b, s }, cap) {
  const order = Array.from(s.keys()).sort((x, y) => s[y] - s[x] || a[x] - a[y] || b[x] - b[y]).slice(0, cap);
  return { a: order.map((i) => a[i]), b: order.map((i) => b[i]), s: order.map((i) => s[i]) };
}

function orderNeighbours(bestScore, bestIndex, n, k) {
  const index = new Int32Array(n * k);
  const score = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    const base = row * k;
    const order = Array.from({ length: k }, (_, q) => q).sort((x, y) => bestScore[base + y] - bestScore[base + x]);
    order.forEach((q, slot) => { index[base + slot] = bestIndex[base + q]; score[base + slot] = bestScore[base + q]; });
  }
  return { index, score, k };
}

function normalise(v) {
  const length = norm(v);
  for (let i = 0; i < v.length; i++) v[i] /= length;
  return v;
}

/* How many different rows X holds, counting no further than `upTo` (rows compared bit for bit). */
export function distinctRows(X, n, d, upTo) {
  const bits = new Uint32Array(X.buffer, X.byteOffset, n * d);
  const seen = new Map(); // row hash -> rows with that hash
  let count = 0;
  for (let i = 0; i < n && count < upTo; i++) {
    let h = 2166136261;
    for (let q = 0; q < d; q++) h = Math.imul(h ^ bits[i * d + q], 16777619);
    const twins = seen.get(h) || [];
    const same = (j) => { for (let q = 0; q < d; q++) if (bits[i * d + q] !== bits[j * d + q]) return false; return true; };
    if (!twins.some(same)) { twins.push(i); seen.set(h, twins); count++; }
  }
  return count;
}

/* Spherical k-means (cosine), k-means++ starts, the best of `starts` runs (workbench.KMEANS_STARTS, as
   scikit-learn's n_init in Python); cluster 0 is the largest. Never more clusters than different rows, and
   never an empty one: the answer's `k` says how many. */
export async function kmeans(tf, X, n, d, k, { starts, seed = 0, rounds = 100, stop = () => false }) {
  const distinct = distinctRows(X, n, d, k);
  k = Math.max(1, Math.min(k, distinct));
  const rand = mulberry32(seed);
  const data = new tf.Tensor("float32", X, [n, d]);
  let best = null;
  for (let start = 0; start < starts; start++) {
    const centres = new Float32Array(k * d);
    const gap = new Float64Array(n).fill(Infinity);
    let pick = Math.floor(rand() * n);
    for (let c = 0; c < k; c++) {
      centres.set(X.subarray(pick * d, (pick + 1) * d), c * d);
      const centre = centres.subarray(c * d, (c + 1) * d);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        gap[i] = Math.min(gap[i], Math.max(0, 2 - 2 * dot(centre, X, i * d)));
        sum += gap[i];
      }
      let r = rand() * sum;
      pick = 0;
      while (pick < n - 1 && (r -= gap[pick]) > 0) pick++;
    }
    const labels = new Int32Array(n).fill(-1);
    let fit = 0;
    for (let round = 0; round < rounds; round++) {
      await tick();
      if (stop()) return null;
      const scores = (await tf.matmul(data, new tf.Tensor("float32", transpose(centres, d, 0, k), [d, k]))).data;
      let changed = 0;
      fit = 0;
      for (let i = 0; i < n; i++) {
        let c = 0;
        for (let q = 1; q < k; q++) if (scores[i * k + q] > scores[i * k + c]) c = q;
        if (labels[i] !== c) { labels[i] = c; changed++; }
        fit += scores[i * k + c];
      }
      if (!changed) break;
      centres.fill(0);
      const sizes = new Int32Array(k);
      for (let i = 0; i < n; i++) {
        sizes[labels[i]]++;
        for (let q = 0; q < d; q++) centres[labels[i] * d + q] += X[i * d + q];
      }
      for (let c = 0; c < k; c++) {
        const row = Math.floor(rand() * n); // an emptied cluster starts again from a random row
        if (!sizes[c]) centres.set(X.subarray(row * d, row * d + d), c * d);
        normalise(centres.subarray(c * d, (c + 1) * d));
      }
    }
    if (!best || fit > best.fit) best = { fit, labels: labels.slice() };
  }
  return Object.assign(bySize(best.labels, X, n, d, k), { distinct });
}

/* Clusters numbered by size (0 the largest), each with its two items nearest its mean direction; a
   cluster that ended empty is dropped. */
function bySize(labels, X, n, d, kAsked) {
  const sizes = new Int32Array(kAsked);
  labels.forEach((c) => sizes[c]++);
  const order = Array.from({ length: kAsked }, (_, c) => c).filter((c) => sizes[c] > 0).sort((x, y) => sizes[y] - sizes[x] || x - y);
  const k = order.length;
  const rename = new Int32Array(kAsked);
  order.forEach((c, rank) => (rename[c] = rank));
  const out = labels.map((c) => rename[c]);
  const central = [];
  for (let c = 0; c < k; c++) {
    const members = [];
    const mean = new Float64Array(d);
    out.forEach((l, i) => { if (l === c) { members.push(i); for (let q = 0; q < d; q++) mean[q] += X[i * d + q]; } });
    normalise(mean);
    central.push(topK(members.length, 2, (m) => dot(mean, X, members[m] * d)).map(([m]) => members[m]));
  }
  return { labels: out, central, sizes: order.map((c) => sizes[c]), k };
}

/* PCA exactly (book-maths.js's, with helpers.pca_map's sign rule) of the collection: the product of the
   centred rows is one WebAssembly matrix product (tf.matmul), of n x n rows when n <= d, else d x d; its
   eigenvectors are ml-matrix's. */
export function pca(tf, X, n, d, mlMatrix, dims = 2) {
  async function multiply(centred, rows, width, gram) {
    const m = gram ? rows : width;
    const byRow = new tf.Tensor("float32", centred, [rows, width]);
    const byColumn = new tf.Tensor("float32", transpose(centred, width, 0, rows), [width, rows]);
    const product = (await tf.matmul(gram ? byRow : byColumn, gram ? byColumn : byRow)).data;
    return Array.from({ length: m }, (_, i) => Array.from(product.subarray(i * m, (i + 1) * m)));
  }
  function eigen(rows) {
    const evd = new mlMatrix.EigenvalueDecomposition(new mlMatrix.Matrix(rows), { assumeSymmetric: true });
    return { values: evd.realEigenvalues, vector: (col) => evd.eigenvectorMatrix.getColumn(col) };
  }
  return principalComponents(X, n, d, { dims, multiply, eigen, Centred: Float32Array, Scores: Float32Array });
}
