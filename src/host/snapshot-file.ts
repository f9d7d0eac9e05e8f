// The qnet.snapshot/v1 file: parse and validate with one-line errors.
import * as v from 'valibot';
import { UsageError } from '../errors.js';
import type { ReadRecord } from './record.js';

export const SNAPSHOT_SCHEMA = 'qnet.snapshot/v1';

/** Who ran qnet on the recorded host: needed to pick the default target user on replay. */
export interface Invoker {
  uid: number;
  euid: number;
  user: string | null;
  sudoUser: string | null;
}

export interface SnapshotFile {
  schema: typeof SNAPSHOT_SCHEMA;
  qnet: string;
  createdAt: string;
  invoker: Invoker;
  host: Record<string, unknown>;
  /** The options the recording ran with (--user, --guest, --only), so a replay judges the same way. */
  options?: { user?: string; guest?: boolean; only?: string[] };
  /** What the doctor concluded while recording (durations included): what the reporter saw. */
  results?: unknown[];
  reads: Record<string, ReadRecord>;
}

const statSchema = v.object({
  mode: v.number(), uid: v.number(), gid: v.number(), size: v.number(),
  rdevMajor: v.number(), rdevMinor: v.number(),
});

const recordSchema = v.union([
  v.object({ ok: v.literal(false), code: v.string(), message: v.string() }),
  v.object({ ok: v.literal(true), text: v.string() }),
  v.object({ ok: v.literal(true), base64: v.string() }),
  v.object({ ok: v.literal(true), argv: v.array(v.string()) }),
  v.object({ ok: v.literal(true), stat: statSchema }),
  v.object({ ok: v.literal(true), entries: v.array(v.string()) }),
  v.object({ ok: v.literal(true), target: v.string() }),
  v.object({
    ok: v.literal(true),
    exec: v.object({
      exitCode: v.nullable(v.number()), stdout: v.string(), stderr: v.string(), timedOut: v.boolean(),
    }),
  }),
]);

const fileSchema = v.object({
  schema: v.literal(SNAPSHOT_SCHEMA),
  qnet: v.string(),
  createdAt: v.string(),
  invoker: v.object({
    uid: v.number(), euid: v.number(), user: v.nullable(v.string()), sudoUser: v.nullable(v.string()),
  }),
  host: v.record(v.string(), v.unknown()),
  options: v.optional(v.object({ user: v.optional(v.string()), guest: v.optional(v.boolean()), only: v.optional(v.array(v.string())) })),
  results: v.optional(v.array(v.unknown())),
  reads: v.record(v.string(), recordSchema),
});

/** Parses snapshot text; throws UsageError with a one-line reason. */
export function parseSnapshot(textIn: string, name: string): SnapshotFile {
  let data: unknown;
  try {
    data = JSON.parse(textIn);
  } catch (err) {
    throw new UsageError(`${name} is not a qnet snapshot: invalid JSON (${(err as Error).message})`);
  }
  if (typeof data === 'object' && data !== null && 'schema' in data && (data as { schema: unknown }).schema !== SNAPSHOT_SCHEMA) {
    throw new UsageError(`${name} has schema ${JSON.stringify((data as { schema: unknown }).schema)}; this qnet reads ${SNAPSHOT_SCHEMA}`);
  }
  const parsed = v.safeParse(fileSchema, data);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '(top)';
    throw new UsageError(`${name} is not a valid ${SNAPSHOT_SCHEMA} file: at ${path}: ${issue.message}`);
  }
  return parsed.output as SnapshotFile;
}
