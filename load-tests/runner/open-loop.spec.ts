/**
 * real: the open-loop schedule. fake: time (a clock whose sleeps advance it at
 * once, optionally overshooting like a late timer) and the requests (promises
 * the test settles).
 */
import { runOpenLoop, type Arrival, type Clock } from './open-loop';

class FakeClock implements Clock {
  constructor(
    private time: number,
    /** How much later than asked every sleep ends, like a timer on a busy machine. */
    private readonly overshootMs = 0,
  ) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    this.time += ms + this.overshootMs;
    return Promise.resolve();
  }
}

/** Lets every pending promise callback run (the fake clock's sleeps resolve at once). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(runOpenLoop.name, () => {
  // 1500.2 is a start time at which (start + 2000) - start rounds to just under 2000:
  // the runner used to send an 81st arrival into 2 s at 40/s from such a start.
  it.each([0, 1500.2, 2547.1, 86_400_000.3])('schedules rate × duration arrivals i / rate seconds apart, starting at %d ms', async (start) => {
    const clock = new FakeClock(start);
    const sentAt: number[] = [];
    await runOpenLoop({
      rate: 40,
      durationMs: 2000,
      maxInFlight: 100,
      clock,
      dropped: () => undefined,
      send: async () => void sentAt.push(clock.now() - start),
    });
    expect(sentAt).toHaveLength(80);
    sentAt.forEach((offset, index) => expect(offset).toBeCloseTo(index * 25, 6));
  });

  it('schedules a rate that does not divide a second evenly', async () => {
    let sent = 0;
    await runOpenLoop({ rate: 3, durationMs: 1000, maxInFlight: 10, clock: new FakeClock(1500.2), dropped: () => undefined, send: async () => void sent++ });
    expect(sent).toBe(3);
  });

  it('counts latency from the scheduled start, so a late timer shows as latency and does not push the schedule back', async () => {
    const clock = new FakeClock(1000, 7);
    const arrivals: { index: number; sentAt: number; latencyAtSend: number }[] = [];
    await runOpenLoop({
      rate: 10,
      durationMs: 500,
      maxInFlight: 10,
      clock,
      dropped: () => undefined,
      send: async (arrival: Arrival) => void arrivals.push({ index: arrival.index, sentAt: clock.now() - 1000, latencyAtSend: arrival.latencyMs() }),
    });
    expect(arrivals.map((arrival) => arrival.sentAt)).toEqual([0, 107, 207, 307, 407]);
    expect(arrivals.map((arrival) => arrival.latencyAtSend)).toEqual([0, 7, 7, 7, 7]);
  });

  it('drops arrivals while maxInFlight requests are outstanding, and resolves once those settle', async () => {
    const releases: (() => void)[] = [];
    let dropped = 0;
    let finished = false;
    const run = runOpenLoop({
      rate: 10,
      durationMs: 1000,
      maxInFlight: 3,
      clock: new FakeClock(0),
      dropped: () => dropped++,
      send: () => new Promise<void>((resolve) => releases.push(resolve)),
    }).then((result) => {
      finished = true;
      return result;
    });
    await settle();
    expect(releases).toHaveLength(3);
    expect(dropped).toBe(7);
    expect(finished).toBe(false);
    releases.forEach((release) => release());
    await expect(run).resolves.toEqual({ elapsedMs: 900 });
  });

  it('stops scheduling once asked to', async () => {
    let sent = 0;
    await runOpenLoop({
      rate: 100,
      durationMs: 60_000,
      maxInFlight: 10,
      clock: new FakeClock(0),
      shouldStop: () => sent === 5,
      dropped: () => undefined,
      send: async () => void sent++,
    });
    expect(sent).toBe(5);
  });
});
