/**
 * Process helpers for integration tests, e2e tests and benchmarks: free ports, polling with a
 * deadline, and running the `vsearch` command line (the repository's public entry point) as a
 * child process whose output is captured. Tests of one service never import another service's code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const VSEARCH_CLI = path.join(REPO_ROOT, 'tools/cli/bin/vsearch.js');
/** Runs a TypeScript entry point as the service images do (`node tools/cli/bin/run-ts.js services/<name>/src/main.ts`). */
export const RUN_TS = path.join(REPO_ROOT, 'tools/cli/bin/run-ts.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true or `timeoutMs` passes; the last error is in the message. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** Environment settings for a child; `undefined` removes a variable the child would otherwise inherit. */
export type EnvSettings = Record<string, string | number | undefined>;

/** `base` with `settings` applied, as the strings a child's environment holds. */
export function toProcessEnv(base: NodeJS.ProcessEnv, settings: EnvSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [variable, value] of Object.entries(settings)) {
    if (value === undefined) delete env[variable];
    else env[variable] = String(value);
  }
  return env;
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything the process printed so far, stdout and stderr interleaved as they came. */
  output(): string;
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
  /** Whether the process has not exited yet. */
  isRunning(): boolean;
  /** Sends `signal` (SIGTERM by default), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<number | null>;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<number | null>;
}

export interface SpawnCliOptions {
  /** Applied over this process's environment. */
  env?: EnvSettings;
  /** Also write the child's stdout and stderr to this process's (a benchmark showing progress). */
  echo?: boolean;
}

/** Runs `node tools/cli/bin/vsearch.js <args>` from the repository root, capturing its output. */
export function spawnCli(args: string[], options: SpawnCliOptions = {}): CliProcess {
  return spawnNodeScript(VSEARCH_CLI, args, options);
}

/** Runs `node <script> <args>` from the repository root, capturing its output. */
export function spawnNodeScript(script: string, args: string[], options: SpawnCliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: REPO_ROOT,
    env: toProcessEnv(process.env, options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) process.stdout.write(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) process.stderr.write(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    exited,
    isRunning,
    async stop({ signal = 'SIGTERM', graceMs = 10_000 } = {}) {
      if (!isRunning()) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (isRunning()) child.kill('SIGKILL');
      return exited;
    },
  };
}
