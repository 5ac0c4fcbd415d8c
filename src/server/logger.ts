/**
 * The process's one logger (pino): JSON lines on stdout, one per request at info (decorators/
 * logging-service.ts) plus start, stop and background messages. Nothing is logged from headers or
 * bodies, so no preshared key or caller data can reach a line; pino's redaction would guard against a
 * future field carrying one, but it doubles the cost of every line, and not logging them is the guard.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v);
}

// Past this much unwritten output, lines are dropped rather than held without bound.
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * `destination` defaults to stdout, written asynchronously: a log reader that falls behind (a slow
 * pipe, a stalled collector) must not stall authorization, so its lines wait in a bounded buffer
 * instead of blocking the event loop. Each line is handed to the OS as soon as the previous write
 * finishes, and pino flushes what is left when the process exits.
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    { name: 'warden', level, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ dest: 1, sync: false, maxLength: MAX_BUFFERED_BYTES }),
  );
}
