/** real: the embedded file event log. mock: nothing. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileEventLog } from './file.event-log';
import { GOLDEN_QUERIES_KEY, GoldenQueryLog } from './golden-query.log';

describe(GoldenQueryLog.name, () => {
  let dir: string;
  let log: FileEventLog;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'golden-'));
    log = new FileEventLog({ dir, sync: false });
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no set before one is stored, then serves the newest, skipping a record that does not parse', async () => {
    const golden = new GoldenQueryLog(log, 'golden');
    expect(await golden.get()).toBeUndefined();
    await golden.put({ queries: [{ query: 'red boots', expectedProductIds: ['a'] }], updatedAt: '2026-12-01T10:00:00.000Z' });
    await golden.put({ queries: [{ imageUrl: 'https://img.example.com/b.jpg', expectedProductIds: ['b', 'c'] }], updatedAt: '2026-12-01T11:00:00.000Z' });
    await log.publishOne('golden', GOLDEN_QUERIES_KEY, '{"queries": "not a list"}');
    expect(await new GoldenQueryLog(log, 'golden').get()).toEqual({
      queries: [{ imageUrl: 'https://img.example.com/b.jpg', expectedProductIds: ['b', 'c'] }],
      updatedAt: '2026-12-01T11:00:00.000Z',
    });
  });

  it('refuses to store a set that breaks the contract', async () => {
    await expect(new GoldenQueryLog(log, 'golden').put({ queries: [{ query: '', expectedProductIds: ['a'] }], updatedAt: 'yesterday' })).rejects.toThrow();
  });
});
