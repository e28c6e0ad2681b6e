import cluster from 'node:cluster';
import { fstatSync } from 'node:fs';

/**
 * Preloaded (`node --import`) into the gateway the harness starts: when the harness dies without
 * cleaning up, its end of the stdin pipe closes and the gateway shuts down as on SIGTERM. Nothing
 * else in the gateway changes.
 */
if (cluster.isPrimary && fstatSync(0).isFIFO()) {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
}
