/**
 * examples/workspace models the shared-inbox rules of DESIGN.md; this pins that its validation file
 * passes, and that it stays a real test of the schema: every permission is asserted both ways.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../src/schema/compiler.js';
import { loadValidationFile } from '../../src/validation/validation-file.js';
import { runValidationFile } from '../../src/validation/run-validation.js';

const FILE = 'examples/workspace/workspace.yaml';

describe('examples/workspace', () => {
  it('workspace.yaml passes: every assertion and expected relation holds', async () => {
    const r = await runValidationFile(FILE);
    expect(r.error).toBeNull();
    const failed = r.assertions.filter((a) => !a.ok).map((a) => `${a.assertion}: expected ${a.expected}, got ${a.actual} ${a.message ?? ''}`);
    expect(failed).toEqual([]);
    expect(r.assertions.length).toBeGreaterThanOrEqual(80);
  });

  it('schema.zed compiles without warnings', () => {
    const r = compileSchema(readFileSync('examples/workspace/schema.zed', 'utf8'));
    expect(r.ok ? (r.warnings ?? []) : r.diagnostics).toEqual([]);
  });

  it('asserts every permission of the schema both true and false', () => {
    const file = loadValidationFile(FILE);
    const asserted = { assertTrue: new Set<string>(), assertFalse: new Set<string>() };
    for (const a of file.assertions) {
      if (a.kind === 'assertCaveated') continue;
      asserted[a.kind].add(`${a.relationship.resource.type}#${a.relationship.relation}`);
    }
    const missing: string[] = [];
    for (const def of file.schema.definitions.values()) {
      for (const rel of def.relations.values()) {
        if (rel.kind !== 'permission') continue;
        const key = `${def.name}#${rel.name}`;
        if (!asserted.assertTrue.has(key)) missing.push(`${key} (never asserted true)`);
        if (!asserted.assertFalse.has(key)) missing.push(`${key} (never asserted false)`);
      }
    }
    expect(missing).toEqual([]);
    expect(file.validation.length).toBeGreaterThan(0);
  });
});
