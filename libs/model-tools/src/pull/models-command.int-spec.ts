/**
 * `vsearch models pull` and `vsearch models list` as a user runs them.
 * real: the CLI as a child process (HF_ENDPOINT pointing at FakeHub, a local node:http server), the file system.
 * mock: nothing.
 */
import { REPO_ROOT } from '@vsearch/testing';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeHub } from './fake-hub.testing';

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'tools/cli/bin/vsearch.js'), ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('vsearch models', () => {
  const hub = FakeHub.clipFixtures('test-org/clip-test');
  let modelsDir: string;

  beforeAll(async () => {
    await hub.start();
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'models-cli-'));
  });

  afterAll(async () => {
    await hub.stop();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('pulls with plain progress lines when not on a terminal, lists the model, and refuses to pull it again', async () => {
    const env = { HF_ENDPOINT: hub.endpoint };
    const pull = await runCli(['models', 'pull', 'clip-test', '--repo', 'test-org/clip-test', '--dir', modelsDir], env);
    expect(pull.stderr).toMatch(/onnx\/vision_model\.onnx: 0\.3 MB \/ 0\.3 MB \(100%\) at [\d.]+ MB\/s/);
    expect(pull.stderr).not.toContain('\r');
    expect(pull.stdout).toContain(`pulled clip-test@`);
    expect(pull.code).toBe(0);

    const list = await runCli(['models', 'list', '--dir', modelsDir], env);
    expect(list.stdout).toMatch(/clip-test@\S+ {2}dimension 512 {2}image 224px {2}text 77 tokens/);

    const again = await runCli(['models', 'pull', 'clip-test', '--repo', 'test-org/clip-test', '--dir', modelsDir], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; pass --force');
  });

  it('explains a 404 and leaves no staging directory behind', async () => {
    const result = await runCli(['models', 'pull', 'other', '--repo', 'test-org/missing', '--dir', modelsDir], { HF_ENDPOINT: hub.endpoint });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/onnx\/vision_model\.onnx was not found: .* HTTP 404/);
    expect(existsSync(path.join(modelsDir, '.pull-other'))).toBe(false);
  });

  it('refuses an unknown --dtype, naming the accepted ones', async () => {
    const result = await runCli(['models', 'pull', 'other', '--repo', 'test-org/clip-test', '--dtype', 'int3', '--dir', modelsDir], {
      HF_ENDPOINT: hub.endpoint,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown dtype "int3": expected one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4');
  });

  it('pulls a file large enough to wait on the disk many times without a MaxListenersExceededWarning', async () => {
    // 8 MB arrives in far more chunks than the write stream buffers (16 KB), so most writes wait for
    // 'drain'; a listener left behind per wait used to make Node print this warning after ten.
    // The warning is checked where the user saw it, on the CLI's stderr: jest's sandboxed `process`
    // does not receive the real process's 'warning' events.
    const bigHub = FakeHub.clipFixtures('test-org/clip-big');
    bigHub.files.set('onnx/vision_model.onnx', { body: randomBytes(8_000_000), lfs: true });
    await bigHub.start();
    try {
      const pull = await runCli(['models', 'pull', 'clip-big', '--repo', 'test-org/clip-big', '--dir', modelsDir], { HF_ENDPOINT: bigHub.endpoint });
      expect(pull.code).toBe(0);
      expect(pull.stderr).toContain('onnx/vision_model.onnx: 8.0 MB / 8.0 MB (100%)');
      expect(pull.stderr).not.toContain('MaxListenersExceededWarning');
      expect(readdirSync(path.join(modelsDir, 'clip-big'))).toContain('vision.onnx');
    } finally {
      await bigHub.stop();
    }
  });
});
