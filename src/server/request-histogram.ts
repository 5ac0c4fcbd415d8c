/**
 * A histogram for the request path. prom-client's Histogram validates and hashes the labels on every
 * observation; here a caller looks a series up once per label set and keeps it, and an observation is
 * a bucket search and three additions. It registers with a prom-client Registry and is exposed
 * exactly as a prom-client Histogram is: `_bucket` series with cumulative counts per `le`, then
 * `+Inf`, `_sum` and `_count`.
 */
import type { Metric, Registry } from 'prom-client';

export interface Series {
  observe(value: number): void;
}

interface SeriesData extends Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Per bucket, not cumulative; the last slot counts values above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

type ExportedValue = {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  /** null on buckets, as prom-client has it (no exemplars here). */
  exemplar?: null;
};

export class RequestHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private bySeries = new Map<string, SeriesData>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric<L>);
  }

  /** The series of one label set (created at its first use, then the same object). */
  series(labels: Readonly<Record<L, string>>): Series {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.bySeries.get(key);
    if (s === undefined) this.bySeries.set(key, (s = newSeries({ ...labels }, this.bounds)));
    return s;
  }

  reset(): void {
    this.bySeries = new Map();
  }

  /** What prom-client's Registry formats (Histogram.getForPromString's shape). */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.bySeries.values()) {
      // Like a prom-client child, a series appears with its first observation.
      if (s.count === 0) continue;
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: bucket, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (Registry.getMetricsAsJSON): each value's labels with its series' labels merged in. */
  async get(): Promise<{ name: string; help: string; type: string; values: Omit<ExportedValue, 'sharedLabels'>[]; aggregator: string }> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } })) };
  }
}

function newSeries(labels: Record<string, string>, bounds: readonly number[]): SeriesData {
  const s: SeriesData = {
    labels,
    counts: new Array<number>(bounds.length + 1).fill(0),
    sum: 0,
    count: 0,
    observe(value) {
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      s.counts[i]!++;
      s.sum += value;
      s.count++;
    },
  };
  return s;
}
