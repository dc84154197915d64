/**
 * Progress of a long job (generating, publishing, indexing): a cli-progress bar
 * with rate and ETA on a terminal, plain lines every few seconds otherwise
 * (CI logs, pipes). The rate is measured over the last few seconds, so the ETA
 * follows the current pace rather than the start-up.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressOptions {
  label: string;
  /** What is counted, plural ("products"). */
  unit: string;
  total: number;
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Draw a bar (default: the stream is a TTY). */
  tty?: boolean;
  /** Plain mode: at most one line per interval (default 5 s); the final line always prints. */
  intervalMs?: number;
  now?: () => number;
  /** Extra text after the counts, read at every redraw (e.g. "generated 1200/2000"). */
  detail?: () => string;
}

export interface Progress {
  update(done: number, total?: number): void;
  /** Draws the final state and, in plain mode, prints a summary line. */
  finish(summary?: string): void;
}

const RATE_WINDOW_MS = 10_000;

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  const now = options.now ?? (() => performance.now());
  const rate = new RateMeter(now);
  rate.record(0);
  let total = options.total;
  let done = 0;
  let finished = false;

  if (tty) {
    const bar = new SingleBar({
      stream,
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {rate} ${options.unit}/s | ETA {etaText}${options.detail ? ' | {detail}' : ''}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 5,
      noTTYOutput: false,
    });
    const detail = () => options.detail?.() ?? '';
    bar.start(total, 0, { rate: '0.0', etaText: '…', detail: detail() });
    return {
      update(value, newTotal) {
        if (finished) return;
        if (newTotal !== undefined && newTotal !== total) {
          total = newTotal;
          bar.setTotal(total);
        }
        done = value;
        rate.record(done);
        bar.update(done, { rate: rate.perSecond().toFixed(1), etaText: formatEta(rate.etaSeconds(total - done)), detail: detail() });
      },
      finish(summary) {
        if (finished) return;
        finished = true;
        bar.update(done, { rate: rate.perSecond().toFixed(1), etaText: '0 s', detail: detail() });
        bar.stop();
        if (summary) stream.write(`${summary}\n`);
      },
    };
  }

  const intervalMs = options.intervalMs ?? 5_000;
  // The first line comes after one interval: a job that ends sooner prints only its final line.
  let lastLine = now();
  let lastText = '';
  const line = () => {
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    const eta = done >= total ? '' : `, ETA ${formatEta(rate.etaSeconds(total - done))}`;
    const detail = options.detail ? `; ${options.detail()}` : '';
    const text = `${options.label}: ${done}/${total} ${options.unit} (${percent}%), ${rate.perSecond().toFixed(1)} ${options.unit}/s${eta}${detail}`;
    lastLine = now();
    // The final line repeats nothing already said.
    if (done >= total && lastText.startsWith(`${options.label}: ${done}/${total} `)) return;
    lastText = text;
    stream.write(`${text}\n`);
  };
  return {
    update(value, newTotal) {
      if (finished) return;
      if (newTotal !== undefined) total = newTotal;
      done = value;
      rate.record(done);
      if (now() - lastLine >= intervalMs) line();
    },
    finish(summary) {
      if (finished) return;
      finished = true;
      rate.record(done);
      line();
      if (summary) stream.write(`${summary}\n`);
    },
  };
}

/** Items per second over a sliding window of samples. */
export class RateMeter {
  private readonly samples: { at: number; value: number }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(value: number): void {
    const at = this.now();
    this.samples.push({ at, value });
    while (this.samples.length > 2 && at - this.samples[0].at > RATE_WINDOW_MS) this.samples.shift();
  }

  perSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (last.value - first.value) / seconds) : 0;
  }

  /** Seconds until `remaining` more items at the current pace; Infinity while unknown. */
  etaSeconds(remaining: number): number {
    if (remaining <= 0) return 0;
    const perSecond = this.perSecond();
    return perSecond > 0 ? remaining / perSecond : Infinity;
  }
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '…';
  const rounded = Math.ceil(seconds);
  if (rounded < 60) return `${rounded} s`;
  const minutes = Math.floor(rounded / 60);
  if (minutes < 60) return `${minutes} min ${rounded % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
