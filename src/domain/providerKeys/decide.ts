import { reject } from '../shared/errors.ts';
import type { ProviderName } from '../../providers/types.ts';
import type { ProviderKeyEvent } from './events.ts';

export interface SealedKey {
  ciphertext: string;
  dataKeyId: string;
  fingerprint: string;
  last4: string;
  keyPrefix: string;
}

export interface ProviderKeyState {
  configured: boolean;
  fingerprint: string | undefined;
  dataKeyId: string | undefined;
}

export const initialProviderKeyState = (): ProviderKeyState => ({ configured: false, fingerprint: undefined, dataKeyId: undefined });

export function evolveProviderKey(state: ProviderKeyState, event: ProviderKeyEvent): ProviderKeyState {
  switch (event.type) {
    case 'ProviderKeySet':
      return { configured: true, fingerprint: event.data.fingerprint, dataKeyId: event.data.dataKeyId };
    case 'ProviderKeyRemoved':
      return initialProviderKeyState();
    case 'ProviderKeyTested':
      return state;
  }
}

export type ProviderKeyCommand =
  | { type: 'SetProviderKey'; sealed: SealedKey; baseUrl: string | null }
  | { type: 'RemoveProviderKey' }
  | { type: 'TestProviderKey'; fingerprint: string; ok: boolean; latencyMs: number; probe: string | null;
      error: { kind: string; status: number | null; message: string } | null };

/**
 * Decisions for one project's key of one provider. Encryption and the connectivity call happen
 * before this runs (they are I/O); this only decides what gets recorded.
 */
export function decideProviderKey(
  state: ProviderKeyState, command: ProviderKeyCommand, projectId: string, provider: ProviderName,
): ProviderKeyEvent[] {
  switch (command.type) {
    case 'SetProviderKey':
      return [{ type: 'ProviderKeySet', data: {
        projectId, provider, ...command.sealed, baseUrl: command.baseUrl,
        replacedDataKeyId: state.configured ? state.dataKeyId! : null,
      } }];
    case 'RemoveProviderKey':
      if (!state.configured) reject('not_found', `no ${provider} key is configured for this project`);
      return [{ type: 'ProviderKeyRemoved', data: { projectId, provider, fingerprint: state.fingerprint!, dataKeyId: state.dataKeyId! } }];
    case 'TestProviderKey':
      if (!state.configured) reject('not_found', `no ${provider} key is configured for this project`);
      // The key may have been rotated while the test ran; a result for another key is not recorded against this one.
      if (state.fingerprint !== command.fingerprint) reject('conflict', `the ${provider} key changed while it was being tested; test again`);
      return [{ type: 'ProviderKeyTested', data: {
        projectId, provider, fingerprint: command.fingerprint, ok: command.ok, latencyMs: command.latencyMs,
        probe: command.probe, error: command.error,
      } }];
  }
}
