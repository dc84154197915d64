/**
 * A catalog event's indexing time under a decode flood, in the one-process stack (issue 16):
 * `vsearch start --count EVENT_BENCH_CATALOG` (the four services in one process, which share its
 * CPU and libuv thread pool), then EVENT_RUNS probe events one after another with nothing else
 * running (each with a photo never seen before, so it is fetched, decoded and embedded), then
 * FLOOD_CLIENTS clients upload FLOOD_SIDE² 16-bit PNGs to the query API, each at most one per
 * FLOOD_CLIENT_INTERVAL_MS (default 600: 12 clients send 20 uploads/s, issue 16's flood; 0: back to
 * back, as fast as refusals come back), while EVENT_RUNS more probe events are timed. Prints both medians, their ratio, the uploads by
 * status and the dead letters (expected 0: ingestion's decodes wait, they are never refused).
 *
 *   node tools/cli/bin/run-ts.js services/query-api/bench/event-under-flood.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeMachine, freePort, isolatedEmbeddedStackEnv, median, startEmbeddedStack } from '@vsearch/testing';
import { CatalogEventTimer } from '../src/testing/catalog-event-timing';
import { heavyPng, runDecodeFlood } from '../src/testing/decode-flood';

const runs = Number(process.env.EVENT_RUNS ?? 5);
const catalogSize = Number(process.env.EVENT_BENCH_CATALOG ?? 20);
const clients = Number(process.env.FLOOD_CLIENTS ?? 12);
const side = Number(process.env.FLOOD_SIDE ?? 4000);
const clientIntervalMs = Number(process.env.FLOOD_CLIENT_INTERVAL_MS ?? 600);
/** The flood starts this long before the first loaded probe, so every decode slot and queue place is taken. */
const FLOOD_WARM_UP_MS = 3_000;
const EVENT_DEADLINE_MS = 300_000;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-event-flood-'));
  const [queryApiPort, searchPort] = [await freePort(), await freePort()];
  const stack = await startEmbeddedStack({
    args: ['--count', String(catalogSize)],
    env: {
      ...isolatedEmbeddedStackEnv({ dataDir, queryApiPort, searchPort }),
      // One client is many shoppers here: the per-client rate limit would refuse the flood before the decode gate sees it.
      RATE_LIMIT_ENABLED: 'false',
    },
  });
  const timer = new CatalogEventTimer({ dataDir, queryApiPort, searchPort });
  try {
    // One untimed event first: the first fetch, decode and embed of a process warm caches and JIT.
    await timer.timeOneEvent(EVENT_DEADLINE_MS);
    const unloaded: number[] = [];
    for (let i = 0; i < runs; i++) unloaded.push(await timer.timeOneEvent(EVENT_DEADLINE_MS));

    const image = await heavyPng(side);
    const stopFlood = new AbortController();
    const flood = runDecodeFlood({
      baseUrl: `http://127.0.0.1:${queryApiPort}`,
      clients,
      durationMs: 30 * 60_000,
      probeEveryMs: 250,
      requestDeadlineMs: 60_000,
      clientIntervalMs,
      image,
      signal: stopFlood.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, FLOOD_WARM_UP_MS));
    const loaded: number[] = [];
    try {
      for (let i = 0; i < runs; i++) loaded.push(await timer.timeOneEvent(EVENT_DEADLINE_MS));
    } finally {
      stopFlood.abort();
    }
    const result = await flood;
    const ms = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    console.log(`machine: ${describeMachine()}; one-process stack (vsearch start --count ${catalogSize})`);
    console.log(`unloaded: median ${median(unloaded).toFixed(0)} ms (${ms(unloaded)})`);
    console.log(
      `under the flood (${clients} clients × ${side}×${side} 16-bit PNG, each at most one per ${clientIntervalMs} ms): median ${median(loaded).toFixed(0)} ms (${ms(loaded)})`,
    );
    console.log(`ratio (flood / unloaded medians): ${(median(loaded) / median(unloaded)).toFixed(2)}`);
    console.log(`uploads by status: ${JSON.stringify(result.uploads)}; dead letters: ${await timer.deadLetters()}`);
  } finally {
    await timer.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
