import { randomUUID } from 'node:crypto';
import { decideProject, evolveProject, initialProjectState, MAX_API_KEYS_PER_PROJECT, type ProjectState } from '../../src/domain/projects/decide.ts';
import type { ProjectEvent } from '../../src/domain/projects/events.ts';
import { DomainRejection } from '../../src/domain/shared/errors.ts';
import { toDomainEvent, toNewEvent, upcast, EventSchemaError } from '../../src/domain/events.ts';
import type { RecordedEvent, Checkpoint } from '../../src/eventstore/port.ts';

const projectId = randomUUID();
const fold = (events: ProjectEvent[]): ProjectState => events.reduce(evolveProject, initialProjectState());
const hash = 'a'.repeat(64);

describe('project decisions', () => {
  test('create once; a second create conflicts', () => {
    const created = decideProject(initialProjectState(), { type: 'CreateProject', projectId, name: 'p', storeContent: false }, projectId);
    expect(created).toEqual([{ type: 'ProjectCreated', data: { projectId, name: 'p', storeContent: false } }]);
    expect(() => decideProject(fold(created), { type: 'CreateProject', projectId, name: 'p', storeContent: false }, projectId)).toThrow(DomainRejection);
  });

  test('commands on a missing project are rejected as not found', () => {
    try {
      decideProject(initialProjectState(), { type: 'RevokeApiKey', keyId: randomUUID() }, projectId);
      throw new Error('expected a rejection');
    } catch (err) {
      expect(err).toBeInstanceOf(DomainRejection);
      expect((err as DomainRejection).code).toBe('not_found');
    }
  });

  test('revoking twice is a no-op; an unknown key is not found', () => {
    const keyId = randomUUID();
    const state = fold([
      { type: 'ProjectCreated', data: { projectId, name: 'p', storeContent: false } },
      { type: 'ApiKeyIssued', data: { projectId, keyId, name: 'k', keyHash: hash, prefix: 'zb_abcd' } },
      { type: 'ApiKeyRevoked', data: { projectId, keyId } },
    ]);
    expect(decideProject(state, { type: 'RevokeApiKey', keyId }, projectId)).toEqual([]);
    expect(() => decideProject(state, { type: 'RevokeApiKey', keyId: randomUUID() }, projectId)).toThrow(/not found/);
  });

  test('the number of live API keys is bounded', () => {
    const events: ProjectEvent[] = [{ type: 'ProjectCreated', data: { projectId, name: 'p', storeContent: false } }];
    for (let i = 0; i < MAX_API_KEYS_PER_PROJECT; i++) {
      events.push({ type: 'ApiKeyIssued', data: { projectId, keyId: randomUUID(), name: `k${i}`, keyHash: hash, prefix: 'zb_abcd' } });
    }
    expect(() => decideProject(fold(events), { type: 'IssueApiKey', keyId: randomUUID(), name: 'one more', keyHash: hash, prefix: 'zb_abcd' }, projectId))
      .toThrow(/at most/);
  });
});

describe('event versions', () => {
  const recorded = (type: string, schemaVersion: number, data: Record<string, unknown>): RecordedEvent => ({
    id: randomUUID(), type, schemaVersion, data, metadata: { actor: 'admin' }, stream: `project-${projectId}`,
    version: 1n, checkpoint: '1' as Checkpoint, recordedAt: new Date(),
  });

  test('a stored ProjectCreated v1 reads as v2 with content storage off', () => {
    const old = recorded('ProjectCreated', 1, { projectId, name: 'legacy' });
    expect(upcast(old)).toMatchObject({ schemaVersion: 2, data: { projectId, name: 'legacy', storeContent: false } });
    expect(toDomainEvent(old)).toEqual({ type: 'ProjectCreated', data: { projectId, name: 'legacy', storeContent: false } });
  });

  test('current versions pass through; newer-than-code versions are refused', () => {
    const current = recorded('ProjectCreated', 2, { projectId, name: 'now', storeContent: true });
    expect(upcast(current)).toBe(current);
    expect(() => upcast(recorded('ProjectCreated', 3, {}))).toThrow(EventSchemaError);
  });

  test('new events are validated against the current schema before they are appended', () => {
    expect(() => toNewEvent({ type: 'ProjectCreated', data: { projectId, name: '' } }, { actor: 'admin' }, randomUUID())).toThrow(/storeContent|name/);
    expect(() => toNewEvent({ type: 'NoSuchEvent', data: {} }, { actor: 'admin' }, randomUUID())).toThrow(/unknown event type/);
    const ok = toNewEvent({ type: 'ProjectCreated', data: { projectId, name: 'x', storeContent: false } }, { actor: 'admin' }, randomUUID());
    expect(ok.schemaVersion).toBe(2);
  });
});
