import type { Checkpoint } from '../eventstore/port.ts';

/**
 * Read-your-writes gave up: the named projections had not reached the checkpoint in time. The HTTP
 * layer answers 503; the write itself is committed and will show once the projections catch up.
 */
export class ProjectionTimeoutError extends Error {
  override name = 'ProjectionTimeoutError';
  readonly code = 'PROJECTION_TIMEOUT';
  readonly checkpoint: Checkpoint;
  /** Where each projection that had not arrived was when the wait ended. */
  readonly reached: Record<string, Checkpoint>;
  constructor(checkpoint: Checkpoint, reached: Record<string, Checkpoint>, timeoutMs: number) {
    const behind = Object.entries(reached).map(([name, at]) => `${name} at ${at || 'start'}`).join(', ');
    super(`projections did not reach ${checkpoint} within ${timeoutMs} ms (last checkpoint reached: ${behind})`);
    this.checkpoint = checkpoint;
    this.reached = reached;
  }
}

/** A projection's apply (or the upcaster before it) threw; the batch was rolled back. */
export class ProjectionApplyError extends Error {
  override name = 'ProjectionApplyError';
  readonly projection: string;
  /** The event that could not be applied. */
  readonly failedAt: Checkpoint;
  constructor(projection: string, failedAt: Checkpoint, cause: unknown) {
    super(`projection ${projection} failed at ${failedAt}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.projection = projection;
    this.failedAt = failedAt;
  }
}

/** The runner was stopped while someone was waiting for it. */
export class ProjectionRunnerStoppedError extends Error {
  override name = 'ProjectionRunnerStoppedError';
}
