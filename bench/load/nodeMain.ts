import { generateLoad } from './nodeGenerator.ts';
import type { LoadSpec } from './types.ts';

/** `node bench/load/nodeMain.ts '<LoadSpec JSON>'`: runs the load and prints one JSON result line. */
const raw = process.argv[2];
if (!raw) {
  process.stderr.write("usage: node bench/load/nodeMain.ts '<LoadSpec as JSON>'\n");
  process.exit(2);
}
const result = await generateLoad(JSON.parse(raw) as LoadSpec);
process.stdout.write(JSON.stringify(result) + '\n');
