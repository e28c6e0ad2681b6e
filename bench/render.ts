import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { renderMarkdown, type BenchRecord } from './report.ts';

/** `node bench/render.ts bench/results/latest.jsonl`: writes the Markdown report beside the records again. */
const file = process.argv[2];
if (!file || !file.endsWith('.jsonl')) {
  process.stderr.write('usage: node bench/render.ts <results .jsonl file>\n');
  process.exit(2);
}
const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as BenchRecord);
writeFileSync(file.replace(/\.jsonl$/, '.md'), renderMarkdown(records, basename(file)));
