// The one tensor operation book-collection.js asks of transformers.js (tf): a float32 matrix product, here in
// plain JavaScript, so that node can run the collection's maths without onnxruntime.
export const tf = {
  Tensor: class {
    constructor(type, data, dims) {
      Object.assign(this, { data, dims });
    }
  },
  async matmul(a, b) {
    const [n, d] = a.dims;
    const k = b.dims[1];
    const out = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) for (let c = 0; c < k; c++) out[i * k + c] += a.data[i * d + q] * b.data[q * k + c];
    return { data: out };
  },
};
