/**
 * One place that knows whether the user asked to stop (Ctrl-C / SIGTERM), so
 * each phase of a long start-up (generate, start services, publish, index)
 * can be cut short and everything started so far stopped cleanly.
 */
import { waitForStopSignal } from './signals';

export const STOPPED: unique symbol = Symbol('stopped');

export class StopController {
  private signal: NodeJS.Signals | undefined;
  readonly stopped: Promise<NodeJS.Signals>;

  constructor(onSecondSignal?: (signal: NodeJS.Signals) => void) {
    this.stopped = waitForStopSignal(onSecondSignal).then((signal) => (this.signal = signal));
  }

  get isStopped(): boolean {
    return this.signal !== undefined;
  }

  get receivedSignal(): NodeJS.Signals | undefined {
    return this.signal;
  }

  /** The value of `work`, or STOPPED when a stop signal comes first (the work goes on in the background). */
  race<T>(work: Promise<T>): Promise<T | typeof STOPPED> {
    return Promise.race([work, this.stopped.then((): typeof STOPPED => STOPPED)]);
  }

  /** Sleeps `ms`, waking early on a stop signal. */
  async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
  }
}
