import { decodeZookie } from '../core/zookie.js';
import { formatRelationship } from '../core/refs.js';
import type { Revision } from '../core/revision.js';
import type { ServiceDeps } from './deps.js';
import type { WatchEvent, WatchRequest } from './types.js';
import { InvalidArgumentError, RevisionUnavailableError } from '../core/errors.js';

/**
 * Streams every change committed after the zookie (or after now), one event per revision, in revision
 * order, read from the store's change feed; a heartbeat with the current zookie when nothing happened
 * for `heartbeatMs`. Ends when `signal` aborts.
 */
export async function* watch(deps: ServiceDeps, req: WatchRequest, signal: AbortSignal): AsyncIterable<WatchEvent> {
  const heartbeatMs = req.heartbeatMs ?? 10_000;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 100) throw new InvalidArgumentError('`heartbeatMs` must be at least 100');
  let after: Revision;
  if (req.afterZookie) {
    after = decodeZookie(req.afterZookie, deps.datastore.storeId).revision;
    const oldest = await deps.datastore.oldestReadableRevision();
    if (after < oldest - 1) {
      throw new RevisionUnavailableError(`changes after revision ${after} were garbage-collected (oldest readable: ${oldest})`);
    }
  } else {
    after = await deps.datastore.headRevision();
  }
  let lastSent = Date.now();
  while (!signal.aborted) {
    const batch = await deps.datastore.changesSince(after, 100);
    for (const rc of batch) {
      if (signal.aborted) return;
      after = rc.revision;
      if (rc.changes.length === 0 && !rc.schema) continue;
      lastSent = Date.now();
      yield {
        type: 'changes',
        zookie: deps.consistency.zookie(rc.revision),
        changes: rc.changes.map((c) => ({ operation: c.operation, relationship: formatRelationship(c.relationship) })),
        ...(rc.schema ? { schemaChanged: true } : {}),
      };
    }
    if (batch.length === 100) continue;
    const waitMs = Math.max(0, lastSent + heartbeatMs - Date.now());
    const woke = await waitForCommit(deps, after, waitMs, signal);
    if (!woke && !signal.aborted) {
      lastSent = Date.now();
      yield { type: 'heartbeat', zookie: deps.consistency.zookie(after) };
    }
  }
}

/** Resolves true when the store commits past `after`, false after `ms`, or at once when aborted. */
function waitForCommit(deps: ServiceDeps, after: Revision, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (v: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => finish(false);
    const unsubscribe = deps.datastore.onCommit((head) => {
      if (head > after) finish(true);
    });
    const timer = setTimeout(() => finish(false), ms);
    signal.addEventListener('abort', onAbort);
    // The commit may have landed between the read and the subscription.
    void deps.datastore.headRevision().then((h) => h > after && finish(true));
  });
}
