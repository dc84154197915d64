/**
 * Probe latency under a decode flood (issue 16): embedder, search and the query API started by the
 * @vsearch/testing harness (bundled model on CPU, an embedded store with an empty live generation), then FLOOD_CLIENTS
 * clients upload a FLOOD_SIDE² 16-bit PNG back to back for FLOOD_SECONDS while /healthz is probed
 * every 50 ms. Prints upload answers by status and the probe latency percentiles.
 *
 *   node tools/cli/bin/run-ts.js services/query-api/bench/decode-flood.bench.ts
 */
import { startStack } from '@vsearch/testing';
import { createEmptyLiveGeneration, heavyPng, percentile, runDecodeFlood } from '../src/testing/decode-flood';

const clients = Number(process.env.FLOOD_CLIENTS ?? 16);
const seconds = Number(process.env.FLOOD_SECONDS ?? 20);
const side = Number(process.env.FLOOD_SIDE ?? 4000);
/** Each client's uploads at least this far apart; 0 (the default): back to back, as fast as refusals come back. */
const clientIntervalMs = Number(process.env.FLOOD_CLIENT_INTERVAL_MS ?? 0);

async function main(): Promise<void> {
  const stack = await startStack({
    services: ['embedder', 'search', 'query-api'],
    serviceEnv: { 'query-api': { RATE_LIMIT_BURST: 100_000, RATE_LIMIT_PER_SECOND: 100_000, LOG_LEVEL: 'error' } },
  });
  try {
    await createEmptyLiveGeneration(stack.addresses);
    const image = await heavyPng(side);
    const result = await runDecodeFlood({
      baseUrl: stack.service('query-api').address,
      clients,
      durationMs: seconds * 1000,
      probeEveryMs: 50,
      requestDeadlineMs: 60_000,
      clientIntervalMs,
      image,
    });
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(`decode flood: ${clients} clients × ${side}×${side} 16-bit PNG (${image.length} bytes) for ${seconds} s`);
    console.log(`uploads by status: ${JSON.stringify(result.uploads)}; Retry-After of 503s: ${[...new Set(result.retryAfterSeconds)].join(', ') || 'none'}`);
    console.log(
      `/healthz: ${result.probeMs.length} probes, p50 ${ms(percentile(result.probeMs, 50))}, p95 ${ms(percentile(result.probeMs, 95))}, ` +
        `p99 ${ms(percentile(result.probeMs, 99))}, max ${ms(Math.max(...result.probeMs))}, failures ${result.probeFailures}`,
    );
  } finally {
    await stack.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
