/* The book's numbers in the browser, each computed once: dot products and cosines, the k best of many
 * scores, mulberry32's reproducible random stream, and an exact PCA with helpers.pca_map's sign rule.
 *
 * An ES module with no state and no page or worker APIs: the live panels import it when they run
 * (embeddingsBook.importModule, book-live-model.js), the workers and book-collection.js import it, and
 * `node --test` checks it (tests/js/maths.test.mjs).
 */

/* a · b[offset ...]: the sum of a[i] * b[offset + i] over a's length, added in order. */
export function dot(a, b, offset = 0) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[offset + i];
  return s;
}

/* The length of v[offset ... offset + width], or 1 for a row of zeros (so that dividing by it is safe). */
export function norm(v, offset = 0, width = v.length - offset) {
  let s = 0;
  for (let i = offset; i < offset + width; i++) s += v[i] * v[i];
  return Math.sqrt(s) || 1;
}

/* The cosine of a and the row of b that starts at `offset` (as long as a); aNorm when a's is known. */
export function cosine(a, b, offset = 0, aNorm = norm(a)) {
  return dot(a, b, offset) / aNorm / norm(b, offset, a.length);
}

/* The k best of n items by score(i), best first, as [index, score]; ties go to the lower index (as a stable
   sort does, and numpy's lexsort in the Python); skip(i) leaves item i out. */
export function topK(n, k, score, skip = () => false) {
  const top = [];
  if (k < 1) return top;
  for (let i = 0; i < n; i++) {
    if (skip(i)) continue;
    const s = score(i);
    if (top.length === k && !(s > top[k - 1][1])) continue;
    let at = top.length;
    while (at > 0 && s > top[at - 1][1]) at--;
    top.splice(at, 0, [i, s]);
    if (top.length > k) top.pop();
  }
  return top;
}

/* mulberry32: a stream of numbers in [0, 1), the same for the same seed on every run and every engine. */
export function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/* Eigenvalues and eigenvectors of a small symmetric matrix (an array of rows, not changed), by Jacobi
   rotations: {values, vector(col) -> the eigenvector of values[col], one entry per row}. */
export function symmetricEigen(matrix) {
  const n = matrix.length;
  const a = matrix.map((row) => Array.from(row));
  const e = a.map((_, i) => a.map((_, j) => (i === j ? 1 : 0)));
  const rotate = (m, k, p, q, c, s) => { // columns p and q of row k
    const mkp = m[k][p], mkq = m[k][q];
    m[k][p] = c * mkp - s * mkq;
    m[k][q] = s * mkp + c * mkq;
  };
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-15) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) rotate(a, k, p, q, c, s);
        for (let k = 0; k < n; k++) { // rows p and q of column k
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) rotate(e, k, p, q, c, s);
      }
    }
  }
  return { values: a.map((row, i) => row[i]), vector: (col) => e.map((row) => row[col]) };
}

/* The product PCA needs of n centred rows of width d (row-major), in plain JavaScript (for a few rows): their
   n x n Gram matrix (row i · row j) when `gram`, else their d x d scatter matrix (column p · column q). */
export function crossProducts(rows, n, d, gram) {
  if (gram) {
    return Array.from({ length: n }, (_, i) => {
      const row = rows.subarray(i * d, (i + 1) * d);
      return Array.from({ length: n }, (_, j) => dot(row, rows, j * d));
    });
  }
  const out = Array.from({ length: d }, () => new Array(d).fill(0));
  for (let i = 0; i < n; i++) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) out[p][q] += rows[i * d + p] * rows[i * d + q];
  return out;
}

/* PCA exactly, as helpers.pca_map: the n rows of X (width d, row-major) centred, then the eigenvectors of
   their n x n Gram matrix when n <= d, else of their d x d scatter matrix, the `dims` largest first; each
   axis signed so that its largest score is positive. Returns n x dims scores, row-major, in a `Scores`.

   How the m x m product and its eigenvectors are found is the caller's: multiply(centred, n, d, gram) gives
   the product as m rows (crossProducts above, or a WebAssembly matrix product for thousands of rows);
   eigen(rows) gives {values, vector(col)} (symmetricEigen above, or ml-matrix's). `Centred` is the array
   type the centred rows are kept in. */
export async function pca(X, n, d, { dims = 2, multiply, eigen, Centred = Float64Array, Scores = Float64Array }) {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) mean[q] += X[i * d + q] / n;
  const centred = new Centred(n * d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) centred[i * d + q] = X[i * d + q] - mean[q];
  const gram = n <= d;
  const { values, vector } = eigen(await multiply(centred, n, d, gram));
  const axes = Array.from(values, (value, col) => [value, col]).sort((x, y) => y[0] - x[0]).slice(0, dims);
  const coords = new Scores(n * dims);
  axes.forEach(([value, col], axis) => {
    const v = vector(col);
    const scale = Math.sqrt(Math.max(value, 0));
    let big = 0;
    let sign = 1;
    for (let i = 0; i < n; i++) {
      const s = gram ? v[i] * scale : dot(v, centred, i * d); // a Gram eigenvector, scaled, is the scores
      coords[i * dims + axis] = s;
      if (Math.abs(s) > big) { big = Math.abs(s); sign = s < 0 ? -1 : 1; }
    }
    for (let i = 0; i < n; i++) coords[i * dims + axis] *= sign;
  });
  return coords;
}
