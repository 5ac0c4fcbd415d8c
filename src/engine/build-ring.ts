/**
 * Ties the dispatcher ring once: head = caching(local(redispatch: head)). Singleflight goes between
 * the two when it lands. The server's composition root calls this; tests may use a bare
 * LocalDispatcher (which redispatches to itself) to compare with and without the cache.
 */
import { CachingDispatcher } from './caching-dispatcher.js';
import type { CachingDispatcherOptions } from './caching-dispatcher.js';
import type { Dispatcher } from './dispatcher.js';
import { LocalDispatcher } from './local/local-dispatcher.js';

export interface DispatcherRing {
  readonly head: Dispatcher;
  readonly cache: CachingDispatcher;
  readonly local: LocalDispatcher;
}

export function buildDispatcherRing(options: CachingDispatcherOptions = {}): DispatcherRing {
  const cache = new CachingDispatcher(options);
  const local = new LocalDispatcher({ redispatch: cache });
  cache.setDelegate(local);
  return { head: cache, cache, local };
}
