/** RequestHistogram is exposed exactly as prom-client's Histogram, in text and in JSON. */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestHistogram } from '../../src/server/request-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, string, number][] = [
  ['check', 'grpc', 0.0004],
  ['check', 'grpc', 0.001],
  ['check', 'http', 0.05],
  ['lookupResources', 'http', 3],
  ['check', 'grpc', 0.2],
  ['check', 'http', 'a"b\\c'.length],
];

describe('RequestHistogram', () => {
  it('reads as prom-client’s Histogram does', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const h = new Histogram({ name: 'x_seconds', help: 'help "text"', labelNames: ['operation', 'transport'] as const, buckets: BUCKETS, registers: [theirs] });
    const r = new RequestHistogram('x_seconds', 'help "text"', ['operation', 'transport'], BUCKETS, ours);
    r.series({ operation: 'expand', transport: 'grpc' }); // looked up, never observed: not exposed
    for (const [operation, transport, v] of OBSERVED) {
      h.labels(operation, transport).observe(v);
      r.series({ operation, transport }).observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    r.reset();
    h.reset();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
