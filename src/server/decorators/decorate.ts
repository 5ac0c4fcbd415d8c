/**
 * The decorator chain around the service, built in one place. Outermost first:
 *   logs → metrics → concurrency limit → request binding → the service
 * Logs and metrics see everything, refusals by the limit included; the limit refuses before any
 * work; the binding hands the request's signal and deadline to the service itself.
 */
import type { EdgeObserver } from '../../api/request-context.js';
import type { WardenService } from '../../service/types.js';
import type { Logger } from '../logger.js';
import type { WardenMetrics } from '../metrics.js';
import { ConcurrencyLimitService } from './concurrency-limit-service.js';
import { LoggingService, logRequest } from './logging-service.js';
import { MetricsService } from './metrics-service.js';
import { RequestBoundService } from './request-bound-service.js';

export interface DecorateOptions {
  readonly logger: Logger;
  readonly metrics: WardenMetrics;
  /** 0: no limit. */
  readonly maxConcurrentRequests: number;
  /** Successful requests slower than this are logged at info (the others at debug). */
  readonly slowRequestMs?: number;
}

export function decorateService(service: WardenService, o: DecorateOptions): WardenService {
  const limited = new ConcurrencyLimitService(new RequestBoundService(service), o.maxConcurrentRequests);
  return new LoggingService(new MetricsService(limited, o.metrics), o.logger, o.slowRequestMs);
}

/** Requests refused before the service (a wrong key, a body that does not decode): logged and counted alike. */
export function edgeObserver(o: Pick<DecorateOptions, 'logger' | 'metrics' | 'slowRequestMs'>): EdgeObserver {
  return {
    unserved(ctx, outcome) {
      const line = { operation: outcome.operation, code: outcome.code, reason: outcome.reason, durationMs: outcome.durationMs };
      logRequest(o.logger, ctx, line, o.slowRequestMs);
      o.metrics.observeRequest(outcome.operation, ctx.transport, outcome.code, outcome.durationMs / 1000);
    },
  };
}
