/**
 * `warden import FILE`: streams relationships to ImportRelationships in batches, with a progress bar on a
 * terminal. Every relationship is a touch, so running the same import twice is safe (and resumes one
 * that failed half-way).
 */
import { performance } from 'node:perf_hooks';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { out, positiveInt, runClient, withClientOptions, type ClientFlags } from '../client.js';
import { isSkipped, openImportSource } from './import-sources.js';

/** Keeps each message far below the server's default 16 MiB limit whatever the line lengths. */
const MAX_BATCH_BYTES = 1024 * 1024;

export function registerImportCommand(program: Command): void {
  withClientOptions(
    program
      .command('import')
      .argument('<file>', 'one relationship a line, NDJSON, or a validation YAML (.yaml/.yml) with a relationships: block; - for stdin'),
  )
    .description('import relationships (touch: safe to run twice)')
    .option('--batch-size <n>', 'relationships per message', positiveInt('--batch-size'), 1000)
    .action(async (file: string, opts: ClientFlags & { batchSize: number }) => {
      await runClient(opts, async (client) => {
        const source = await openImportSource(file);
        const bar =
          process.stderr.isTTY && source.total
            ? new SingleBar(
                { stream: process.stderr, format: 'importing [{bar}] {percentage}% | {sent} relationships | ETA {eta_formatted}', hideCursor: true },
                Presets.shades_classic,
              )
            : undefined;
        bar?.start(source.total!, 0, { sent: 0 });
        const started = performance.now();
        const call = client.clientStream('relationships', 'ImportRelationships');
        try {
          let batch: string[] = [];
          let bytes = 0;
          let sent = 0;
          for await (const { line, progress } of source.lines) {
            batch.push(line);
            bytes += line.length;
            if (!isSkipped(line)) sent++;
            if (batch.length >= opts.batchSize || bytes >= MAX_BATCH_BYTES) {
              await call.send({ relationships: batch });
              batch = [];
              bytes = 0;
              bar?.update(progress, { sent });
            }
          }
          if (batch.length > 0) await call.send({ relationships: batch });
          const r = await call.finish();
          bar?.update(source.total!, { sent });
          bar?.stop();
          const seconds = (performance.now() - started) / 1000;
          const count = Number(r.count);
          const rate = seconds > 0 ? Math.round(count / seconds) : count;
          await out(`imported ${count} relationships in ${seconds.toFixed(2)} s (${rate}/s), zookie ${String(r.zookie)}\n`);
        } catch (e) {
          bar?.stop();
          call.cancel();
          throw e;
        }
      });
    });
}
