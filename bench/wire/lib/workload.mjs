// Reads the parts of a workload directory (format: the shared workload README) that the wire bench
// needs: the schema to load, where relationships.txt is, and the check queries with their expected
// answers. Any directory in that format works; nothing here knows which generator wrote it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export class WorkloadError extends Error {}

export function readWorkload(dir) {
  const abs = resolve(dir);
  for (const name of ['schema.zed', 'relationships.txt', 'queries.jsonl']) {
    if (!existsSync(join(abs, name))) throw new WorkloadError(`${dir} is not a workload directory: ${name} is missing`);
  }
  const metaPath = join(abs, 'meta.json');
  const meta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, 'utf8')) : {};
  const queries = readQueries(join(abs, 'queries.jsonl'));
  if (queries.length === 0) throw new WorkloadError(`${dir}/queries.jsonl has no queries`);
  return {
    dir: abs,
    // The size label in the report: the generator's own name for it when meta.json has one.
    label: typeof meta.size === 'string' ? meta.size : basename(abs),
    relationships: typeof meta.relationships === 'number' ? meta.relationships : null,
    schema: readFileSync(join(abs, 'schema.zed'), 'utf8'),
    relationshipsPath: join(abs, 'relationships.txt'),
    queries,
  };
}

/** Queries as Warden's wire strings (`type:id`, `type:id#relation`) plus the expected answer. */
export function readQueries(path) {
  const out = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let q;
      try {
        q = JSON.parse(line);
      } catch {
        throw new WorkloadError(`${path}:${i + 1}: not valid JSON`);
      }
      for (const f of ['resource_type', 'resource_id', 'permission', 'subject_type', 'subject_id']) {
        if (typeof q[f] !== 'string') throw new WorkloadError(`${path}:${i + 1}: \`${f}\` must be a string`);
      }
      if (typeof q.expected !== 'boolean') throw new WorkloadError(`${path}:${i + 1}: \`expected\` must be true or false`);
      const rel = typeof q.subject_relation === 'string' && q.subject_relation !== '' ? `#${q.subject_relation}` : '';
      out.push({
        resource: `${q.resource_type}:${q.resource_id}`,
        permission: q.permission,
        subject: `${q.subject_type}:${q.subject_id}${rel}`,
        expected: q.expected,
      });
    });
  return out;
}

/** Relationship lines the server should count on import (blank lines and comments are not counted). */
export function countRelationshipLines(text) {
  let n = 0;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('//') && !t.startsWith('#')) n++;
  }
  return n;
}
