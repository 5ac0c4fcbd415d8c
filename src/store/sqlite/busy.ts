/** SQLite's "another connection holds the lock" (SQLITE_BUSY and its extended codes), as clients see it. */
import Sqlite from 'better-sqlite3';
import { UnavailableError } from '../../core/errors.js';

/** `e` as the error to throw: UNAVAILABLE (retry) when SQLite was busy, `e` itself otherwise. */
export function busyAsUnavailable(e: unknown): unknown {
  if (e instanceof Sqlite.SqliteError && e.code.startsWith('SQLITE_BUSY')) {
    return new UnavailableError('the database is busy (another process holds its write lock); retry');
  }
  return e;
}
