// The errors every layer may raise, with no imports of their own.

/** A user error: printed as one line on stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A read that a snapshot does not hold. A check that needs it cannot judge: the
 * engine turns this into `skip` with the message as the reason.
 */
export class NotCaptured extends Error {
  override name = 'NotCaptured';
  constructor(readonly what: string) {
    super(`${what} was not captured in the snapshot`);
  }
}
