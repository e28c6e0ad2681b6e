import type { z } from 'zod';

/**
 * An event type with its current schema and every older one. Old versions stay in code forever:
 * the log is never rewritten, so a reader parses what was stored and upcasts it step by step.
 */
export interface PastVersion {
  version: number;
  schema: z.ZodType;
  /** Turns data of this version into data of the next version. Pure. */
  upcast(data: any): unknown;
}

export interface EventDefinition<Type extends string = string, Data = unknown> {
  type: Type;
  version: number;
  schema: z.ZodType<Data>;
  past: PastVersion[];
}

export function defineEvent<Type extends string, Schema extends z.ZodType>(
  type: Type,
  version: number,
  schema: Schema,
  past: PastVersion[] = [],
): EventDefinition<Type, z.infer<Schema>> {
  return { type, version, schema: schema as z.ZodType<z.infer<Schema>>, past: [...past].sort((a, b) => a.version - b.version) };
}

/** The domain's view of an event: a discriminated union member. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

export type EventOf<D> = D extends EventDefinition<infer T, infer Data> ? DomainEvent<T, Data> : never;
