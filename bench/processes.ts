import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * Child processes of the harness. Each runs in a process group of its own so that stopping it also
 * stops what it started (cluster workers); every child still running when the harness exits — on
 * success, on an exception or on Ctrl-C — is killed.
 */
export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(): string;
  /** Resolves with the first stdout line `match` accepts; rejects on exit or timeout. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const TAIL_LINES = 60;
const MAX_LINE_CHARS = 4_000;
const MAX_CAPTURED_CHARS = 16 * 1_048_576;
const running = new Set<Child>();
let hooksInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child.pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
      for (const child of running) killGroup(child.pid, 'SIGKILL');
      process.exit(130);
    });
  }
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Everything the child writes is also appended here. */
  logFile?: string;
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  installExitHooks();
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv | undefined,
    // stdin stays open: children that watch it exit when the harness dies without cleaning up.
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = proc.pid;
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      running.delete(child);
      log?.end();
      resolve({ code, signal });
    });
  });

  const collect = (stream: NodeJS.ReadableStream | null, isStdout: boolean) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      log?.write(text);
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).slice(0, MAX_LINE_CHARS);
        partial = partial.slice(nl + 1);
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        if (isStdout) for (const l of listeners) l(line);
      }
      if (partial.length > MAX_LINE_CHARS) partial = partial.slice(-MAX_LINE_CHARS);
    });
  };
  collect(proc.stdout, true);
  collect(proc.stderr, false);

  const child: Child = {
    name,
    pid,
    process: proc,
    exited,
    tail: () => lines.join('\n'),
    waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number) {
      return new Promise<T>((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(onLine);
          fn();
        };
        const onLine = (line: string) => {
          const value = match(line);
          if (value !== undefined) done(() => resolve(value));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${name} was not ready within ${timeoutMs} ms:\n${child.tail()}`))), timeoutMs);
        listeners.add(onLine);
        void exited.then(({ code, signal }) => done(() => reject(new Error(`${name} exited (code ${code}, signal ${signal}):\n${child.tail()}`))));
      });
    },
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Workers of a cluster outlive a primary killed hard; make sure none is left behind.
      killGroup(pid, 'SIGKILL');
    },
  };
  running.add(child);
  return child;
}

/** Runs a command to completion and returns its stdout; rejects with its output tail on failure. */
export async function runToCompletion(name: string, command: string, args: string[], options: SpawnOptions & { timeoutMs: number }): Promise<string> {
  const child = spawnChild(name, command, args, options);
  child.process.stdin?.end();
  let stdout = '';
  child.process.stdout?.on('data', (t: string) => {
    if (stdout.length < MAX_CAPTURED_CHARS) stdout += t;
  });
  const timer = setTimeout(() => void child.stop(2_000), options.timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} failed (code ${code}, signal ${signal}):\n${child.tail()}`);
  return stdout;
}
