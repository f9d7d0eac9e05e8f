// Commands as a person reads and pastes them: each argument quoted for a POSIX
// shell (display only; qnet runs argv arrays, never a shell).
import { hasUnsafe } from './safe.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for display in a shell. An argument holding control or
 * invisible characters (an interface named with ESC in it) is written in ANSI-C
 * quoting, $'…' (bash, zsh, ksh, busybox sh, POSIX.1-2024), with those characters
 * as \xHH escapes of their UTF-8 bytes: pasted, it gives back exactly the argument,
 * and shown, it holds nothing a terminal would act on.
 */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  if (!hasUnsafe(arg)) return `'${arg.replace(/'/g, `'\\''`)}'`;
  let out = "$'";
  for (const ch of arg) {
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (hasUnsafe(ch)) out += [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    else out += ch;
  }
  return `${out}'`;
}

export const showArgv = (argv: readonly string[]) => argv.map(shellQuote).join(' ');

