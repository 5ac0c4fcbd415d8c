/**
 * Garbage collection on a schedule. Every interval: find the revision committed at (now - window), let
 * the store drop history older than it (PostgreSQL: one replica at a time, under an advisory lock; the
 * others return 0 at once), then drop the same history from this process's own in-memory index, which
 * every replica holds and which would otherwise grow with every delete for as long as the process runs.
 *
 * The index follows the store's horizon, never passes it: a zookie the store still honours must still
 * be readable here. A failed run (the database is unreachable) is logged and retried at the next
 * interval; it never ends the process.
 */
import type { Revision } from '../core/revision.js';
import type { Datastore } from '../store/datastore.js';

export const DEFAULT_GC_WINDOW_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_GC_INTERVAL_MS = 5 * 60 * 1000;

export interface GcOptions {
  /** History older than this is dropped (ms, > 0). */
  windowMs: number;
  /** Time between runs (ms); 0 turns the schedule off. */
  intervalMs: number;
}

/** The part of the in-memory index that garbage collection drives. */
export interface CollectableIndex {
  readonly oldest: Revision;
  collectGarbage(before: Revision): number;
}

export interface GcDeps {
  readonly datastore: Pick<Datastore, 'headRevision' | 'oldestReadableRevision' | 'collectGarbage'>;
  /**
   * The newest revision committed at or before `time`, from the store's commit times. Without it (the
   * memory store keeps none) the scheduler's own samples of the head stand in, which errs on keeping
   * up to one interval more history than the window.
   */
  readonly revisionAt?: (time: Date) => Promise<Revision>;
  /** This process's own index; leave out when the store collects it itself (the memory store). */
  readonly index?: CollectableIndex;
  readonly log: (message: string) => void;
  readonly warn: (message: string) => void;
  readonly now?: () => number;
}

export interface GcRunResult {
  /** The revision the window ends at (history before it may go). */
  target: Revision;
  /** The oldest revision still readable after the run. */
  horizon: Revision;
  /** Relationship rows the store removed (0 when another replica held the GC lock). */
  storeRows: number;
  /** Index entries this process freed. */
  indexEntries: number;
}

export class GcScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  /** (time, head) pairs: revision `rev` had committed by `at`. Only used without `revisionAt`. */
  private samples: { at: number; rev: Revision }[] = [];
  private readonly now: () => number;

  constructor(
    private readonly deps: GcDeps,
    private readonly options: GcOptions,
  ) {
    checkGcOptions(options);
    this.now = deps.now ?? Date.now;
  }

  /** Schedules the first run one interval from now (a no-op when the interval is 0). */
  start(): void {
    if (this.options.intervalMs === 0 || this.stopped || this.timer) return;
    if (!this.deps.revisionAt) void this.sample().catch(() => undefined);
    this.schedule();
  }

  /** Cancels the schedule and waits for a run in progress (each of its statements is bounded by the store's timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One collection now. Throws what the store throws; the scheduled path catches and logs. */
  runOnce(): Promise<GcRunResult> {
    const run = this.collect();
    this.running = run;
    return run;
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    // A pending collection is no reason to keep the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    const started = this.now();
    try {
      const r = await this.runOnce();
      if (r.storeRows > 0 || r.indexEntries > 0) {
        this.deps.log(
          `gc: history before revision ${r.horizon} dropped (window ${formatDuration(this.options.windowMs)}): ` +
            `${r.storeRows} store rows, ${r.indexEntries} index entries, in ${this.now() - started} ms`,
        );
      }
    } catch (e) {
      this.deps.warn(`gc failed, retrying in ${formatDuration(this.options.intervalMs)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!this.stopped) this.schedule();
  }

  private async collect(): Promise<GcRunResult> {
    const ds = this.deps.datastore;
    const cutoff = this.now() - this.options.windowMs;
    const target = this.deps.revisionAt ? await this.deps.revisionAt(new Date(cutoff)) : await this.sampledRevisionAt(cutoff);
    let storeRows = 0;
    if (target > (await ds.oldestReadableRevision())) storeRows = await ds.collectGarbage(target);
    // Another replica may have collected instead (it held the lock), or collected less: follow the store.
    const horizon = Math.min(target, await ds.oldestReadableRevision());
    const index = this.deps.index;
    const indexEntries = index && horizon > index.oldest ? index.collectGarbage(horizon) : 0;
    return { target, horizon, storeRows, indexEntries };
  }

  private async sample(): Promise<void> {
    const at = this.now();
    const rev = await this.deps.datastore.headRevision();
    this.samples.push({ at, rev });
  }

  private async sampledRevisionAt(cutoff: number): Promise<Revision> {
    await this.sample();
    let i = -1;
    while (i + 1 < this.samples.length && this.samples[i + 1]!.at <= cutoff) i++;
    if (i < 0) return 0;
    const rev = this.samples[i]!.rev;
    // Older samples can never be asked for again: the cutoff only moves forward.
    this.samples = this.samples.slice(i);
    return rev;
  }
}

export function checkGcOptions(o: GcOptions): void {
  if (!Number.isInteger(o.windowMs) || o.windowMs <= 0) {
    throw new RangeError(`the GC window must be a positive duration, got ${String(o.windowMs)} ms`);
  }
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < 0 || o.intervalMs > 2 ** 31 - 1) {
    throw new RangeError(`the GC interval must be between 0 (off) and about 24 days, got ${String(o.intervalMs)} ms`);
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `24h`, `30m`, `1h30m`, `500ms`, `2d` or `0` into milliseconds; throws naming `name` otherwise. */
export function parseDuration(text: string, name: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+(ms|s|m|h|d))+$/.test(t)) {
    throw new Error(`--${name} must be a duration such as 24h, 30m, 90s or 1h30m, got "${text}"`);
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!Number.isSafeInteger(ms)) throw new Error(`--${name} is too long: "${text}"`);
  return ms;
}

/** The largest whole unit that fits, for logs: 86400000 -> "24h", 90000 -> "90s". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
