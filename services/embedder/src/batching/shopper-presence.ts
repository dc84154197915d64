/**
 * Whether shoppers are about: an interactive request arrived on any tower
 * within the window. Shared by the towers' batchers, so a text query keeps a
 * worker of the image tower free of bulk work too: on a CPU the towers share
 * the cores, and a query must not wait for cores that bulk images hold.
 */
export class ShopperPresence {
  private lastArrival = Number.NEGATIVE_INFINITY;

  constructor(readonly windowMs = 1000) {
    if (!(windowMs >= 0)) throw new RangeError(`the shopper window must not be negative, got ${windowMs}`);
  }

  noteArrival(now: number): void {
    this.lastArrival = Math.max(this.lastArrival, now);
  }

  about(now: number): boolean {
    return now - this.lastArrival <= this.windowMs;
  }
}
