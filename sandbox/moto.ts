/**
 * Starts moto_server (IAM, STS, DynamoDB) on a free loopback port. A missing moto_server is
 * a failure with an install hint, never a silent skip.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

const MOTO_INSTALL_HINT = "moto_server was not found. Install it with: pip install 'moto[server]'";

/** PATH first, then pyenv's shim (CI shells may lack it on PATH), then `python3 -m moto.server`. */
function findMotoServer(): { cmd: string; args: string[] } {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'moto_server');
    if (dir && fs.existsSync(p)) return { cmd: p, args: [] };
  }
  const shim = path.join(os.homedir(), '.pyenv', 'shims', 'moto_server');
  if (fs.existsSync(shim)) return { cmd: shim, args: [] };
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' });
  if (probe.status === 0) return { cmd: 'python3', args: ['-m', 'moto.server'] };
  throw new Error(MOTO_INSTALL_HINT);
}

export interface MotoServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function waitUntilUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer at ${url} within 30 s:\n${log()}`);
}

export async function startMoto(): Promise<MotoServer> {
  const { cmd, args } = findMotoServer();
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    let output = '';
    const child = spawn(cmd, [...args, '-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output = (output + d).slice(-4000)));
    child.stderr?.on('data', (d) => (output = (output + d).slice(-4000)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilUp(url, child, () => output);
    } catch (e) {
      child.kill('SIGKILL');
      if (attempt < 2) continue; // port taken between probe and bind: try another
      throw e;
    }
    return {
      url,
      pid: child.pid!,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3000).unref();
        }),
    };
  }
}

/** Clear all of moto's state (IAM users, DynamoDB tables, …). */
export async function resetMoto(url: string): Promise<void> {
  const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
}
