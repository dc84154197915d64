// Unit tier: real: the sizing rule and the cgroup quota parsing (files written to a temporary folder); fake: nothing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availableCores, MAX_AUTO_CPU_WORKERS, resolveInferenceWorkers, resolveIntraOpThreads, resolveLatencyWorkerThreads } from './inference-sizing';

describe('inference sizing', () => {
  it('gives each CPU core a single-thread worker when both are auto, up to the cap', () => {
    const threads = resolveIntraOpThreads('auto');
    expect(threads).toBe(1);
    expect(resolveInferenceWorkers('auto', 'cpu', threads, 2)).toBe(2);
    expect(resolveInferenceWorkers('auto', 'cpu', threads, 64)).toBe(MAX_AUTO_CPU_WORKERS);
  });

  it('divides the cores by the threads each worker was given', () => {
    expect(resolveInferenceWorkers('auto', 'cpu', 2, 8)).toBe(4);
    expect(resolveInferenceWorkers('auto', 'cpu', 4, 2)).toBe(1);
  });

  it('runs one worker per GPU', () => {
    expect(resolveInferenceWorkers('auto', 'cuda', 1, 32)).toBe(1);
  });

  it('keeps counts the operator gave', () => {
    expect(resolveInferenceWorkers(3, 'cuda', 1, 2)).toBe(3);
    expect(resolveIntraOpThreads(4)).toBe(4);
  });

  it('gives a CPU tower of single-thread workers a latency worker with a thread per core, up to the cap', () => {
    expect(resolveLatencyWorkerThreads('auto', 'cpu', 1, 2)).toBe(2);
    expect(resolveLatencyWorkerThreads('auto', 'cpu', 2, 8)).toBe(8);
    expect(resolveLatencyWorkerThreads('auto', 'cpu', 1, 64)).toBe(MAX_AUTO_CPU_WORKERS);
  });

  it('starts no latency worker on a GPU, on one core, or where a worker already uses every core', () => {
    expect(resolveLatencyWorkerThreads('auto', 'cuda', 1, 32)).toBe(0);
    expect(resolveLatencyWorkerThreads('auto', 'cpu', 1, 1)).toBe(0);
    expect(resolveLatencyWorkerThreads('auto', 'cpu', 2, 2)).toBe(0);
  });

  it('keeps the latency worker threads the operator gave, 0 turning it off', () => {
    expect(resolveLatencyWorkerThreads(0, 'cpu', 1, 8)).toBe(0);
    expect(resolveLatencyWorkerThreads(3, 'cuda', 1, 8)).toBe(3);
  });

  it('lowers the core count to a cgroup CPU quota, rounded up, and ignores an unlimited one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cpu-max-'));
    const limited = path.join(dir, 'limited');
    const unlimited = path.join(dir, 'unlimited');
    writeFileSync(limited, '150000 100000\n');
    writeFileSync(unlimited, 'max 100000\n');
    expect(availableCores(limited)).toBe(Math.min(2, os.availableParallelism()));
    expect(availableCores(unlimited)).toBe(os.availableParallelism());
    expect(availableCores(path.join(dir, 'missing'))).toBe(os.availableParallelism());
  });
});
