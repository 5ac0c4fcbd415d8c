/**
 * The inputs `warden import` reads: one relationship a line; NDJSON lines (`{"relationship":"..."}` or
 * `{"resource","relation","subject"}`); or a SpiceDB validation YAML (`.yaml`/`.yml`) whose
 * `relationships:` block is used. Line files are streamed, never held in memory whole.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../client.js';

export interface ImportLine {
  /** What to send: a relationship string, or a blank / `//` comment line kept for line numbering. */
  line: string;
  /** Progress after this line, in the unit of `total`. */
  progress: number;
}

export interface ImportSource {
  /** Bytes of a line file, or relationships of a YAML block; undefined for stdin. */
  total: number | undefined;
  /**
   * Every line, blank ones and comments included: the server skips those, and counting them keeps its
   * "line N" in an error equal to the file's line N (for YAML: the Nth line of the relationships block).
   */
  lines: AsyncIterable<ImportLine>;
}

function fromJson(text: string, where: string): string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const r = (o ?? {}) as { relationship?: unknown; resource?: unknown; relation?: unknown; subject?: unknown };
  if (typeof r.relationship === 'string') return r.relationship;
  if (typeof r.resource === 'string' && typeof r.relation === 'string' && typeof r.subject === 'string') return `${r.resource}#${r.relation}@${r.subject}`;
  throw new UsageError(`${where}: expected {"relationship": "..."} or {"resource": ..., "relation": ..., "subject": ...}`);
}

/** A relationship string for one input line (JSON lines converted; everything else as is). */
export function normalizeLine(raw: string, where: string): string {
  const t = raw.trim();
  return t.startsWith('{') ? fromJson(t, where) : t;
}

async function yamlSource(file: string): Promise<ImportSource> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  const block = (doc as { relationships?: unknown } | null)?.relationships;
  let lines: string[];
  if (typeof block === 'string') lines = block.split(/\r?\n/);
  else if (Array.isArray(block)) lines = block.map(String);
  else throw new UsageError(`${file} has no \`relationships:\` block`);
  return {
    total: lines.length,
    lines: (async function* () {
      for (let i = 0; i < lines.length; i++) yield { line: normalizeLine(lines[i]!, `${file}: relationships line ${i + 1}`), progress: i + 1 };
    })(),
  };
}

async function lineSource(file: string): Promise<ImportSource> {
  const isStdin = file === '-';
  let total: number | undefined;
  if (!isStdin) {
    try {
      total = (await stat(file)).size;
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const input = isStdin ? process.stdin : createReadStream(file);
  const name = isStdin ? 'stdin' : file;
  return {
    total,
    lines: (async function* () {
      let n = 0;
      const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      try {
        for await (const raw of rl) {
          n++;
          const progress = 'bytesRead' in input ? (input as { bytesRead: number }).bytesRead : 0;
          yield { line: normalizeLine(raw, `${name}:${n}`), progress };
        }
      } finally {
        rl.close();
        if (!isStdin) input.destroy();
      }
    })(),
  };
}

export function openImportSource(file: string): Promise<ImportSource> {
  return /\.ya?ml$/i.test(file) ? yamlSource(file) : lineSource(file);
}

/** Lines the server skips (so they do not count as relationships for progress). */
export function isSkipped(line: string): boolean {
  return line === '' || line.startsWith('//') || line.startsWith('#');
}
