/** `warden lookup-subjects RESOURCE PERMISSION SUBJECT_TYPE`: the subjects that have the permission. */
import type { Command } from 'commander';
import type { Message } from '../../api/grpc/codec.js';
import { consistencyFrom, out, positiveInt, runClient, withClientOptions, withConsistencyOptions, type ClientFlags } from '../client.js';

/** `user:ana`, `team:sales#member`, or `user:* except user:bob, user:eve`. */
export function formatLookedUpSubject(subjectType: string, s: Message): string {
  const [type, relation] = subjectType.split('#');
  const ref = (id: string) => `${type}:${id}${relation ? `#${relation}` : ''}`;
  const excluded = (s.excludedSubjectIds as string[] | undefined) ?? [];
  return excluded.length > 0 ? `${ref(String(s.subjectId))} except ${excluded.map(ref).join(', ')}` : ref(String(s.subjectId));
}

export function registerLookupSubjectsCommand(program: Command): void {
  withConsistencyOptions(
    withClientOptions(
      program
        .command('lookup-subjects')
        .argument('<resource>', 'type:id, e.g. channel:wa1')
        .argument('<permission>', 'e.g. send')
        .argument('<subject-type>', 'type or type#relation, e.g. user or team#member'),
    ),
  )
    .description('print the SUBJECT_TYPE subjects with PERMISSION on RESOURCE, one a line')
    .option('--limit <n>', 'print at most this many', positiveInt('--limit'))
    .option('--cursor <cursor>', 'continue after a previous --limit')
    .action(async (resource: string, permission: string, subjectType: string, opts: ClientFlags & Record<string, unknown>) => {
      await runClient(opts, async (client) => {
        const req = { resource, permission, subjectType, consistency: consistencyFrom(opts), limit: opts.limit ?? 0, cursor: opts.cursor ?? '' };
        let cursor = '';
        for await (const m of client.serverStream('permissions', 'LookupSubjects', req)) {
          const subjects = m.subjects as Message[];
          if (subjects.length > 0) await out(`${subjects.map((s) => formatLookedUpSubject(subjectType, s)).join('\n')}\n`);
          cursor = String(m.afterCursor);
        }
        if (cursor) process.stderr.write(`more subjects follow: --cursor ${cursor}\n`);
      });
    });
}
