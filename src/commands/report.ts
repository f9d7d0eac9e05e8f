// qnet report: GitHub-flavoured Markdown for a bug tracker. A header (qnet,
// distro, kernel, QEMU packages, the network configuration in charge, host or
// guest, redaction), the table of every check, each failing or warning check
// with its evidence and recommended fix, the network as a Mermaid diagram with
// the problems marked, and, collapsed, the evidence of the other checks and the
// replayable snapshot (`qnet doctor --snapshot report.md`).
//
// `buildReport` is the one way to make a report (the CLI and the wizard call
// it). Redacted (the default), the report is diagnosed again from the host
// record with secrets removed and user and host names, addresses and MACs
// replaced by consistent pseudonyms at the source, and that same record is what
// the report embeds: a replay gives exactly what the report shows, and the real
// values are in neither. The mapping is never written.
//
// It fits GitHub's issue-body limit (65,536 characters): the evidence of
// passing checks goes first, then long evidence of the findings, then detail in
// the diagram, then the snapshot; the report says what it left out.
import type { Context } from '../context.js';
import { createContext } from '../session.js';
import { doctor, doctorOutcomes, VERSION } from '../engine.js';
import { identityUses } from '../facts/users.js';
import { redactReads, redactSnapshot, scrub } from '../host/redact.js';
import { SnapshotHost, type ReadRecord } from '../host/record.js';
import { decodeEmbedded, encodeEmbedded } from '../host/snapshot-embed.js';
import { parseSnapshot, SNAPSHOT_SCHEMA, type SnapshotFile } from '../host/snapshot-file.js';
import { network } from '../model/network.js';
import { managers } from '../facts/managers.js';
import { makeRedactor, nameMap, pseudonymiseReads, reportNames, type NameMap, type Redactor } from '../output/redact-report.js';
import { renderMermaid } from '../topology/mermaid.js';
import { mdCode, mdText, visible } from '../output/safe.js';
import type { Check, DoctorReport, Result } from '../types.js';
import { embeddableReads, pseudonymiseAddresses } from './report-snapshot.js';
import { buildTopology, type Topology } from '../topology/graph.js';

const ICON: Record<Result['status'], string> = { pass: '✔', warn: '!', fail: '✖', skip: '–', error: '☠' };

/** GitHub's limit for an issue or comment body, in characters. */
export const GITHUB_LIMIT = 65_536;
/** What a report aims for: under the limit, with room for a few lines of the reporter's own. */
export const REPORT_BUDGET = 65_000;

/** What a report is made from: the doctor's run, and every read it made of the host. */
export interface ReportSource {
  /** The context the doctor ran in (its invoker, --user, --guest). */
  ctx: Context;
  checks: readonly Check[];
  report: DoctorReport;
  /**
   * The reads of that run: the live run's records, or the snapshot's. A function is
   * called after the report's own reads (QEMU packages, the topology), so a live
   * recorder's records include them.
   */
  reads: Record<string, ReadRecord> | (() => Promise<Record<string, ReadRecord>>);
  /** When the host was read (a snapshot's createdAt); default: now. */
  createdAt?: string;
}

export interface ReportOptions {
  redact: boolean;
  /** Characters the report may take (default REPORT_BUDGET). */
  budget?: number;
  /** The clock, for the embedded snapshot's createdAt (tests fix it). */
  now?: Date;
  /** The checks a full run has (default: the report's own); a report of fewer records them, so a replay runs the same. */
  allChecks?: readonly Check[];
}

// ---------------------------------------------------------------------------
// Header facts, read through Host (so a snapshot replays them)

export interface QemuPackage {
  binaries: string[];
  /** The Debian/Ubuntu package the binaries come from, when its changelog is there. */
  package?: string;
  version?: string;
}

export interface HostFacts {
  qemu: QemuPackage[];
  /** Which configuration defines each interface: NetworkManager, netplan, ifupdown, networkd. */
  managers: { manager: string; links: string[] }[];
  /** Some read was not in the snapshot. */
  notCaptured: boolean;
}

/** qemu-system-ARCH → the Debian package that ships it. */
function debianPackage(bin: string): string {
  const arch = bin.replace(/^qemu-system-/, '');
  if (/^(x86_64|i386)/.test(arch)) return 'qemu-system-x86';
  if (/^(aarch64|arm)/.test(arch)) return 'qemu-system-arm';
  if (/^ppc/.test(arch)) return 'qemu-system-ppc';
  if (/^mips/.test(arch)) return 'qemu-system-mips';
  if (/^sparc/.test(arch)) return 'qemu-system-sparc';
  if (arch === 's390x') return 'qemu-system-s390x';
  return 'qemu-system-misc';
}

