import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, writeBenchmarkSection } from './benchmark-report';

describe(writeBenchmarkSection.name, () => {
  it('appends a new section and later replaces only that section', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'benchmarks.md');
    writeFileSync(file, '# Benchmarks\n\nintro\n');
    writeBenchmarkSection('search', 'search v1', file);
    writeBenchmarkSection('embedder', 'embedder v1', file);
    writeBenchmarkSection('search', 'search v2', file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('intro');
    expect(text).toContain('<!-- search:start -->\nsearch v2\n<!-- search:end -->');
    expect(text).not.toContain('search v1');
    expect(text).toContain('embedder v1');
    expect(text.indexOf('search v2')).toBeLessThan(text.indexOf('embedder v1'));
  });
});

describe(median.name, () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
