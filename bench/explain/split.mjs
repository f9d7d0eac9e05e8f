// The corpus split, fixed before any tuning: a report belongs to the held-out
// part when the first byte of SHA-256(source URL) is below 77 (about 30 %),
// else to the tuning part. Reports sharing a URL fall on the same side, so a
// thread can never be in both parts.
import { createHash } from 'node:crypto';

export const HELD_OUT_BELOW = 77;

/** 'heldout' or 'tuning' for a report's source URL. */
export function partOf(url) {
  const first = createHash('sha256').update(url.trim()).digest()[0];
  return first < HELD_OUT_BELOW ? 'heldout' : 'tuning';
}
