import { scrubText } from '../../log.ts';

const REDACTED = '[redacted]';
// Providers echo keys masked, e.g. "sk-abc***...wxyz" or "AIza…1234": the visible ends are fragments.
const MASK = /\*+|\.{3}|…/;
const MIN_FRAGMENT = 4;
const MIN_SUBSTRING = 8;

/**
 * Removes an API key from provider text: the whole key, any long run of it, and masked echoes whose
 * visible ends match the key's start or end. Then applies the log scrubber for key-shaped strings.
 */
export function scrubKey(text: string, apiKey: string | undefined): string {
  let out = text;
  if (apiKey && apiKey.length >= MIN_FRAGMENT) {
    out = out.split(apiKey).join(REDACTED);
    out = out.replace(/[^\s"'`,;:()[\]{}<>]+/g, (word) => (looksLikeKeyFragment(word, apiKey) ? REDACTED : word));
  }
  return scrubText(out);
}

function looksLikeKeyFragment(word: string, apiKey: string): boolean {
  if (word.length >= MIN_SUBSTRING && apiKey.includes(word)) return true;
  if (!MASK.test(word)) return false;
  const visible = word.split(/[*.…]+/).filter((p) => p.length >= MIN_FRAGMENT || (p.length >= 3 && apiKey.endsWith(p)));
  return visible.some((p) => apiKey.startsWith(p) || apiKey.endsWith(p));
}

/** Longest provider error text passed on; some providers return whole HTML pages or stack dumps. */
export const MAX_ERROR_TEXT = 1000;

/** Provider error text made safe to return: key scrubbed first (so no half key survives), then capped. */
export function errorText(text: string, apiKey: string | undefined): string {
  const clean = scrubKey(text, apiKey);
  return clean.length <= MAX_ERROR_TEXT ? clean : `${clean.slice(0, MAX_ERROR_TEXT)}…`;
}
