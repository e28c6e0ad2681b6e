import type { Usage } from './usage.ts';

/** A model's price in USD per million tokens. Cache rates default to the input rate when absent. */
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok?: number | undefined;
  cacheWritePerMTok?: number | undefined;
}

/** USD per million tokens × tokens = micro-dollars; ×1000 = nano-dollars, the rounding unit. */
const NANO_PER_MICRO = 1000;
const NANO_PER_USD = 1e9;

/**
 * What a completion cost: uncached input at the input rate, cache reads and writes at theirs,
 * output (reasoning included, as every provider bills it) at the output rate. Rounded to a
 * billionth of a dollar so sums of many small costs stay exact enough and print cleanly.
 */
export function costUsd(usage: Usage, price: Price): number {
  const micro =
    usage.inputTokens * price.inputPerMTok +
    usage.cacheReadTokens * (price.cacheReadPerMTok ?? price.inputPerMTok) +
    usage.cacheWriteTokens * (price.cacheWritePerMTok ?? price.inputPerMTok) +
    usage.outputTokens * price.outputPerMTok;
  return Math.round(micro * NANO_PER_MICRO) / NANO_PER_USD;
}
