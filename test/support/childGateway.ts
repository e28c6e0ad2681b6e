import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The gateway as a real child process (`node src/main.ts`), for crash and shutdown tests. */
export interface ChildGateway {
  url: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

export async function spawnGateway(env: Record<string, string>, timeoutMs = 30_000): Promise<ChildGateway> {
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output.join('\n')}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      try {
        const rec = JSON.parse(line);
        if (rec.msg === 'gateway listening') { clearTimeout(timer); resolve(rec.url); }
      } catch { /* not JSON */ }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}:\n${output.join('\n')}`)); });
  });
  return { url, child, output, exited };
}
