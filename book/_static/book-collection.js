/* A collection of the reader's texts, as numbers: every pair's cosine, k-means clusters, an exact PCA.
 *
 * An ES module that book-model-worker.js imports when the workbench asks (never on the other pages'
 * panels). The heavy part, X·Xᵀ for up to 5,000 × 5,000 pairs, is a matrix product that transformers.js
 * runs on onnxruntime's WebAssembly (tf.matmul), a block of rows at a time: plain JavaScript loops took
 * about ten times as long. Everything works on unit rows, so a dot product is the cosine.
 */

export const BINS = { low: -0.3, width: 0.02, count: 65 }; // as workbench.pair_histogram in Python
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

/* Every pair (i < j) once: the histogram of all cosines, the pairs at or above `threshold` (the PAIR_CAP
   most similar, sorted), and each text's `k` nearest others (for UMAP and "true neighbours"). */
export async function scan(tf, X, n, d, { threshold, k, stop, progress }) {
  const histogram = new Float64Array(BINS.count);
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
        const bin = Math.floor((s - BINS.low) / BINS.width);
        histogram[bin < 0 ? 0 : bin >= BINS.count ? BINS.count - 1 : bin]++;
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

/* The same number of random draws on every run: mulberry32. */
export function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalise(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  s = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= s;
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

/* Spherical k-means (cosine), k-means++ starts, the best of `starts` runs; cluster 0 is the largest.
   Never more clusters than different rows, and never an empty one: the answer's `k` says how many. */
export async function kmeans(tf, X, n, d, k, { seed = 0, starts = 4, rounds = 100, stop = () => false } = {}) {
  const distinct = distinctRows(X, n, d, k);
  k = Math.max(1, Math.min(k, distinct));
  const rand = random(seed);
  const data = new tf.Tensor("float32", X, [n, d]);
  let best = null;
  for (let start = 0; start < starts; start++) {
    const centres = new Float32Array(k * d);
    const gap = new Float64Array(n).fill(Infinity);
    let pick = Math.floor(rand() * n);
    for (let c = 0; c < k; c++) {
      centres.set(X.subarray(pick * d, (pick + 1) * d), c * d);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let q = 0; q < d; q++) dot += X[i * d + q] * centres[c * d + q];
        gap[i] = Math.min(gap[i], Math.max(0, 2 - 2 * dot));
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
    const score = (i) => { let s = 0; for (let q = 0; q < d; q++) s += X[i * d + q] * mean[q]; return s; };
    central.push(members.map((i) => [i, score(i)]).sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, 2).map((p) => p[0]));
  }
  return { labels: out, central, sizes: order.map((c) => sizes[c]), k };
}

/* PCA exactly, with helpers.pca_map's sign rule (the largest score on each axis is positive): the
   eigenvectors (ml-matrix) of the n x n Gram matrix of the centred rows when n <= d, else of the d x d
   covariance; both are one matrix product. */
export async function pca(tf, X, n, d, mlMatrix, dims = 2) {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) mean[q] += X[i * d + q] / n;
  const centred = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) centred[i * d + q] = X[i * d + q] - mean[q];
  const gram = n <= d;
  const m = gram ? n : d;
  const left = gram ? new tf.Tensor("float32", centred, [n, d]) : new tf.Tensor("float32", transpose(centred, d, 0, n), [d, n]);
  const right = gram ? new tf.Tensor("float32", transpose(centred, d, 0, n), [d, n]) : new tf.Tensor("float32", centred, [n, d]);
  const product = (await tf.matmul(left, right)).data;
  const rows = Array.from({ length: m }, (_, i) => Array.from(product.subarray(i * m, (i + 1) * m)));
  const evd = new mlMatrix.EigenvalueDecomposition(new mlMatrix.Matrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const axes = values.map((v, i) => [v, i]).sort((x, y) => y[0] - x[0]).slice(0, dims);
  const coords = new Float32Array(n * dims);
  axes.forEach(([value, col], axis) => {
    const v = evd.eigenvectorMatrix.getColumn(col);
    let big = 0;
    let sign = 1;
    for (let i = 0; i < n; i++) {
      let s = 0;
      if (gram) s = v[i] * Math.sqrt(Math.max(value, 0));
      else for (let q = 0; q < d; q++) s += centred[i * d + q] * v[q];
      coords[i * dims + axis] = s;
      if (Math.abs(s) > big) { big = Math.abs(s); sign = s < 0 ? -1 : 1; }
    }
    for (let i = 0; i < n; i++) coords[i * dims + axis] *= sign;
  });
  return coords;
}
