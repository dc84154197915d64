import * as grpc from '@grpc/grpc-js';
import { embedderV1 } from '@vsearch/proto';
import { REPO_ROOT } from '@vsearch/testing';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runGrpcLoad } from './grpc-runner';
import type { GrpcScenario } from './scenario';

/**
 * Real: the open-loop HTTP and gRPC runners against local servers, and the runner's CLI as
 * a child process. The servers stand in for the stack so the runner's
 * measuring and exit codes are tested, not the stack's speed.
 */
describe('load runner', () => {
  let server: Server;
  let baseUrl: string;
  let failEvery = 0;
  let served = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      served += 1;
      if (request.url === '/readyz') return void response.end('{"status":"ready"}');
      if (failEvery && served % failEvery === 0) {
        response.writeHead(500);
        return void response.end('{"error":{"code":"boom","message":"planted"}}');
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"results":[{"productId":"p-1"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function scenarioFile(overrides: object): string {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'load-')), 'scenario.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'tiny',
        description: 'test',
        protocol: 'http',
        target: { env: 'VSEARCH_API_URL', default: 'http://127.0.0.1:1' },
        // As many VUs as arrivals, so none is dropped however slowly this machine answers.
        profile: { rate: 40, duration: '2s', preAllocatedVUs: 4, maxVUs: 80 },
        requests: [{ kind: 'text-search', weight: 1, queries: ['red mug'] }],
        // Latency limits no local answer comes near (a request times out at 10 s): these tests are
        // about counting and exit codes; evaluateThresholds' unit test covers the latency limits.
        thresholds: { errorRate: 0, p95Ms: 60_000, p99Ms: 60_000 },
        ...overrides,
      }),
    );
    return file;
  }

  // Asynchronous on purpose: the servers live in this process and must keep answering.
  function runCli(file: string, target = baseUrl, args = ['--json']): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['tools/cli/bin/run-ts.js', 'load-tests/runner/run.ts', file, ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, VSEARCH_API_URL: target },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('exit', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  it('runs a scenario at its arrival rate and exits 0 when thresholds hold', async () => {
    failEvery = 0;
    served = 0;
    const run = await runCli(scenarioFile({}));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { result } = JSON.parse(run.stdout) as { result: { requests: number; errors: number } };
    // Open loop at 40/s for 2 s: the schedule alone sets the count (open-loop.spec.ts pins it
    // down with a fake clock), whatever the machine's speed: 80 requests.
    expect(result.requests).toBe(80);
    expect(result.errors).toBe(0);
  });

  it('exits non-zero, like k6, when the error-rate threshold fails', async () => {
    failEvery = 5;
    const run = await runCli(scenarioFile({}));
    expect(run.status).toBe(1);
    const { outcomes } = JSON.parse(run.stdout) as { outcomes: { name: string; passed: boolean }[] };
    expect(outcomes.find((outcome) => outcome.name === 'error rate')?.passed).toBe(false);
  });

  it('fails fast when the target is down', async () => {
    const run = await runCli(scenarioFile({}), 'http://127.0.0.1:9', []);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('is not ready');
  });

  it('measures a gRPC scenario open-loop with the repository proto', async () => {
    const grpcServer = new grpc.Server();
    let calls = 0;
    grpcServer.addService(embedderV1.EmbedderServiceService, {
      getModelInfo: (_call: unknown, callback: grpc.sendUnaryData<embedderV1.GetModelInfoResponse>) =>
        callback(null, {
          modelId: 'm@1',
          dimension: 4,
          imageSize: 8,
          mean: [],
          std: [],
          resize: '',
          crop: '',
          contextLength: 4,
          executionProvider: 'cpu',
          textScoreThreshold: 0,
          logitScale: 100,
          loadedModelIds: ['m@1'],
        }),
      embedTexts: (call: grpc.ServerUnaryCall<embedderV1.EmbedTextsRequest, unknown>, callback: grpc.sendUnaryData<embedderV1.EmbedTextsResponse>) => {
        calls += 1;
        callback(null, {
          embeddings: { count: call.request.texts.length, dimension: 4, vectors: Buffer.alloc(16 * call.request.texts.length), modelId: 'm@1' },
        });
      },
      embedImages: (call: grpc.ServerUnaryCall<embedderV1.EmbedImagesRequest, unknown>, callback: grpc.sendUnaryData<embedderV1.EmbedImagesResponse>) => {
        calls += 1;
        const wrongSize = call.request.images.some((image) => image.pixels?.length !== 8 * 8 * 3);
        if (wrongSize) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'wrong pixel length' });
        callback(null, {
          embeddings: { count: call.request.images.length, dimension: 4, vectors: Buffer.alloc(16 * call.request.images.length), modelId: 'm@1' },
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const scenario: GrpcScenario = {
      name: 'grpc-tiny',
      description: 'test',
      protocol: 'grpc',
      target: { env: 'EMBEDDER_ADDR', default: `127.0.0.1:${port}` },
      // As many VUs as arrivals: none is dropped, so every scheduled call reaches the server.
      profile: { rate: 50, duration: '1s', preAllocatedVUs: 4, maxVUs: 50 },
      requests: [
        { kind: 'embed-texts', weight: 1, texts: ['red mug'], priority: 'PRIORITY_INTERACTIVE' },
        { kind: 'embed-images', weight: 1, batch: 2, priority: 'PRIORITY_BULK' },
      ],
      thresholds: { errorRate: 0, p95Ms: 60_000, p99Ms: 60_000 },
    };
    try {
      const result = await runGrpcLoad(scenario, `127.0.0.1:${port}`);
      expect(result.errorsByReason).toEqual({});
      expect(result.errors).toBe(0);
      expect(result.requests).toBe(50);
      expect(calls).toBe(50);
      expect(result.latencyMs.p95).toBeGreaterThan(0);
    } finally {
      grpcServer.forceShutdown();
    }
  });
});
