// Builds qnet.snapshot/v1 host records for table tests, and runs checks on them.
// A fake host is a snapshot: the same SnapshotHost replays it as replays a
// recorded one, so the tests exercise the real replay path.
import { readFileSync } from 'node:fs';
import { createContext } from '../../src/session.js';
import { runChecks } from '../../src/engine.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG } from '../../src/host/host.js';
import { readKey, SnapshotHost, type ReadRecord } from '../../src/host/record.js';
import { parseSnapshot, SNAPSHOT_SCHEMA, type Invoker, type SnapshotFile } from '../../src/host/snapshot-file.js';
import type { Check, Result } from '../../src/types.js';

import type { ExecSpec, HostSpec, LinkSpec, StatSpec } from '../../src/check-cases.js';

export type { ExecSpec, StatSpec };

/** A host record for a table case (the shape check files use for their `cases`). */
export type FakeSpec = Omit<HostSpec, 'invoker'> & {
  /** Binary file contents (ELF images); byte ranges of them are served as the live host serves them. */
  binaries?: Record<string, Buffer>;
  invoker?: Partial<Invoker>;
};

const TYPE_BITS = { file: S_IFREG, dir: S_IFDIR, chr: S_IFCHR, link: S_IFLNK } as const;

const err = (code: string, what: string): ReadRecord => ({ ok: false, code, message: `${code}: ${what}` });

function statRecord(s: StatSpec): ReadRecord {
  return {
    ok: true,
    stat: {
      mode: TYPE_BITS[s.type ?? 'file'] | s.mode,
      uid: s.uid ?? 0,
      gid: s.gid ?? 0,
      size: s.size ?? 0,
      rdevMajor: s.rdev?.[0] ?? 0,
      rdevMinor: s.rdev?.[1] ?? 0,
    },
  };
}

export const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n';
export const GROUP = 'root:x:0:\nnetdev:x:108:\nkvm:x:104:\nalice:x:1000:\nbob:x:1001:\n';

/** A fake host: alice (1000) and bob exist; everything not described is ENOENT. */
export function fakeHost(spec: FakeSpec): SnapshotFile {
  const reads: Record<string, ReadRecord> = {};
  const files: Record<string, string | null | { error: string }> = { '/etc/passwd': PASSWD, '/etc/group': GROUP, ...spec.files };
  for (const [p, v] of Object.entries(files)) {
    reads[readKey('file', p)] = v === null ? err('ENOENT', p) : typeof v === 'string' ? { ok: true, text: v } : err(v.error, p);
  }
  for (const [p, v] of Object.entries(spec.binaries ?? {})) reads[readKey('file', p)] = { ok: true, base64: v.toString('base64') };
  for (const [kind, table] of [['stat', spec.stats], ['lstat', spec.lstats]] as const) {
    for (const [p, v] of Object.entries(table ?? {})) {
      reads[readKey(kind, p)] = v === null ? err('ENOENT', p) : 'error' in v ? err(v.error, p) : statRecord(v);
    }
  }
  // lstat of a path that only has a stat spec and is not a link: same answer.
  for (const [p, v] of Object.entries(spec.stats ?? {})) {
    const k = readKey('lstat', p);
    if (!(k in reads) && (v === null || 'error' in v || v.type !== 'link')) reads[k] = reads[readKey('stat', p)]!;
  }
  for (const [p, v] of Object.entries(spec.dirs ?? {})) {
    reads[readKey('readdir', p)] = v === null ? err('ENOENT', p) : Array.isArray(v) ? { ok: true, entries: v } : err(v.error, p);
  }
  for (const [p, v] of Object.entries(spec.readlinks ?? {})) {
    reads[readKey('readlink', p)] = v === null ? err('ENOENT', p) : { ok: true, target: v };
  }
  const exec = { ...(spec.links ? ipLinks(spec.links) : {}), ...spec.exec };
  for (const [cmd, v] of Object.entries(exec)) {
    reads[readKey('exec', cmd.split(' '))] =
      v === null ? err('ENOENT', cmd) : { ok: true, exec: { exitCode: v.exitCode ?? 0, stdout: v.stdout ?? '', stderr: v.stderr ?? '', timedOut: false } };
  }
  return {
    schema: SNAPSHOT_SCHEMA,
    qnet: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    invoker: { uid: 1000, euid: 1000, user: 'alice', sudoUser: null, ...spec.invoker },
    host: {},
    reads,
  };
}

/**
 * A SnapshotHost that answers ENOENT (not NOTCAPTURED) for reads the spec does
 * not list, so a table case names only what matters to it.
 */
class OpenWorldHost extends SnapshotHost {
  constructor(reads: Record<string, ReadRecord>) {
    const answer = (t: Record<string, ReadRecord>, key: string) => t[key] ?? err('ENOENT', key);
    const proxy = new Proxy(reads, {
      get: (t, key: string) => answer(t, key),
      has: () => true,
      getOwnPropertyDescriptor: (t, key: string) => ({ value: answer(t, key), writable: false, enumerable: true, configurable: true }),
    });
    super(proxy);
  }
}

export interface RunOpts {
  user?: string;
  /** true: unlisted reads are NOTCAPTURED, as in a real snapshot replay. Default: ENOENT. */
  strict?: boolean;
  /** --deep */
  deep?: boolean;
  /** --guest */
  guest?: boolean;
}

export async function runCheck(check: Check, snap: SnapshotFile, opts: RunOpts = {}): Promise<Result> {
  const host = opts.strict ? new SnapshotHost(snap.reads) : new OpenWorldHost(snap.reads);
  const ctx = await createContext({ host, invoker: snap.invoker, user: opts.user, source: 'snapshot', deep: opts.deep, guest: opts.guest });
  const [r] = await runChecks(ctx, [check]);
  return r!;
}


/** `ip -j -d addr show` output for a list of links, as iproute2 prints it. */
export function ipJson(links: LinkSpec[]): string {
  return JSON.stringify(
    links.map((l, i) => ({
      ifindex: i + 1,
      ifname: l.name,
      flags: l.up === false ? ['BROADCAST', 'MULTICAST'] : ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      operstate: l.up === false ? 'DOWN' : 'UP',
      ...(l.master ? { master: l.master } : {}),
      ...(l.link ? { link: l.link } : {}),
      link_type: l.name === 'lo' ? 'loopback' : 'ether',
      address: l.mac ?? `52:54:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
      ...(l.kind ? { linkinfo: { info_kind: l.kind, info_data: l.info ?? {} } } : {}),
      addr_info: (l.addrs ?? []).map((a) => {
        const [local, len] = a.split('/');
        return { family: local!.includes(':') ? 'inet6' : 'inet', local, prefixlen: Number(len ?? 32) };
      }),
    })),
  );
}

export const IP_ADDR_CMD = 'ip -j -d addr show';

/** The exec entry of the one interface listing qnet makes, so a table case describes its links once. */
export function ipLinks(list: Parameters<typeof ipJson>[0]): Record<string, ExecSpec> {
  return { [IP_ADDR_CMD]: { stdout: ipJson(list) } };
}
