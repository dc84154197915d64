/**
 * `vsearch generate` as a user runs it.
 * real: the CLI as a child process, sharp, the file system. mock: nothing.
 */
import { REPO_ROOT } from '@vsearch/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function vsearch(args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'tools/cli/bin/vsearch.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
}

describe('vsearch generate', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'vsearch-generate-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes the catalog, images and manifest, held-out combinations only when asked', () => {
    const result = vsearch([
      'generate',
      '--seed',
      '9',
      '--count',
      '6',
      '--out',
      out,
      '--only-held-out',
      '--images-per-product',
      '2',
      '--base-url',
      'http://cdn.test/x',
    ]);
    expect(result.stderr).toContain('generate: 6/6 products (100%), 12 images');
    expect(result.stdout).toContain('wrote 6 products and 12 images');
    expect(result.status).toBe(0);
    const events = readFileSync(path.join(out, 'catalog.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.productId)).toEqual(['s9-000001', 's9-000002', 's9-000003', 's9-000004', 's9-000005', 's9-000006']);
    for (const event of events) {
      expect(['purple+dotted', 'orange+checked']).toContain(`${event.attributes.colour}+${event.attributes.pattern}`);
      expect(event.images[0].url).toMatch(new RegExp(`^http://cdn\\.test/x/${event.productId}/img-1\\.(jpg|png|webp)$`));
    }
    expect(readdirSync(path.join(out, 'images'))).toHaveLength(6);
    expect(readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12);
  });

  it('refuses contradictory or malformed options', () => {
    const both = vsearch(['generate', '--seed', '1', '--count', '1', '--out', out, '--only-held-out', '--exclude-held-out']);
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('exclude each other');
    const badSeed = vsearch(['generate', '--seed', 'x', '--count', '1', '--out', out]);
    expect(badSeed.status).toBe(2);
    expect(badSeed.stderr).toContain('--seed must be an integer');
  });
});
