/**
 * What this app's middleware keep on hono's Context for one request (`c.set` / `c.get`). A WeakMap or
 * WeakSet keyed by the Context would do the same, but an entry per request in one makes every
 * young-generation GC trace it as an ephemeron, which cost more than the lookups themselves.
 */
import type { RequestContext } from '../request-context.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The request scope (request-scope.ts). */
    requestScope: RequestContext;
    /** The body has been read to its end (http-errors.ts). */
    bodyConsumed: true;
  }
}
