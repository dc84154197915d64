/**
 * A TCP proxy that holds every chunk for a while: a slow network between two processes on one
 * machine, so that calls which would finish at once locally overlap as they do across pods.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface DelayingProxy {
  /** `127.0.0.1:port` to connect to instead of the target. */
  address: string;
  close(): Promise<void>;
}

/** Proxies to `target` (`host:port`), delaying every chunk by `delayMs` in both directions, in order. */
export async function startDelayingProxy(target: string, delayMs: number): Promise<DelayingProxy> {
  const separator = target.lastIndexOf(':');
  const [targetHost, targetPort] = [target.slice(0, separator), Number(target.slice(separator + 1))];
  if (separator <= 0 || !Number.isInteger(targetPort) || targetPort <= 0)
    throw new Error(`startDelayingProxy: target must be host:port, got ${JSON.stringify(target)}`);
  const sockets = new Set<Socket>();
  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    // Ends and errors also arrive after the data before them.
    from.on('end', () => setTimeout(() => to.end(), delayMs));
    from.on('error', () => setTimeout(() => to.destroy(), delayMs));
    from.on('close', () => sockets.delete(from));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
