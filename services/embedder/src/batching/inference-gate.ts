/**
 * One batch at a time on the accelerator, whichever tower it belongs to: two
 * sessions computing at once only fight over the same cores (or GPU), and a
 * batcher waiting here keeps collecting items, so its batch is fuller when
 * its turn comes. First come, first served.
 */
export class InferenceGate {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  /** Resolves with a release function once this caller holds the gate. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.busy = true;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.busy = false;
          this.waiting.shift()?.();
        });
      };
      if (this.busy) this.waiting.push(grant);
      else grant();
    });
  }

  get queued(): number {
    return this.waiting.length;
  }
}
