// Ordering within layers for the layered layout: barycentric sweeps down and up, keeping the
// order with the fewest crossings (counted exactly, O(E log V) per count with a Fenwick tree).
// All segments join adjacent layers (long edges were split by dummy nodes before).

function csrBy(total: number, key: Int32Array, other: Int32Array): { start: Int32Array; adj: Int32Array } {
  const start = new Int32Array(total + 1);
  for (let i = 0; i < key.length; i++) start[key[i] + 1]++;
  for (let i = 0; i < total; i++) start[i + 1] += start[i];
  const fill = start.slice(0, total);
  const adj = new Int32Array(key.length);
  for (let i = 0; i < key.length; i++) adj[fill[key[i]]++] = other[i];
  return { start, adj };
}

/** Crossings between consecutive layers for the positions `pos` (index within each layer). */
export function crossings(layers: Int32Array[], pos: Int32Array, segFrom: Int32Array, segTo: Int32Array, lay: Int32Array): number {
  const L = layers.length;
  const count = new Int32Array(L);
  for (let s = 0; s < segFrom.length; s++) count[lay[segFrom[s]]]++;
  const start = new Int32Array(L + 1);
  for (let l = 0; l < L; l++) start[l + 1] = start[l] + count[l];
  const fill = start.slice(0, L);
  const codes = new Float64Array(segFrom.length);
  for (let s = 0; s < segFrom.length; s++) {
    const l = lay[segFrom[s]];
    const below = l + 1 < L ? layers[l + 1].length : 1;
    codes[fill[l]++] = pos[segFrom[s]] * below + pos[segTo[s]];
  }
  let total = 0;
  let widest = 0;
  for (let l = 0; l < L; l++) widest = Math.max(widest, layers[l].length);
  const tree = new Int32Array(widest + 1);
  for (let l = 0; l + 1 < L; l++) {
    const a = start[l];
    const b = start[l + 1];
    if (b - a < 2) continue;
    const part = codes.subarray(a, b).sort();
    const size = layers[l + 1].length;
    tree.fill(0, 0, size + 1);
    let inserted = 0;
    for (let k = 0; k < part.length; k++) {
      const south = part[k] % size;
      // crossings = earlier segments whose south end is strictly right of this one
      let le = 0;
      for (let i = south + 1; i > 0; i -= i & -i) le += tree[i];
      total += inserted - le;
      for (let i = south + 1; i <= size; i += i & -i) tree[i]++;
      inserted++;
    }
  }
  return total;
}

/** Node order of each layer. `key` gives the initial order (topological position). */
export function orderLayers(total: number, L: number, lay: Int32Array, key: Float64Array, segFrom: Int32Array, segTo: Int32Array, sweeps: number): Int32Array[] {
  const count = new Int32Array(L);
  for (let i = 0; i < total; i++) count[lay[i]]++;
  const layers: Int32Array[] = [];
  for (let l = 0; l < L; l++) layers.push(new Int32Array(count[l]));
  const fill = new Int32Array(L);
  for (let i = 0; i < total; i++) layers[lay[i]][fill[lay[i]]++] = i;
  const pos = new Int32Array(total);
  for (const layer of layers) {
    sortBy(layer, key);
    for (let i = 0; i < layer.length; i++) pos[layer[i]] = i;
  }
  const up = csrBy(total, segTo, segFrom); // predecessors
  const down = csrBy(total, segFrom, segTo); // successors
  let best = crossings(layers, pos, segFrom, segTo, lay);
  let bestPos = pos.slice();
  const bary = new Float64Array(total);
  for (let s = 0; s < sweeps && best > 0; s++) {
    const downward = s % 2 === 0;
    const nb = downward ? up : down;
    for (let k = 1; k < L; k++) {
      const l = downward ? k : L - 1 - k;
      const layer = layers[l];
      if (layer.length < 2) continue;
      const other = layers[downward ? l - 1 : l + 1].length;
      const scale = other / layer.length;
      for (let i = 0; i < layer.length; i++) {
        const v = layer[i];
        const a = nb.start[v];
        const b = nb.start[v + 1];
        if (a === b) { bary[v] = pos[v] * scale; continue; }
        let sum = 0;
        for (let j = a; j < b; j++) sum += pos[nb.adj[j]];
        bary[v] = sum / (b - a);
      }
      sortBy(layer, bary, pos);
      for (let i = 0; i < layer.length; i++) pos[layer[i]] = i;
    }
    const c = crossings(layers, pos, segFrom, segTo, lay);
    if (c < best) {
      best = c;
      bestPos = pos.slice();
    }
  }
  for (const layer of layers) {
    sortBy(layer, bestPos);
    for (let i = 0; i < layer.length; i++) pos[layer[i]] = i;
  }
  return layers;
}

/** Sorts node ids by `k`, ties by `tie` (the current position), stably. */
function sortBy(layer: Int32Array, k: ArrayLike<number>, tie?: ArrayLike<number>): void {
  if (layer.length < 2) return;
  if (layer.length <= 16) {
    // most layers of deep graphs are narrow: insertion sort, no allocation
    for (let i = 1; i < layer.length; i++) {
      const v = layer[i];
      let j = i - 1;
      while (j >= 0) {
        const u = layer[j];
        const d = k[u] - k[v] || (tie ? tie[u] - tie[v] : u - v);
        if (d <= 0) break;
        layer[j + 1] = u;
        j--;
      }
      layer[j + 1] = v;
    }
    return;
  }
  const arr = Array.from(layer);
  arr.sort(tie ? (a, b) => k[a] - k[b] || tie[a] - tie[b] : (a, b) => k[a] - k[b] || a - b);
  layer.set(arr);
}
