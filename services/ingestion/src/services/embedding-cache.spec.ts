import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddingCache, loadEmbeddingCache, saveEmbeddingCache } from './embedding-cache';

describe(EmbeddingCache.name, () => {
  it('keys by image bytes and model id', () => {
    const bytes = Buffer.from('photo');
    expect(EmbeddingCache.keyOf(bytes, 'm@1')).toBe(EmbeddingCache.keyOf(Buffer.from('photo'), 'm@1'));
    expect(EmbeddingCache.keyOf(bytes, 'm@1')).not.toBe(EmbeddingCache.keyOf(bytes, 'm@2'));
    expect(EmbeddingCache.keyOf(bytes, 'm@1')).not.toBe(EmbeddingCache.keyOf(Buffer.from('photo2'), 'm@1'));
  });

  it('evicts the least recently used entry beyond its capacity', () => {
    const cache = new EmbeddingCache(2);
    cache.set('a', Float32Array.of(1));
    cache.set('b', Float32Array.of(2));
    expect(cache.get('a')).toEqual(Float32Array.of(1));
    cache.set('c', Float32Array.of(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('survives a save and a load, and ignores a damaged file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'embedding-cache-'));
    const file = path.join(dir, 'cache.bin');
    const cache = new EmbeddingCache(10);
    cache.set('m@1:aa', Float32Array.of(0.5, -0.25, 1));
    cache.set('m@1:bb', Float32Array.of(0.125, 0, -1));
    expect(await saveEmbeddingCache(cache, file)).toBe(2);
    const loaded = new EmbeddingCache(10);
    expect(await loadEmbeddingCache(loaded, file)).toBe(2);
    expect(loaded.get('m@1:aa')).toEqual(Float32Array.of(0.5, -0.25, 1));
    expect(loaded.get('m@1:bb')).toEqual(Float32Array.of(0.125, 0, -1));
    writeFileSync(file, 'garbage');
    expect(await loadEmbeddingCache(new EmbeddingCache(10), file)).toBe(0);
    expect(await loadEmbeddingCache(new EmbeddingCache(10), path.join(dir, 'missing.bin'))).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
