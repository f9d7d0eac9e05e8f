// qnet report: the doctor's findings as Markdown for a bug tracker, redacted
// by default (consistent pseudonyms for addresses, MACs, host and user names).
import type { DoctorReport, Result } from '../types.js';
import { makeRedactor } from '../output/redact-report.js';

const ICON: Record<Result['status'], string> = { pass: '✔', warn: '!', fail: '✖', skip: '–', error: '☠' };

export function reportMarkdown(report: DoctorReport, opts: { redact: boolean; users: string[] }): string {
  const h = report.host;
  const r = opts.redact ? makeRedactor({ hostnames: [h.hostname], users: [h.user, ...opts.users] }) : { text: (s: string) => s };
  const esc = (s: string) => r.text(s).replace(/\|/g, '\\|');
  const lines: string[] = [];
  lines.push(`## qnet ${report.qnet} report`, '');
  lines.push(`- host: ${esc(h.hostname)} · ${h.distro} · kernel ${h.kernel}${h.guest ? ' · running inside a VM' : ''}`);
  lines.push(`- judged for: ${esc(h.user)} (uid ${h.uid}, groups ${h.groups.map(esc).join(', ') || 'none'}); qnet ran as ${h.euid === 0 ? 'root' : `uid ${h.euid}`}; source: ${h.source}`);
  const s = report.summary;
  lines.push(`- summary: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error`);
  if (opts.redact) lines.push('- redacted: addresses, MACs, host and user names are consistent pseudonyms (QEMU/libvirt defaults kept)');
  lines.push('', '| | check | result |', '|---|---|---|');
  for (const x of report.results) lines.push(`| ${ICON[x.status]} | \`${x.id}\` | ${esc(x.summary)} |`);
  const notable = report.results.filter((x) => x.status === 'fail' || x.status === 'warn' || x.status === 'error');
  for (const x of notable) {
    lines.push('', `### ${ICON[x.status]} \`${x.id}\`: ${esc(x.summary)}`, '');
    for (const e of x.evidence) lines.push(`- \`${esc(e.source)}\` → \`${esc(e.observed)}\``);
    for (const d of x.details ?? []) lines.push(`- ${esc(d)}`);
    if (x.fixes.length) lines.push('', `Proposed fixes: ${x.fixes.map((f) => `\`${f.id}\` (${esc(f.title)})`).join('; ')}`);
  }
  lines.push('', '<details><summary>Evidence of the checks that passed</summary>', '');
  for (const x of report.results.filter((y) => y.status === 'pass')) {
    lines.push(`- \`${x.id}\`: ${x.evidence.map((e) => `${esc(e.source)} → ${esc(e.observed)}`).join('; ')}`);
  }
  lines.push('', '</details>', '');
  return lines.join('\n');
}
