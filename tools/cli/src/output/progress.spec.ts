import { PassThrough } from 'node:stream';
import { createProgress, formatEta, RateMeter } from './progress';

function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('createProgress (plain lines, not a TTY)', () => {
  it('prints only the final line of a job shorter than the interval', () => {
    let clock = 0;
    const out = capture();
    const progress = createProgress({ label: 'publishing', unit: 'lines', total: 20, stream: out.stream, tty: false, intervalMs: 5000, now: () => clock });
    clock = 400;
    progress.update(20);
    clock = 500;
    progress.finish();
    expect(out.text()).toBe('publishing: 20/20 lines (100%), 40.0 lines/s\n');
  });

  it('prints at most one line per interval with count, percentage, rate and ETA, and always the final line', () => {
    let clock = 0;
    const out = capture();
    const progress = createProgress({ label: 'indexing', unit: 'products', total: 100, stream: out.stream, tty: false, intervalMs: 5000, now: () => clock });
    progress.update(0);
    clock = 1000;
    progress.update(10);
    clock = 5000;
    progress.update(50);
    clock = 6000;
    progress.update(60);
    progress.finish('indexed 60 products');
    const lines = out.text().trim().split('\n');
    expect(lines).toEqual([
      'indexing: 50/100 products (50%), 10.0 products/s, ETA 5 s',
      'indexing: 60/100 products (60%), 10.0 products/s, ETA 4 s',
      'indexed 60 products',
    ]);
  });

  it('follows a total that grows while the job runs', () => {
    let clock = 0;
    const out = capture();
    const progress = createProgress({ label: 'reindex', unit: 'products', total: 0, stream: out.stream, tty: false, intervalMs: 0, now: () => clock });
    clock = 1000;
    progress.update(5, 20);
    expect(out.text()).toContain('5/20 products (25%)');
  });
});

describe(RateMeter.name, () => {
  it('measures the pace over the recent window, not since the start', () => {
    let clock = 0;
    const meter = new RateMeter(() => clock);
    meter.record(0);
    clock = 20_000;
    meter.record(10); // slow start: 0.5/s
    clock = 21_000;
    meter.record(110); // then 100/s
    expect(meter.perSecond()).toBeCloseTo(100, 5);
    expect(meter.etaSeconds(200)).toBeCloseTo(2, 5);
  });

  it('has no ETA before it has seen progress', () => {
    const meter = new RateMeter(() => 0);
    meter.record(0);
    expect(meter.etaSeconds(10)).toBe(Infinity);
    expect(meter.etaSeconds(0)).toBe(0);
  });
});

describe(formatEta.name, () => {
  it('writes seconds, minutes and hours', () => {
    expect(formatEta(Infinity)).toBe('…');
    expect(formatEta(4.2)).toBe('5 s');
    expect(formatEta(125)).toBe('2 min 5 s');
    expect(formatEta(7300)).toBe('2 h 1 min');
  });
});
