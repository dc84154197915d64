/**
 * How many inference workers a tower gets and how many intra-op threads each
 * session uses when the operator says `auto`: the rule chosen by measurement
 * (docs/benchmarks.md, Embedder), and the CPU cores this process may use.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { ExecutionProvider } from './tower-backend';

/** A count the operator gave, or `auto` for the measured rule. */
export type WorkerCount = number | 'auto';

/** Workers per tower on a CPU are capped: each holds its own copy of the weights (sessions cannot share them here). */
export const MAX_AUTO_CPU_WORKERS = 8;

/**
 * Cores this process may use: the CPUs it may run on, lowered by a cgroup v2 CPU quota
 * (a Kubernetes CPU limit) rounded up, since a pod limited to 2 CPUs on a 64-core node
 * must not start 64 workers.
 */
export function availableCores(cpuMaxPath = '/sys/fs/cgroup/cpu.max'): number {
  const cpus = os.availableParallelism();
  try {
    const [quota, period] = readFileSync(cpuMaxPath, 'utf8').trim().split(/\s+/);
    if (quota !== 'max' && Number(period) > 0) return Math.max(1, Math.min(cpus, Math.ceil(Number(quota) / Number(period))));
  } catch {
    // No cgroup v2 quota file (not Linux, or cgroup v1): the CPU count stands.
  }
  return cpus;
}

/**
 * Intra-op threads per session: `auto` is 1. Independent single-thread sessions side by side
 * beat one session's threads at every concurrency above one, and the pool gives each core its
 * own session (figures in docs/benchmarks.md, Embedder).
 */
export function resolveIntraOpThreads(requested: WorkerCount): number {
  return requested === 'auto' ? 1 : requested;
}

/**
 * Workers per tower once the first session showed where it computes. `auto`: on a GPU one
 * (one session per device already keeps it busy with batches, and another would hold a second
 * copy of the weights in device memory for no throughput); on a CPU as many as there are cores
 * for the threads each uses, at most MAX_AUTO_CPU_WORKERS.
 */
export function resolveInferenceWorkers(requested: WorkerCount, provider: ExecutionProvider, intraOpThreads: number, cores = availableCores()): number {
  if (requested !== 'auto') return requested;
  if (provider === 'cuda') return 1;
  return Math.max(1, Math.min(MAX_AUTO_CPU_WORKERS, Math.floor(cores / Math.max(1, intraOpThreads))));
}

/**
 * Intra-op threads of each tower's latency worker, once the first session showed where it
 * computes; 0: none. `auto`: on a CPU whose throughput workers use fewer threads than there are
 * cores, one thread per core (at most MAX_AUTO_CPU_WORKERS): a lone query then computes on every
 * core (ViT-B/32 text 41 ms against 72 ms single-threaded, docs/benchmarks.md) while the
 * single-thread workers keep the throughput under load. None on a GPU (one session already keeps
 * the device busy), nor where a throughput worker already uses every core.
 */
export function resolveLatencyWorkerThreads(requested: number | 'auto', provider: ExecutionProvider, intraOpThreads: number, cores = availableCores()): number {
  if (requested !== 'auto') return requested;
  if (provider === 'cuda' || intraOpThreads >= cores) return 0;
  return Math.min(MAX_AUTO_CPU_WORKERS, cores);
}
