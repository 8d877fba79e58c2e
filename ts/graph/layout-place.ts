// Horizontal placement for the layered layout. Each pass places every layer as close as its
// order allows to the mean x of its neighbours in the layer before (downward) or after (upward):
// with c_i the least offset of box i from box 0, x_i - c_i must be non-decreasing, so the best
// placement in the least-squares sense is an isotonic regression, solved exactly in linear time
// by pool-adjacent-violators. Dummy nodes (long-edge bends) weigh more, which straightens long edges.

const DUMMY_WEIGHT = 2;
const PASSES = 8;

export function placeLayer(layers: Int32Array[], total: number, segFrom: Int32Array, segTo: Int32Array, width: Float64Array, sep: number, real: number): Float64Array {
  const x = new Float64Array(total);
  const minGap = (a: number, b: number) => (width[a] + width[b]) / 2 + (a >= real || b >= real ? sep / 2 : sep);
  for (const layer of layers) {
    let at = 0;
    for (let i = 0; i < layer.length; i++) {
      if (i) at += minGap(layer[i - 1], layer[i]);
      x[layer[i]] = at;
    }
    const shift = at / 2;
    for (let i = 0; i < layer.length; i++) x[layer[i]] -= shift;
  }
  const up = adjacency(total, segTo, segFrom);
  const down = adjacency(total, segFrom, segTo);
  const L = layers.length;
  let maxLen = 0;
  for (const layer of layers) maxLen = Math.max(maxLen, layer.length);
  const target = new Float64Array(maxLen);
  const weight = new Float64Array(maxLen);
  const offset = new Float64Array(maxLen);
  const pool = new Pool(maxLen);
  for (let pass = 0; pass < PASSES; pass++) {
    const downward = pass % 2 === 0;
    // Both sides, always: one-sided passes (the textbook start) shift every layer a little
    // toward one side, and along a 100k-layer chain with skip connections that drift made the
    // drawing 300,000 px wide; relaxing toward both neighbours from the centred packing keeps
    // chains straight (5k-node residual chain: 14,952 px one-sided first, 198 px this way).
    const both = true;
    const nb = downward ? up : down;
    for (let k = 0; k < L; k++) {
      const layer = layers[downward ? k : L - 1 - k];
      for (let i = 0; i < layer.length; i++) {
        const v = layer[i];
        offset[i] = i ? offset[i - 1] + minGap(layer[i - 1], v) : 0;
        let s = 0;
        let c = 0;
        for (let j = nb.start[v], b = nb.start[v + 1]; j < b; j++) { s += x[nb.adj[j]]; c++; }
        if (both) {
          const o = downward ? down : up;
          for (let j = o.start[v], b = o.start[v + 1]; j < b; j++) { s += x[o.adj[j]]; c++; }
        }
        target[i] = (c ? s / c : x[v]) - offset[i];
        weight[i] = (v >= real ? DUMMY_WEIGHT : 1) * (c ? 1 : 0.1);
      }
      pool.fit(target, weight, layer.length);
      for (let i = 0; i < layer.length; i++) x[layer[i]] = pool.value(i) + offset[i];
    }
  }
  return x;
}

function adjacency(total: number, key: Int32Array, other: Int32Array): { start: Int32Array; adj: Int32Array } {
  const start = new Int32Array(total + 1);
  for (let i = 0; i < key.length; i++) start[key[i] + 1]++;
  for (let i = 0; i < total; i++) start[i + 1] += start[i];
  const fill = start.slice(0, total);
  const adj = new Int32Array(key.length);
  for (let i = 0; i < key.length; i++) adj[fill[key[i]]++] = other[i];
  return { start, adj };
}

/** Weighted isotonic (non-decreasing) least-squares fit by pool-adjacent-violators. */
class Pool {
  private readonly sumW: Float64Array;
  private readonly sumWX: Float64Array;
  private readonly end: Int32Array;
  private readonly out: Float64Array;
  constructor(n: number) {
    this.sumW = new Float64Array(n);
    this.sumWX = new Float64Array(n);
    this.end = new Int32Array(n);
    this.out = new Float64Array(n);
  }
  fit(t: Float64Array, w: Float64Array, n: number): void {
    let top = -1;
    for (let i = 0; i < n; i++) {
      top++;
      this.sumW[top] = w[i];
      this.sumWX[top] = w[i] * t[i];
      this.end[top] = i;
      while (top > 0 && this.sumWX[top - 1] / this.sumW[top - 1] > this.sumWX[top] / this.sumW[top]) {
        this.sumW[top - 1] += this.sumW[top];
        this.sumWX[top - 1] += this.sumWX[top];
        this.end[top - 1] = this.end[top];
        top--;
      }
    }
    let i = 0;
    for (let b = 0; b <= top; b++) {
      const v = this.sumWX[b] / this.sumW[b];
      for (; i <= this.end[b]; i++) this.out[i] = v;
    }
  }
  value(i: number): number {
    return this.out[i];
  }
}
