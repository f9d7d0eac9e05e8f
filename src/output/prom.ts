// `qnet doctor --format prom`: the doctor's results as Prometheus text exposition
// (format 0.0.4), for node_exporter's textfile collector. Tiny and dependency-free:
// it sits beside the doctor's hot path.
import type { DoctorReport, Status } from '../types.js';

const STATUSES: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

export const FORMATS = ['text', 'json', 'prom'] as const;
export type Format = (typeof FORMATS)[number];

/**
 * A label value as the exposition format wants it: backslash, double quote and line feed
 * escaped. Other control characters have no escape there; they are written as visible
 * `\xNN` text (the backslash itself escaped) so no raw control byte reaches the file.
 */
export function escapeLabelValue(s: string): string {
  return s.replace(/[\\"\n]|[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '"') return '\\"';
    if (c === '\n') return '\\n';
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\\\u${code.toString(16).padStart(4, '0')}` : `\\\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** HELP text: only backslash and line feed are escaped there. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Labels = Record<string, string>;

function value(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

class Exposition {
  private readonly lines: string[] = [];

  /** One metric family: HELP, TYPE, then its samples, all together as the format requires. */
  gauge(name: string, help: string, samples: [Labels, number][]): this {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} gauge`);
    for (const [labels, n] of samples) {
      const pairs = Object.entries(labels).map(([k, v]) => {
        if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)}`);
        return `${k}="${escapeLabelValue(v)}"`;
      });
      this.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value(n)}`);
    }
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

export interface PromRun {
  /** How long the doctor run took. */
  durationMs: number;
  /** When it finished (ms since the epoch). */
  finishedAt: number;
}

/** Rounds seconds to microseconds, so the file does not carry float noise. */
const seconds = (ms: number) => Math.round(ms * 1000) / 1e6;

export function renderProm(report: DoctorReport, run: PromRun): string {
  const status: [Labels, number][] = [];
  for (const r of report.results) {
    for (const s of STATUSES) status.push([{ check: r.id, area: r.area, status: s }, r.status === s ? 1 : 0]);
  }
  return new Exposition()
    .gauge(
      'qnet_check_status',
      'Status of each qnet doctor check, one series per possible status (pass, warn, fail, skip, error): ' +
        'the series of the status the check has now is 1, the other four are 0, so a series never vanishes when a status changes. ' +
        'Alert on qnet_check_status{status="fail"} == 1; count failing checks with sum by (instance) (qnet_check_status{status=~"fail|error"}).',
      status,
    )
    .gauge('qnet_info', "qnet's version in the version label; the value is always 1.", [[{ version: report.qnet }, 1]])
    .gauge('qnet_doctor_duration_seconds', 'How long the qnet doctor run took, in seconds.', [[{}, seconds(run.durationMs)]])
    .gauge(
      'qnet_doctor_last_run_timestamp_seconds',
      'When the qnet doctor run finished, in seconds since the Unix epoch. If it stops moving, the job that writes this file stopped running.',
      [[{}, Math.round(run.finishedAt) / 1000]],
    )
    .toString();
}

/** Levenshtein distance, for "did you mean" on a mistyped --format. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest known format, or undefined when nothing is close (also for prefixes: "prometheus" → prom). */
export function suggestFormat(given: string): Format | undefined {
  const g = given.toLowerCase();
  if (!g) return undefined;
  let best: Format | undefined;
  let bestD = Infinity;
  for (const f of FORMATS) {
    const d = g.startsWith(f) || f.startsWith(g) ? 0 : distance(g, f);
    if (d < bestD) [best, bestD] = [f, d];
  }
  return bestD <= 2 ? best : undefined;
}
