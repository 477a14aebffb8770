/**
 * One moto_server per jest worker, so a worker can reset moto between its tests without
 * disturbing the others. Worker N reads MOTO_URL_N (see env.ts).
 */
import { startMoto, MotoServer } from '../../sandbox/moto';

declare global {
  // eslint-disable-next-line no-var
  var __MOTO_SERVERS__: MotoServer[] | undefined;
}

export default async function globalSetup(config: { maxWorkers: number }): Promise<void> {
  const n = Math.max(1, config.maxWorkers);
  const servers = await Promise.all(Array.from({ length: n }, () => startMoto()));
  servers.forEach((s, i) => (process.env[`MOTO_URL_${i + 1}`] = s.url));
  globalThis.__MOTO_SERVERS__ = servers;
}
