/**
 * Warden's Prometheus metrics, in a registry of their own (not prom-client's global one, so that two
 * servers in one process, as in the tests, never share or collide).
 *
 * Per-request metrics are recorded by decorators/metrics-service.ts as requests finish. State that
 * already lives elsewhere (cache statistics, revisions, the relationship count) is read at scrape time
 * instead of being pushed on every change: nothing on the request path pays for it.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DatastoreTimer } from '../store/proxy/timed-datastore.js';
import { RequestHistogram, type Series } from './request-histogram.js';

/** What the scrape-time collectors read; a Runtime (build.ts) has all of it. */
export interface MetricsSources {
  readonly cache: { stats(): { hits: number; misses: number; size: number; bytes: number; evictions: number } };
  readonly datastore: { headRevision(): Promise<number> };
  readonly replica: { readonly head: number; readonly index: { readonly liveCount: number } };
}

type RequestLabels = Record<'operation' | 'transport' | 'code', string>;
type FinishedCount = { readonly labels: RequestLabels; n: number };

interface RequestSeries {
  /** By code. */
  readonly finished: Map<string, FinishedCount>;
  readonly duration: Series;
  readonly dispatches: Series;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DISPATCH_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000, 25_000, 100_000];

export class WardenMetrics {
  readonly registry = new Registry();
  private sources: MetricsSources | undefined;

  // Per-request counts are plain numbers on the request path, which the counter and the gauge read at
  // scrape time: a prom-client inc (or dec) hashes its labels on every call.
  private readonly serving = new Map<string, number>();
  readonly requests = finishedCounter(this.registry, () => this.finishedCounts());
  readonly duration = new RequestHistogram(
    'warden_request_duration_seconds',
    'Time from the start of a request to its answer (to the end of the stream for streaming operations).',
    ['operation', 'transport'],
    LATENCY_BUCKETS,
    this.registry,
  );
  readonly inFlight = servingGauge(this.registry, this.serving);
  readonly dispatches = new RequestHistogram(
    'warden_request_dispatches',
    'Graph dispatches (sub-problems evaluated, cache hits excluded) per request.',
    ['operation'],
    DISPATCH_BUCKETS,
    this.registry,
  );
  readonly datastoreDuration = new Histogram({
    name: 'warden_datastore_query_duration_seconds',
    help: 'Time of each Datastore call, by method and outcome (ok or error).',
    labelNames: ['method', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  // Everything one request updates, by operation and transport: found with two lookups per request.
  private readonly byOperation = new Map<string, Map<string, RequestSeries>>();

  /** Feeds warden_datastore_query_duration_seconds; hand it to TimedDatastore. */
  readonly datastoreTimer: DatastoreTimer = {
    observe: (method, seconds, ok) => this.datastoreDuration.labels(method, ok ? 'ok' : 'error').observe(seconds),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = () => this.sources;
    // Counters read from the cache's own totals: reset-then-inc sets them to the current value.
    const cacheCounter = (name: string, help: string, pick: (s: ReturnType<MetricsSources['cache']['stats']>) => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = sources();
          if (!s) return;
          this.reset();
          this.inc(pick(s.cache.stats()));
        },
      });
    cacheCounter('warden_cache_hits_total', 'Sub-problem cache hits.', (s) => s.hits);
    cacheCounter('warden_cache_misses_total', 'Sub-problem cache misses.', (s) => s.misses);
    cacheCounter('warden_cache_evictions_total', 'Sub-problem cache entries evicted to stay under the memory bound.', (s) => s.evictions);
    const gauge = (name: string, help: string, read: (s: MetricsSources) => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const s = sources();
          if (!s) return;
          try {
            this.set(await read(s));
          } catch {
            // The store is unreachable: no value is better than a made-up one (readiness says why).
            this.reset();
          }
        },
      });
    gauge('warden_cache_entries', 'Entries in the sub-problem cache.', (s) => s.cache.stats().size);
    gauge('warden_cache_bytes', 'Estimated bytes held by the sub-problem cache.', (s) => s.cache.stats().bytes);
    gauge('warden_relationships', 'Relationships live at the newest revision this process has applied.', (s) => s.replica.index.liveCount);
    gauge('warden_replica_revision', 'The newest revision this process has applied.', (s) => s.replica.head);
    gauge(
      'warden_revision_lag',
      'Revisions committed to the store that this process has not applied yet (store head minus applied head).',
      async (s) => Math.max(0, (await s.datastore.headRevision()) - s.replica.head),
    );
  }

  /** A request began; `requestEnded` when it finishes (or its stream ends). */
  requestStarted(transport: string): void {
    this.serving.set(transport, (this.serving.get(transport) ?? 0) + 1);
  }

  requestEnded(transport: string): void {
    this.serving.set(transport, (this.serving.get(transport) ?? 0) - 1);
  }

  /** One finished request (also those refused before reaching the service). */
  observeRequest(operation: string, transport: string, code: string, seconds: number, dispatches?: number): void {
    const series = this.seriesOf(operation, transport);
    let count = series.finished.get(code);
    if (count === undefined) series.finished.set(code, (count = { labels: { operation, transport, code }, n: 0 }));
    count.n++;
    series.duration.observe(seconds);
    if (dispatches !== undefined) series.dispatches.observe(dispatches);
  }

  // Keyed by the label values themselves, not a string built from them per request.
  private seriesOf(operation: string, transport: string): RequestSeries {
    let byTransport = this.byOperation.get(operation);
    if (byTransport === undefined) this.byOperation.set(operation, (byTransport = new Map()));
    let series = byTransport.get(transport);
    if (series === undefined) {
      series = {
        finished: new Map(),
        duration: this.duration.series({ operation, transport }),
        dispatches: this.dispatches.series({ operation }),
      };
      byTransport.set(transport, series);
    }
    return series;
  }

  private *finishedCounts(): Iterable<FinishedCount> {
    for (const byTransport of this.byOperation.values()) for (const series of byTransport.values()) yield* series.finished.values();
  }

  /** Starts reading the runtime's state at scrape time. */
  watch(sources: MetricsSources): void {
    this.sources = sources;
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function servingGauge(registry: Registry, serving: ReadonlyMap<string, number>): Gauge<'transport'> {
  return new Gauge({
    name: 'warden_requests_in_flight',
    help: 'Requests being served now (streams count until they end).',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      for (const [transport, n] of serving) this.labels(transport).set(n);
    },
  });
}

function finishedCounter(registry: Registry, finished: () => Iterable<FinishedCount>): Counter<keyof RequestLabels> {
  return new Counter({
    name: 'warden_requests_total',
    help: 'Requests finished, by operation (the WardenService method), transport and status code (OK or the error code).',
    labelNames: ['operation', 'transport', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, n } of finished()) this.inc(labels, n);
    },
  });
}
