/**
 * Golden files: each `golden/NAME.zed` is compiled; a schema that compiles must match
 * `NAME.expected` (its canonical printed form), one that does not must match `NAME.errors` (one
 * `line:column: message` per diagnostic). `UPDATE_GOLDEN=1 npx vitest run test/schema/golden.test.ts`
 * rewrites the outputs; review the diff before committing.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/core/errors.js';
import { compileSchema } from '../../src/schema/compiler.js';
import { printSchema } from '../../src/schema/printer.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env.UPDATE_GOLDEN === '1';
const inputs = readdirSync(dir)
  .filter((f) => f.endsWith('.zed'))
  .sort();

function actualOutput(text: string): { ext: '.expected' | '.errors'; body: string } {
  const r = compileSchema(text);
  if (r.ok) return { ext: '.expected', body: printSchema(r.schema) };
  return { ext: '.errors', body: `${r.diagnostics.map(formatDiagnostic).join('\n')}\n` };
}

describe('golden schemas', () => {
  it('has inputs', () => {
    expect(inputs.length).toBeGreaterThan(0);
  });

  it.each(inputs)('%s', (file) => {
    const base = join(dir, file.slice(0, -'.zed'.length));
    const { ext, body } = actualOutput(readFileSync(join(dir, file), 'utf8'));
    const other = ext === '.expected' ? '.errors' : '.expected';
    if (update) {
      writeFileSync(base + ext, body);
      if (existsSync(base + other)) rmSync(base + other);
      return;
    }
    expect(existsSync(base + other), `${file} ${ext === '.expected' ? 'compiles' : 'fails'} but has a ${other} file`).toBe(false);
    expect(body).toBe(readFileSync(base + ext, 'utf8'));
  });
});
