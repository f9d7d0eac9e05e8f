// SIGINT and SIGTERM: qnet exits 130 at once, except while something that must
// not be cut half-way runs (an apply, a rollback): then it is told, finishes or
// rolls back what it started, and exits 130 itself.
type Guard = (signal: NodeJS.Signals) => void;

let guard: Guard | undefined;

export function onSignal(signal: NodeJS.Signals): void {
  if (guard) guard(signal);
  else process.exit(130);
}

/** Routes SIGINT/SIGTERM to `g` until the returned function is called. */
export function holdSignals(g: Guard): () => void {
  const previous = guard;
  guard = g;
  return () => {
    guard = previous;
  };
}
