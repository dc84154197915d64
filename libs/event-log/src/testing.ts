/**
 * Test helpers (imported by *.int-spec.ts and benchmarks, never by production code): the
 * Kafka broker the integration tests use (`KAFKA_BROKERS`, or the one `tools/kafka/kafka.sh`
 * starts), and a dedicated broker that a test may kill and restart.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '../../..');
const KAFKA_SH = path.join(REPO_ROOT, 'tools/kafka/kafka.sh');

/** The brokers of the shared test cluster: `KAFKA_BROKERS`, else the repository's local broker (started if needed). */
export async function kafkaBrokersForTests(): Promise<string> {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  const { stdout } = await run('bash', [KAFKA_SH, 'start', '--print-brokers'], { cwd: REPO_ROOT, timeout: 240_000 });
  const brokers = stdout.trim().split('\n').pop() ?? '';
  process.env.KAFKA_BROKERS = brokers;
  return brokers;
}

export interface DedicatedKafka {
  brokers: string;
  /** Stops the broker, keeping its data (an outage); `hard` kills it with SIGKILL, no clean shutdown. */
  kill(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

/** A broker of its own (own state dir and port) for tests that take the broker down. */
export async function startDedicatedKafka(stateDir: string): Promise<DedicatedKafka> {
  const env = { ...process.env, KAFKA_STATE_DIR: stateDir };
  const kafka = (command: string, ...args: string[]) => run('bash', [KAFKA_SH, command, ...args], { cwd: REPO_ROOT, env, timeout: 240_000 });
  const { stdout } = await kafka('start', '--print-brokers');
  return {
    brokers: stdout.trim().split('\n').pop() ?? '',
    kill: async (options = {}) => {
      if (options.hard) {
        const pid = Number(readFileSync(path.join(stateDir, 'kafka.pid'), 'utf8').trim());
        process.kill(pid, 'SIGKILL');
        await waitForExit(pid);
      }
      await kafka('kill');
    },
    restart: async () => void (await kafka('restart', '--print-brokers')),
    stop: async () => void (await kafka('stop')),
  };
}

/** A topic-name prefix of its own, so tests sharing one broker never see each other's events. */
export function uniqueTopicPrefix(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}.`;
}

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
