// Latency samples and the summaries the report prints. Samples are kept whole (a Float64Array that
// grows) rather than bucketed: a 10 s run is at most a few hundred thousand samples, and exact
// percentiles below 1 ms matter here (autocannon's own histogram rounds to whole milliseconds).

export class LatencyRecorder {
  constructor(initial = 1 << 16) {
    this.samples = new Float64Array(initial);
    this.count = 0;
  }

  record(ms) {
    if (this.count === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.count++] = ms;
  }

  /** p50/p95/p99/max in milliseconds, or nulls when nothing was recorded. */
  summary() {
    if (this.count === 0) return { p50: null, p95: null, p99: null, max: null };
    const sorted = this.samples.slice(0, this.count).sort();
    return {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
    };
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median of the numbers given, ignoring nulls; null when there are none. */
export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}
