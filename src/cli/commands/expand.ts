/** `warden expand RESOURCE PERMISSION`: the userset tree, indented. */
import type { Command } from 'commander';
import type { Message } from '../../api/grpc/codec.js';
import { consistencyFrom, out, positiveInt, runClient, withClientOptions, withConsistencyOptions, type ClientFlags } from '../client.js';

const KIND: Record<string, string> = {
  KIND_UNION: 'union',
  KIND_INTERSECTION: 'intersection',
  KIND_EXCLUSION: 'exclusion',
  KIND_LEAF: 'leaf',
};

/**
 * One line a node, children two spaces deeper:
 *   doc:1#view (union)
 *     doc:1#viewer (leaf)
 *       user:ana
 */
export function formatTree(node: Message, depth = 0): string[] {
  const pad = '  '.repeat(depth);
  const truncated = node.truncated ? ', truncated' : '';
  const lines = [`${pad}${String(node.object)} (${KIND[String(node.kind)] ?? String(node.kind)}${truncated})`];
  for (const s of (node.subjects as string[] | undefined) ?? []) lines.push(`${pad}  ${s}`);
  for (const c of (node.children as Message[] | undefined) ?? []) lines.push(...formatTree(c, depth + 1));
  return lines;
}

export function registerExpandCommand(program: Command): void {
  withConsistencyOptions(withClientOptions(program.command('expand').argument('<resource>', 'type:id').argument('<permission>', 'a permission or relation')))
    .description('print the tree of usersets that computes PERMISSION on RESOURCE')
    .option('--max-depth <n>', 'expand at most this many levels', positiveInt('--max-depth'))
    .option('--json', 'print the tree as JSON')
    .action(async (resource: string, permission: string, opts: ClientFlags & Record<string, unknown>) => {
      await runClient(opts, async (client) => {
        const r = await client.unary('permissions', 'Expand', { resource, permission, maxDepth: opts.maxDepth ?? 0, consistency: consistencyFrom(opts) });
        const tree = r.tree as Message;
        await out(opts.json ? `${JSON.stringify({ tree, zookie: r.zookie }, null, 2)}\n` : `${formatTree(tree).join('\n')}\n`);
      });
    });
}
