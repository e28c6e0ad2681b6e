import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createGateway, type Gateway } from './gateway.ts';
import type { Logger } from './log.ts';

export interface RunningServer {
  gateway: Gateway;
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes pools. */
  stop(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const gateway = await createGateway(config, log);
  const server = createServer({ keepAliveTimeout: 5_000, requestTimeout: 0 }, gateway.app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    gateway.beginShutdown();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
    await gateway.close();
  })());
  return { gateway, server, url, stop };
}
