import { fstatSync } from 'node:fs';
import { startBenchSimulator } from './server.ts';

/**
 * The simulator as a process of its own, so its CPU never counts against the gateway's.
 * Prints one JSON line `{"ready":true,"url":...}` once listening; SIGTERM stops it.
 */
const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('usage: node bench/simulator/main.ts [port]\n');
  process.exit(2);
}
const sim = await startBenchSimulator({ port });
process.stdout.write(JSON.stringify({ ready: true, url: sim.url, pid: process.pid }) + '\n');
const stop = () => { void sim.close().then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Started by the harness (stdin a pipe): when the harness dies, so does the simulator.
if (fstatSync(0).isFIFO()) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
