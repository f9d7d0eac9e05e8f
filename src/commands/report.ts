// qnet report: the doctor's findings as Markdown for a bug tracker, redacted
// by default (consistent pseudonyms for addresses, MACs, host and user names).
// `buildReport` is the one way to make a report (the CLI and the wizard call it):
// it owns the list of names to replace, taken from the host record the findings
// came from.
import type { Context } from '../context.js';
import { createContext } from '../session.js';
import { doctor } from '../engine.js';
import { identityUses } from '../facts/users.js';
import { redactReads, scrub } from '../host/redact.js';
import { SnapshotHost, type ReadRecord } from '../host/record.js';
import { makeRedactor, nameMap, pseudonymiseReads, reportNames, type NameMap, type Redactor } from '../output/redact-report.js';
import { mdCode, mdText } from '../output/safe.js';
import type { Check, DoctorReport, Result } from '../types.js';

const ICON: Record<Result['status'], string> = { pass: '✔', warn: '!', fail: '✖', skip: '–', error: '☠' };

/** What a report is made from: the doctor's run, and every read it made of the host. */
export interface ReportSource {
  /** The context the doctor ran in (its invoker, --user, --guest). */
  ctx: Context;
  checks: readonly Check[];
  report: DoctorReport;
  /** The reads of that run: the live run's records, or the snapshot's. */
  reads: Record<string, ReadRecord>;
}

/**
 * The Markdown report. Redacted, the findings are diagnosed again from the host
 * record with secrets removed and user and host names replaced where the system
 * keeps them (so the checks phrase them with pseudonyms and no ordinary word is
 * touched), then addresses, MACs and names standing as identifiers in free text
 * are replaced too.
 */
export async function buildReport(src: ReportSource, opts: { redact: boolean }): Promise<string> {
  const { ctx, report } = src;
  // Secrets go even from an unredacted report: findings that quoted one show REDACTED.
  const secrets = new Set<string>();
  const kept = redactReads(src.reads, identityUses(ctx), secrets);
  if (!opts.redact) return reportMarkdown(scrub(report, secrets), { redact: false });
  const inv = ctx.invoker;
  const names = reportNames(src.reads, { users: [report.host.user, ctx.userOption, inv.sudoUser, inv.user], hostname: report.host.hostname });
  const reads = pseudonymiseReads(kept, names);
  const ren = <T extends string | null | undefined>(u: T): T => ((u && names.users.get(u)) ?? u) as T;
  const again = await doctor(
    await createContext({
      host: new SnapshotHost(reads),
      invoker: { ...inv, user: ren(inv.user), sudoUser: ren(inv.sudoUser) },
      user: ren(ctx.userOption),
      source: ctx.source,
      guest: ctx.forceGuest,
    }),
    [...src.checks],
  );
  return reportMarkdown(scrub(again, secrets), { redact: true, names });
}

/**
 * Renders a doctor report as Markdown. Every host-derived string is made safe for
 * Markdown where it lands (table cell, code span, heading) and, when redacting,
 * passed through the redactor first.
 */
export function reportMarkdown(report: DoctorReport, opts: { redact: boolean; names?: NameMap; users?: string[] }): string {
  const h = report.host;
  // Structured fields (host name, judged user, groups) are identities as a whole: replaced as such.
  const names = opts.redact ? (opts.names ?? nameMap([h.user, ...(opts.users ?? [])], [h.hostname])) : undefined;
  const r: Redactor = names ? makeRedactor(names) : { text: (s: string) => s };
  const t = (s: string) => mdText(r.text(s));
  const code = (s: string, cell = false) => mdCode(r.text(s), { cell });
  const user = (u: string) => t(names?.users.get(u) ?? u);
  const host = (x: string) => t(names?.hosts.get(x) ?? x);
  const lines: string[] = [];
  lines.push(`## qnet ${report.qnet} report`, '');
  lines.push(`- host: ${host(h.hostname)} · ${t(h.distro)} · kernel ${t(h.kernel)}${h.guest ? ' · running inside a VM' : ''}`);
  lines.push(`- judged for: ${user(h.user)} (uid ${h.uid}, groups ${h.groups.map(user).join(', ') || 'none'}); qnet ran as ${h.euid === 0 ? 'root' : `uid ${h.euid}`}; source: ${h.source}`);
  const s = report.summary;
  lines.push(`- summary: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error`);
  if (opts.redact) lines.push('- redacted: addresses, MACs, host and user names are consistent pseudonyms (QEMU/libvirt defaults kept)');
  lines.push('', '| | check | result |', '|---|---|---|');
  for (const x of report.results) lines.push(`| ${ICON[x.status]} | \`${x.id}\` | ${t(x.summary)} |`);
  const notable = report.results.filter((x) => x.status === 'fail' || x.status === 'warn' || x.status === 'error');
  for (const x of notable) {
    lines.push('', `### ${ICON[x.status]} \`${x.id}\`: ${t(x.summary)}`, '');
    for (const e of x.evidence) lines.push(`- ${code(e.source)} → ${code(e.observed)}`);
    for (const d of x.details ?? []) lines.push(`- ${d.split('\n').map(t).join('<br>')}`);
    if (x.fixes.length) lines.push('', `Proposed fixes: ${x.fixes.map((f) => `${code(f.id)} (${t(f.title)})`).join('; ')}`);
  }
  lines.push('', '<details><summary>Evidence of the checks that passed</summary>', '');
  for (const x of report.results.filter((y) => y.status === 'pass')) {
    lines.push(`- \`${x.id}\`: ${x.evidence.map((e) => `${code(e.source)} → ${code(e.observed)}`).join('; ')}`);
  }
  lines.push('', '</details>', '');
  return lines.join('\n');
}
