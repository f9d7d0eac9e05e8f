// Where fixes are journaled: /var/lib/qnet, or QNET_STATE_DIR. A module of its
// own so the doctor can look for a half-applied set without loading the executor.
export const DEFAULT_STATE_DIR = '/var/lib/qnet';

export function stateDir(): string {
  return process.env.QNET_STATE_DIR || DEFAULT_STATE_DIR;
}
