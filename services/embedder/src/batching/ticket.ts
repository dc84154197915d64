/**
 * A request as the batchers track it: the results of its items in order, settled once (resolved
 * when the last item is done, or rejected), and the cancellation it listens to.
 */
import { BatchRejection } from './batch-rejection';
import type { Lane } from './dynamic-batcher';

export interface Ticket<O> {
  lane: Lane;
  deadline: number;
  results: O[];
  remaining: number;
  settled: boolean;
  resolve(results: O[]): void;
  reject(error: unknown): void;
  /** Stops listening to the request's abort signal. */
  detach(): void;
}

export interface TicketOptions {
  lane: Lane;
  /** Absolute time on the batcher's clock; none: never. */
  deadline?: number;
  signal?: AbortSignal;
}

/**
 * Opens a ticket for `count` items and returns its promise with it; an abort of `options.signal`
 * calls `onCancel` with a CANCELLED rejection for the batcher to settle the ticket with.
 */
export function openTicket<O>(
  count: number,
  options: TicketOptions,
  onCancel: (ticket: Ticket<O>, rejection: BatchRejection) => void,
): [Ticket<O>, Promise<O[]>] {
  let ticket!: Ticket<O>;
  const promise = new Promise<O[]>((resolve, reject) => {
    const onAbort = () => onCancel(ticket, new BatchRejection('CANCELLED', 'request cancelled'));
    ticket = {
      lane: options.lane,
      deadline: options.deadline ?? Number.POSITIVE_INFINITY,
      results: new Array<O>(count),
      remaining: count,
      settled: false,
      resolve,
      reject,
      detach: () => options.signal?.removeEventListener('abort', onAbort),
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  return [ticket, promise];
}

/** Records one item's result; resolves the ticket when it was the last. */
export function settleItem<O>(ticket: Ticket<O>, index: number, result: O): void {
  if (ticket.settled) return;
  ticket.results[index] = result;
  if (--ticket.remaining === 0) {
    ticket.settled = true;
    ticket.detach();
    ticket.resolve(ticket.results);
  }
}
