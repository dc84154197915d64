/**
 * real: the embedded store on disk (temp directory), its log and snapshots.
 * mock: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeVectorStoreConformance } from '../conformance/vector-store.conformance';
import { EmbeddedVectorStore } from './embedded.vector-store';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describeVectorStoreConformance('embedded (on disk)', {
  freshStore: true,
  createStore: () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-store-conformance-'));
    dirs.push(dir);
    return new EmbeddedVectorStore({ dir, durable: false });
  },
});