/**
 * The QEMU binaries in /usr/bin, and the version of the Debian package behind them,
 * from the first line of its changelog (the first 512 bytes of a gzip file, never
 * the whole file and never QEMU itself). A binary rebuild (binNMU) has its own
 * changelog.Debian.ARCH.gz, whose first line is the installed version.
 */
export async function qemuPackages(ctx: Context): Promise<{ list: QemuPackage[]; notCaptured: boolean }> {
  const { gunzipSync, constants } = process.getBuiltinModule('node:zlib');
  const dir = await ctx.host.readdir('/usr/bin');
  let notCaptured = !dir.ok && dir.code === 'NOTCAPTURED';
  const bins = (dir.ok ? dir.value : []).filter((n) => /^qemu-system-[\w.-]+$/.test(n)).sort();
  const kvm = await ctx.host.stat('/usr/libexec/qemu-kvm');
  if (kvm.ok) bins.push('qemu-kvm');
  const byPkg = new Map<string, string[]>();
  for (const b of bins) {
    const p = b === 'qemu-kvm' ? 'qemu-kvm' : debianPackage(b);
    byPkg.set(p, [...(byPkg.get(p) ?? []), b]);
  }
  const list = await Promise.all(
    [...byPkg].map(async ([pkg, binaries]): Promise<QemuPackage> => {
      const docDir = `/usr/share/doc/${pkg}`;
      const entries = await ctx.host.readdir(docDir);
      if (!entries.ok) {
        if (entries.code === 'NOTCAPTURED') notCaptured = true;
        return { binaries };
      }
      const names = entries.value;
      const log = names.find((n) => /^changelog\.Debian\.[\w-]+\.gz$/.test(n)) ?? names.find((n) => n === 'changelog.Debian.gz');
      if (!log) return { binaries };
      const head = await ctx.host.readRange(`${docDir}/${log}`, 0, 512);
      if (!head.ok) return { binaries };
      try {
        const first = gunzipSync(head.value, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n')[0] ?? '';
        const version = /^\S+ \(([^()\s]+)\)/.exec(first)?.[1];
        return { binaries, package: pkg, ...(version ? { version } : {}) };
      } catch {
        return { binaries, package: pkg };
      }
    }),
  );
  return { list, notCaptured };
}

export async function hostFacts(ctx: Context): Promise<HostFacts> {
  const [q, m] = await Promise.all([qemuPackages(ctx), managers(ctx).catch(() => new Map<string, string>())]);
  const by = new Map<string, string[]>();
  for (const [link, mgr] of m) by.set(mgr, [...(by.get(mgr) ?? []), link]);
  return { qemu: q.list, managers: [...by].map(([manager, links]) => ({ manager, links: links.sort() })), notCaptured: q.notCaptured };
}

// ---------------------------------------------------------------------------
// Building

const strip = (rs: readonly Result[]) => JSON.stringify(rs.map(({ durationMs: _d, ...r }) => r));

interface Embedded {
  lines: string[];
  reads: number;
  variant: string;
}

/**
 * The snapshot block of each variant of the reads that replays to exactly
 * `expected`; decoded from the block's own text, as `--snapshot` will read it.
 */
async function snapshotBlocks(snap: SnapshotFile, checks: readonly Check[], expected: readonly Result[]): Promise<Embedded[]> {
  const out: Embedded[] = [];
  for (const v of await embeddableReads(snap.reads)) {
    const lines = encodeEmbedded(JSON.stringify({ ...snap, reads: v.reads }));
    const back = parseSnapshot(decodeEmbedded(lines.join('\n'), 'the report'), 'the report');
    const ctx = await createContext({ host: new SnapshotHost(back.reads), invoker: back.invoker, user: back.options?.user, source: 'snapshot', guest: back.options?.guest });
    const again = await doctor(ctx, checks);
    if (strip(again.results) === strip(expected)) out.push({ lines, reads: Object.keys(v.reads).length, variant: v.name });
  }
  return out;
}

/**
 * The Markdown report. Redacted, the findings are diagnosed again from the host
 * record with secrets removed and user and host names, addresses and MACs
 * replaced where the system keeps them (so the checks phrase them with pseudonyms
 * and no ordinary word is touched); names and addresses standing as identifiers
 * in free text are replaced too.
 */
export async function buildReport(src: ReportSource, opts: ReportOptions): Promise<string> {
  const { ctx } = src;
  // The report's own reads go through the source context first, so a live record holds them.
  await Promise.all([hostFacts(ctx), buildTopology(ctx, src.report, [])]);
  const reads = typeof src.reads === 'function' ? await src.reads() : src.reads;
  // Secrets go even from an unredacted report: findings that quoted one show REDACTED.
  const secrets = new Set<string>();
  const kept = redactReads(reads, identityUses(ctx), secrets);
  const inv = ctx.invoker;
  let names: NameMap | undefined;
  let redactor: Redactor = { text: (s) => s };
  let diag = kept;
  const candidates: { reads: Record<string, ReadRecord>; embed: boolean }[] = [];
  if (opts.redact) {
    // Tap owners are user identities too (iproute2 prints the name when it resolves the uid).
    const owners = (await network(ctx)).links.map((l) => l.tun?.ownerName);
    names = reportNames(reads, { users: [src.report.host.user, ctx.userOption, inv.sudoUser, inv.user, ...owners], hostname: src.report.host.hostname });
    redactor = makeRedactor(names);
    const named = pseudonymiseReads(kept, names);
    candidates.push({ reads: pseudonymiseAddresses(named, redactor), embed: true }, { reads: named, embed: false });
  } else candidates.push({ reads: kept, embed: true });
  const ren = <T extends string | null | undefined>(u: T): T => ((u && names?.users.get(u)) ?? u) as T;
  const invoker = { ...inv, user: ren(inv.user), sudoUser: ren(inv.sudoUser) };
  const user = ren(ctx.userOption);
  const verdicts = (rs: readonly Result[]) => rs.map((r) => `${r.id}:${r.status}`).join(' ');

  let chosen: { dctx: Context; report: DoctorReport; topology: Topology; embed: boolean } | undefined;
  let why = '';
  for (const c of candidates) {
    diag = c.reads;
    const dctx = await createContext({ host: new SnapshotHost(diag), invoker, user, source: 'snapshot', guest: ctx.forceGuest });
    const { report, outcomes } = await doctorOutcomes(dctx, src.checks);
    // Pseudonymous addresses must tell the same story: where they would change a verdict, the report
    // shows the verdicts of the real addresses (replaced in its text) and carries no snapshot.
    if (c.embed && opts.redact && verdicts(report.results) !== verdicts(src.report.results)) {
      const changed = report.results.filter((r, i) => r.status !== src.report.results[i]?.status).map((r) => r.id);
      why = `with its addresses replaced, the host record would give other verdicts (${changed.join(', ')}), so it is left out`;
      continue;
    }
    chosen = { dctx, report, topology: await buildTopology(dctx, report, outcomes), embed: c.embed };
    break;
  }
  if (!chosen) throw new Error('internal: no host record to report from');
  const facts = await hostFacts(chosen.dctx);
  const shown: DoctorReport = scrub({ ...chosen.report, host: { ...chosen.report.host, source: ctx.source } }, secrets);

  let blocks: Embedded[] = [];
  if (chosen.embed) {
    const all = opts.allChecks;
    const only = all && src.checks.length < all.length ? src.checks.map((c) => c.id) : undefined;
    const snap = redactSnapshot(
      {
        schema: SNAPSHOT_SCHEMA,
        qnet: VERSION,
        createdAt: src.createdAt ?? (opts.now ?? new Date()).toISOString(),
        invoker,
        host: { ...chosen.report.host, source: ctx.source },
        ...(user || ctx.forceGuest || only ? { options: { ...(user ? { user } : {}), ...(ctx.forceGuest ? { guest: true } : {}), ...(only ? { only } : {}) } } : {}),
        // No recorded results: the report shows them, and a replay computes them again.
        reads: diag,
      },
      identityUses(chosen.dctx),
    );
    blocks = await snapshotBlocks(snap, src.checks, chosen.report.results);
    if (!blocks.length) why = 'the snapshot did not replay to the same results here, so it is left out';
  }
  return fitReport({ report: shown, redact: opts.redact, names, redactor, facts, topology: chosen.topology, blocks, why }, opts.budget ?? REPORT_BUDGET);
}

// ---------------------------------------------------------------------------
// Rendering

interface Parts {
  report: DoctorReport;
  redact: boolean;
  names?: NameMap;
  redactor?: Redactor;
  facts?: HostFacts;
  topology?: Topology;
  /** Snapshot blocks that replay, largest first. */
  blocks?: Embedded[];
  /** Why there is no snapshot, when there is none. */
  why?: string;
}

/** How much of each part a rendering keeps. */
interface Level {
  /** Evidence items per passing/skipped check in the collapsed block; 0 drops the block. */
  rawEvidence: number;
  /** Evidence items and details per finding. */
  findingEvidence: number;
  /** Fix previews: of every fix, of the recommended one, or none. */
  previews: 'all' | 'recommended' | 'none';
  /** Characters of a summary in the table (1,000 taps make a long one). */
  tableSummary: number;
  /** Nodes drawn in the diagram; 0 leaves it out. */
  diagram: number;
  /** Which snapshot block: the first (complete), the last (compact), or none. */
  snapshot: 'first' | 'last' | 'none';
}

const ALL = Number.MAX_SAFE_INTEGER;

/** The renderings tried in turn, each trimming more; the evidence of passing checks goes first. */
const LEVELS: Level[] = [
  { rawEvidence: ALL, findingEvidence: ALL, previews: 'all', tableSummary: ALL, diagram: 60, snapshot: 'first' },
  { rawEvidence: 3, findingEvidence: ALL, previews: 'all', tableSummary: ALL, diagram: 60, snapshot: 'first' },
  { rawEvidence: 0, findingEvidence: ALL, previews: 'all', tableSummary: ALL, diagram: 60, snapshot: 'first' },
  { rawEvidence: 0, findingEvidence: ALL, previews: 'all', tableSummary: ALL, diagram: 60, snapshot: 'last' },
  { rawEvidence: 0, findingEvidence: ALL, previews: 'recommended', tableSummary: ALL, diagram: 60, snapshot: 'last' },
  { rawEvidence: 0, findingEvidence: 5, previews: 'recommended', tableSummary: ALL, diagram: 60, snapshot: 'last' },
  { rawEvidence: 0, findingEvidence: 5, previews: 'recommended', tableSummary: 200, diagram: 60, snapshot: 'last' },
  { rawEvidence: 0, findingEvidence: 5, previews: 'recommended', tableSummary: 200, diagram: 25, snapshot: 'last' },
  { rawEvidence: 0, findingEvidence: 5, previews: 'recommended', tableSummary: 200, diagram: 25, snapshot: 'none' },
  { rawEvidence: 0, findingEvidence: 2, previews: 'none', tableSummary: 200, diagram: 25, snapshot: 'none' },
  { rawEvidence: 0, findingEvidence: 1, previews: 'none', tableSummary: 120, diagram: 0, snapshot: 'none' },
];

function fitReport(parts: Parts, budget: number): string {
  let md = '';
  for (const level of LEVELS) {
    md = renderReport(parts, level);
    if (md.length <= budget) return md;
  }
  // Nothing fitted (findings alone are too long): cut the text itself, and say so.
  const note = '\n\n(The report was cut here to fit the tracker\'s limit; run qnet doctor on the host for the rest.)\n';
  const at = md.lastIndexOf('\n', budget - note.length);
  return md.slice(0, at > 0 ? at : budget - note.length) + note;
}

function fence(body: string, info = ''): string[] {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return [f + info, body, f];
}

const KIND_WORD: Record<string, [string, string]> = { tap: ['tap', 'taps'], vm: ['VM', 'VMs'], bridge: ['bridge', 'bridges'], veth: ['veth', 'veths'], nic: ['NIC', 'NICs'], netns: ['namespace', 'namespaces'], macvtap: ['macvtap', 'macvtaps'] };
const countText = (counts: Record<string, number>) =>
  Object.entries(counts).map(([k, n]) => `${n} ${(KIND_WORD[k] ?? [k, `${k}s`])[n === 1 ? 0 : 1]}`).join(', ');

/**
 * Renders a doctor report as Markdown. Every host-derived string is made safe for
 * Markdown where it lands (table cell, code span, heading, code block, Mermaid
 * label) and, when redacting, passed through the redactor first.
 */
export function reportMarkdown(report: DoctorReport, opts: { redact: boolean; names?: NameMap; users?: string[] }): string {
  return renderReport({ report, redact: opts.redact, ...(opts.names ? { names: opts.names } : {}), ...(opts.users ? { users: opts.users } : {}) } as Parts, LEVELS[0]!);
}

function renderReport(parts: Parts & { users?: string[] }, level: Level): string {
  const { report } = parts;
  const h = report.host;
  // Structured fields (host name, judged user, groups) are identities as a whole: replaced as such.
  const names = parts.redact ? (parts.names ?? nameMap([h.user, ...(parts.users ?? [])], [h.hostname])) : undefined;
  const r: Redactor = parts.redactor ?? (names ? makeRedactor(names) : { text: (s: string) => s });
  const t = (s: string) => mdText(r.text(s));
  const code = (s: string, cell = false) => mdCode(r.text(s), { cell });
  const user = (u: string) => t(names?.users.get(u) ?? u);
  const host = (x: string) => t(names?.hosts.get(x) ?? x);
  const trimmed: string[] = [];
  const lines: string[] = [];
  const blocks = parts.blocks ?? [];
  const block = level.snapshot === 'none' ? undefined : level.snapshot === 'first' ? blocks[0] : blocks[blocks.length - 1];
  lines.push(`## qnet ${report.qnet} report`, '');
  lines.push(`- host: ${host(h.hostname)} · ${t(h.distro)} · kernel ${t(h.kernel)} · ${h.guest ? 'running inside a VM (guest checks on)' : 'a host, not a VM'}`);
  if (parts.facts) {
    const f = parts.facts;
    const q = f.qemu.length
      ? f.qemu.map((p) => `${p.binaries.map((b) => code(b)).join(', ')} (${p.package ? `${p.version ? `Debian package ${t(p.package)} ${code(p.version)}` : `package ${t(p.package)}, version not read`}` : 'version not read'})`).join('; ')
      : f.notCaptured ? 'not captured in the snapshot' : 'no qemu-system-* binary in /usr/bin';
    lines.push(`- QEMU: ${q}`);
    const m = f.managers.length
      ? f.managers.map((x) => `${t(x.manager)} (${x.links.slice(0, 8).map((l) => code(l)).join(', ')}${x.links.length > 8 ? `, +${x.links.length - 8}` : ''})`).join('; ')
      : 'no interface is defined in ifupdown, netplan, NetworkManager or systemd-networkd files';
    lines.push(`- network configuration: ${m}`);
  }
  lines.push(`- judged for: ${user(h.user)} (uid ${h.uid}, groups ${h.groups.map(user).join(', ') || 'none'}); qnet ran as ${h.euid === 0 ? 'root' : `uid ${h.euid}`}; source: ${h.source}`);
  const s = report.summary;
  lines.push(`- summary: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error`);
  lines.push(
    parts.redact
      ? `- redaction: on; addresses, MACs, host and user names are consistent pseudonyms (QEMU/libvirt defaults kept)${block ? ', in the text and in the snapshot' : ''}; the mapping is not written anywhere`
      : '- redaction: off; real addresses, MACs, host and user names (secrets are removed all the same)',
  );
  const trimAt = lines.length;
  lines.push('', '| | check | result |', '|---|---|---|');
  let cutSummaries = 0;
  for (const x of report.results) {
    // A summary that names 1,000 taps is cut in the table; the findings below keep theirs whole.
    const long = x.summary.length > level.tableSummary && (x.status === 'pass' || x.status === 'skip');
    if (long) cutSummaries++;
    lines.push(`| ${ICON[x.status]} | \`${x.id}\` | ${t(long ? `${x.summary.slice(0, level.tableSummary - 1)}…` : x.summary)} |`);
  }
  if (cutSummaries) trimmed.push(`${cutSummaries} long summar${cutSummaries === 1 ? 'y' : 'ies'} of passing checks in the table, cut to ${level.tableSummary} characters`);

  const notable = report.results.filter((x) => x.status === 'fail' || x.status === 'warn' || x.status === 'error');
  let cutEvidence = 0;
  let cutPreviews = 0;
  for (const x of notable) {
    lines.push('', `### ${ICON[x.status]} \`${x.id}\`: ${t(x.summary)}`, '');
    const ev = x.evidence.slice(0, level.findingEvidence);
    const det = (x.details ?? []).slice(0, level.findingEvidence);
    cutEvidence += x.evidence.length - ev.length + (x.details?.length ?? 0) - det.length;
    if (ev.length) lines.push('Evidence:', '');
    for (const e of ev) lines.push(`- ${code(e.source)} → ${code(e.observed)}`);
    for (const d of det) lines.push(`- ${d.split('\n').map(t).join('<br>')}`);
    if (x.evidence.length > ev.length || (x.details?.length ?? 0) > det.length) lines.push(`- (${x.evidence.length - ev.length + (x.details?.length ?? 0) - det.length} more lines in the snapshot; qnet doctor prints them all)`);
    const [rec, ...others] = x.fixes;
    if (rec) {
      lines.push('', `Recommended fix: ${code(rec.id)}: ${t(rec.title)} (risk ${rec.risk}${rec.root ? ', needs root' : ''})`);
      const previews = level.previews === 'none' ? [] : level.previews === 'all' ? x.fixes : [rec];
      cutPreviews += x.fixes.filter((f) => f.preview.length && !previews.includes(f)).length;
      if (rec.preview.length && previews.includes(rec)) lines.push('', ...fence(rec.preview.flatMap((p) => p.split('\n')).map((l) => visible(r.text(l))).join('\n')));
      if (others.length) {
        lines.push('', `Other fixes: ${others.map((f) => `${code(f.id)} (${t(f.title)})`).join('; ')}`);
        for (const f of others.filter((o) => o.preview.length && previews.includes(o))) {
          lines.push('', `${code(f.id)}:`, '', ...fence(f.preview.flatMap((p) => p.split('\n')).map((l) => visible(r.text(l))).join('\n')));
        }
      }
    }
  }
  if (cutEvidence) trimmed.push(`${cutEvidence} lines of the findings' evidence`);
  if (cutPreviews) trimmed.push(`the previews of ${cutPreviews} fix${cutPreviews === 1 ? '' : 'es'} (qnet fix --dry-run shows them)`);

  if (parts.topology && level.diagram > 0) {
    const m = renderMermaid(parts.topology, { maxNodes: level.diagram, text: r.text });
    const omitted = countText(m.omitted);
    lines.push('', '### Network', '', ...fence(m.text.trimEnd(), 'mermaid'), '');
    lines.push(`Uplinks, bridges and their ports, taps and the VMs holding them, veths and the namespaces of their peers. ✖ marks a failing check, ! a warning (details above).${omitted ? ` Not drawn, counted in "+N more" boxes: ${omitted} without problems.` : ''}`);
    if (omitted) trimmed.push(`${omitted} from the diagram`);
  } else if (parts.topology) trimmed.push('the network diagram');

  const rest = report.results.filter((x) => x.status === 'pass' || x.status === 'skip');
  if (level.rawEvidence > 0 && rest.length) {
    lines.push('', '<details><summary>Evidence of the checks that passed or did not apply</summary>', '');
    let cut = 0;
    for (const x of rest) {
      const ev = x.evidence.slice(0, level.rawEvidence);
      cut += x.evidence.length - ev.length;
      const what = ev.length ? ev.map((e) => `${code(e.source)} → ${code(e.observed)}`).join('; ') : t(x.summary);
      lines.push(`- \`${x.id}\` (${x.status}): ${what}`);
    }
    lines.push('', '</details>');
    if (cut) trimmed.push(`${cut} evidence lines of passing checks`);
  } else if (rest.length && level.rawEvidence === 0) trimmed.push('the evidence of the checks that passed or did not apply');

  if (block) {
    lines.push('', `<details><summary>Replayable snapshot (${block.reads} reads${parts.redact ? ', redacted like this report' : ''})</summary>`, '');
    lines.push(
      `Save this report to a file (or copy this block into one) and run \`qnet doctor --snapshot FILE\`: it replays the same results. It holds what the checks read on the host, compressed (gzip, base64), with secrets removed${parts.redact ? ' and the same pseudonyms as this report' : ''}${block.variant === 'compact' ? '; to fit, the interface listing keeps only the fields qnet reads, and /usr/bin only QEMU' : ''}.`,
      '',
      ...fence(block.lines.join('\n'), 'qnet-snapshot'),
      '',
      '</details>',
    );
  } else if (parts.topology || parts.blocks || parts.why) {
    const reason = parts.why || (blocks.length ? 'it does not fit in the 65,536 characters a tracker accepts' : 'it could not be made');
    lines.push('', `No snapshot in this report: ${reason}. To give one, run \`qnet snapshot -o host.json\` on the host, read it, and attach the file.`);
    if (blocks.length) trimmed.push('the replayable snapshot (attach qnet snapshot -o FILE instead)');
  }
  if (trimmed.length) lines.splice(trimAt, 0, `- trimmed to fit a tracker's 65,536 characters: ${trimmed.join('; ')}`);
  lines.push('');
  return lines.join('\n');
}
