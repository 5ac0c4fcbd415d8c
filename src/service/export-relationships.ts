import type { ServiceDeps } from './deps.js';
import { readRelationships } from './read-relationships.js';
import type { ExportRequest, ReadRelationshipsResponse } from './types.js';
import { DeadlineExceededError } from '../core/errors.js';

/** Streams every matching relationship at one revision, page by page, never holding more than a page. */
export async function* exportRelationships(
  deps: ServiceDeps,
  req: ExportRequest,
  signal?: AbortSignal,
): AsyncIterable<ReadRelationshipsResponse> {
  let cursor = req.cursor;
  const limit = req.limit ?? deps.limits.maxPageSize;
  for (;;) {
    if (signal?.aborted) throw new DeadlineExceededError();
    const page = await readRelationships(
      deps,
      {
        filter: req.filter ?? {},
        limit,
        ...(cursor ? { cursor } : {}),
        ...(req.consistency && !cursor ? { consistency: req.consistency } : {}),
      },
      { signal },
    );
    yield page;
    if (!page.cursor) return;
    cursor = page.cursor;
  }
}
