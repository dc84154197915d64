import { createLogger } from '@vsearch/observability';
import { runService, type ProcessHooks } from './run-service';

function fakeProcess() {
  const listeners = new Map<string, () => void>();
  const exits: number[] = [];
  const hooks: ProcessHooks = {
    onSignal: (signal, listener) => void listeners.set(signal, listener),
    exit: (code) => void exits.push(code),
  };
  return { hooks, exits, signal: (name: string) => listeners.get(name)?.() };
}

const logger = createLogger('test', 'silent');
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(runService.name, () => {
  it('exits 1 when the service cannot start', async () => {
    const process = fakeProcess();
    await runService('search', logger, () => Promise.reject(new Error('port in use')), process.hooks);
    expect(process.exits).toEqual([1]);
  });

  it('closes once on the first signal and exits 0, ignoring a second signal while closing', async () => {
    const process = fakeProcess();
    const close = jest.fn(() => Promise.resolve());
    await runService('search', logger, async () => ({ close }), process.hooks);
    expect(process.exits).toEqual([]);
    process.signal('SIGTERM');
    process.signal('SIGINT');
    await flush();
    expect(close).toHaveBeenCalledTimes(1);
    expect(process.exits).toEqual([0]);
  });

  it('exits 1 when closing fails', async () => {
    const process = fakeProcess();
    await runService('search', logger, async () => ({ close: () => Promise.reject(new Error('stuck')) }), process.hooks);
    process.signal('SIGINT');
    await flush();
    expect(process.exits).toEqual([1]);
  });
});
