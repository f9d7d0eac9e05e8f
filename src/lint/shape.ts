// The shape of a command line to lint: QEMU or UML, split into its words,
// refused with one line when it cannot be one. Pure: no host reads.
import { UsageError } from '../errors.js';
import { showArgv } from '../output/shell.js';
import { isQemuBinary } from '../parse/qemu-cmdline.js';

/** QEMU options that take a value. */
const VALUE_OPTS = new Set(['-netdev', '-nic', '-net', '-device', '-M', '-machine', '-m', '-smp', '-drive', '-kernel', '-append', '-name', '-qmp', '-monitor', '-serial', '-display', '-cpu', '-accel', '-hda', '-cdrom', '-boot']);

const UML_BINARY = /(^|\/)(linux|vmlinux)(-[\w.]+)?$/;

/** ethN=tuntap,TAP[,MAC[,IP]] from a UML command line. */
export function umlTaps(argv: readonly string[]): { dev: string; tap: string; mac?: string }[] {
  const out: { dev: string; tap: string; mac?: string }[] = [];
  for (const a of argv.slice(1)) {
    const m = /^(eth\d+)=tuntap,([^,]*)(?:,([^,]*))?/.exec(a);
    if (m) out.push({ dev: m[1]!, tap: m[2]!, ...(m[3] ? { mac: m[3].toLowerCase() } : {}) });
  }
  return out;
}

/** Splits a command line into words as sh would (quotes, backslashes, whitespace); no expansions. */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      cur = (cur ?? '') + line.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      cur ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) cur += line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '') ? line[++i] : line[i];
    } else if (c === '\\') cur = (cur ?? '') + (line[++i] ?? '');
    else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/**
 * A whole command line passed as one quoted argument (`qnet lint -- "qemu-system-x86_64 -m 1G"`),
 * recognised by its first word naming QEMU or UML: the words it should have been.
 */
export function quotedWhole(argv: readonly string[]): string[] | undefined {
  const first = argv[0] ?? '';
  if (!/\s/.test(first.trim())) return undefined;
  const words = splitWords(first);
  const bin = words[0] ?? '';
  return isQemuBinary(bin) || UML_BINARY.test(bin) ? [...words, ...argv.slice(1)] : undefined;
}

/** QEMU or UML; UsageError (one line, exit 2) for anything that cannot be linted. */
export function commandKind(argv: readonly string[]): 'qemu' | 'uml' {
  if (!argv.length || !argv[0]) throw new UsageError('lint needs a command line: qnet lint -- qemu-system-x86_64 ...');
  const words = quotedWhole(argv);
  if (words) {
    // Shown split only when it holds no control character (the quoted form escapes them).
    const shown = /[\u0000-\u001f\u007f]/.test(words.join('')) ? undefined : showArgv(words);
    const example = shown === undefined ? '' : `: qnet lint -- ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`;
    throw new UsageError(`the command line came as one argument ${JSON.stringify(argv[0]!.length > 300 ? `${argv[0]!.slice(0, 300)}…` : argv[0])}; pass its words as separate arguments, without quotes around the whole${example}`);
  }
  if (isQemuBinary(argv[0])) {
    for (let i = 1; i < argv.length; i++) {
      if (VALUE_OPTS.has(argv[i]!) && (argv[i + 1] === undefined || (argv[i + 1]!.startsWith('-') && argv[i] !== '-append'))) {
        throw new UsageError(`malformed command line: ${argv[i]} needs a value`);
      }
    }
    return 'qemu';
  }
  if (umlTaps(argv).length || argv.slice(1).some((a) => /^(eth\d+=|vec\d+:)/.test(a)) || UML_BINARY.test(argv[0])) return 'uml';
  throw new UsageError(`not a QEMU or UML command line: ${argv[0]} (expected qemu-system-*, qemu-kvm, kvm, or a UML linux binary)`);
}
