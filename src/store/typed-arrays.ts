/** Growable typed arrays for the relationship index's struct-of-arrays storage. */

/** 1.5x rather than 2x: at millions of edges the slack of doubling costs more than the extra copies. */
export function grown(n: number): number {
  return n + (n >> 1);
}

export function growI32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export function growF64(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
