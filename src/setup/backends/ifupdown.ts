// The ifupdown backend: the network as a stanza in /etc/network/interfaces.d/
// (with the `source` line checked), brought up now with ifup and down with ifdown.
// Everything the bridge needs at runtime is in its own pre-up/post-up/down lines
// (iproute2 only: no bridge-utils needed), so `ifup` rebuilds it at every boot and
// `ifdown` removes it. In bridge mode the uplink's stanza in /etc/network/interfaces
// becomes `inet manual` and its addressing moves to the bridge's stanza.
import type { Action } from '../../types.js';
import type { Observation } from '../observe.js';
import type { Design } from '../plan.js';
import { showCidr } from '../net.js';
import type { Answers, Step } from '../types.js';
import { Refusal } from '../types.js';
import { dnsmasqArgv, dnsmasqStopArgv } from './common.js';

export const IFUPDOWN_DIR = '/etc/network/interfaces.d';
const MAIN = '/etc/network/interfaces';
const SYSCTL_FILE = '/etc/sysctl.d/99-qnet-ip-forward.conf';

const swapVerb = (rule: string[], to: string) => rule.map((x) => (x === '-A' || x === '-I' ? to : x));
const line = (argv: string[]) => argv.join(' ');

interface UplinkStanza {
  /** Lines of /etc/network/interfaces, the stanza's header index and its option lines. */
  header: number;
  options: number[];
  method: string;
  family: string;
}

/** The `iface UPLINK inet METHOD` stanza of the main file and its option lines. */
export function findStanza(text: string, iface: string): UplinkStanza | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*iface\s+(\S+)\s+(inet6?)\s+(\S+)/.exec(lines[i]!);
    if (!m || m[1] !== iface || m[2] !== 'inet') continue;
    const options: number[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const t = lines[j]!.trim();
      if (/^(iface|auto|allow-\S+|mapping|source|source-directory|no-auto-down|no-scripts|rename)\b/.test(t)) break;
      if (t && !t.startsWith('#')) options.push(j);
    }
    return { header: i, options, method: m[3]!, family: m[2]! };
  }
  return undefined;
}

/** Option lines that configure addressing: they move with the address to the bridge (mtu, hwaddress stay with the card). */
const ADDRESSING = /^(address|netmask|broadcast|network|gateway|metric|dns-\S+|hostname|scope|pointopoint)\b/;

export function renderIfupdown(d: Design, obs: Observation, _a: Answers): { steps: Step[]; notes: string[]; dhcp: string | null } {
  if (!obs.managers.ifupdown.installed) throw new Refusal('ifupdown is not installed (Debian: apt-get install ifupdown): choose another --backend');
  if (d.foreign) throw new Refusal(`${d.bridge} is libvirt's network; use it as it is (--backend runtime only adds the access for the user)`);
  const main = obs.managers.ifupdown.interfaces;
  const steps: Step[] = [];
  const file = `${IFUPDOWN_DIR}/qnet-${d.bridge}`;
  if (d.existing && obs.managers.ifupdown.ours[`qnet-${d.bridge}`] !== undefined) {
    // Built by an earlier setup with the same answers: its files stay as they are.
    return { steps, notes: [`Persisted in ${file} by an earlier qnet setup.`], dhcp: d.mode === 'bridge' ? `the LAN's DHCP server` : d.dhcp && obs.tools.dnsmasq ? `dnsmasq on ${d.bridge}, started and stopped with it` : null };
  }
  const notes: string[] = [`Persisted in ${IFUPDOWN_DIR}/qnet-${d.bridge}: ifup brings it up at every boot; \`qnet undo\` takes it down and removes the file.`];
  const br = d.bridge;
  const body: string[] = [`# qnet setup: ${d.mode} network for VMs (${d.alias}); \`qnet undo\` removes it.`, `auto ${br}`];
  let mainAfter: string | undefined;

  if (d.mode === 'bridge') {
    const up = d.uplink!.name;
    if (main === undefined) throw new Refusal(`${MAIN} does not exist: ifupdown does not manage ${up}; choose another --backend`);
    const st = findStanza(main, up);
    if (!st) throw new Refusal(`${up} has no \`iface ${up} inet ...\` stanza in ${MAIN} (is it configured in ${IFUPDOWN_DIR}?): move it there by hand, or choose another --backend`);
    if (!['static', 'dhcp', 'manual'].includes(st.method)) throw new Refusal(`${up} uses \`inet ${st.method}\` in ${MAIN}; qnet moves only static and dhcp configurations onto a bridge`);
    const lines = main.split('\n');
    const moved = st.options.filter((i) => ADDRESSING.test(lines[i]!.trim()));
    body.push(`iface ${br} inet ${st.method === 'manual' ? 'manual' : st.method}`);
    for (const i of moved) body.push(`    ${lines[i]!.trim()}`);
    body.push(
      `    pre-up ${line(['ip', 'link', 'add', 'name', br, ...(d.bridgeMac ? ['address', d.bridgeMac] : []), 'type', 'bridge', 'stp_state', '0'])}`,
      `    pre-up ${line(['ip', 'link', 'set', 'dev', br, 'alias', d.alias])}`,
      `    pre-up ${line(['ip', 'link', 'set', 'dev', up, 'up'])}`,
      `    pre-up ${line(['ip', 'link', 'set', 'dev', up, 'master', br])}`,
      `    post-down ${line(['ip', 'link', 'set', 'dev', up, 'nomaster'])}`,
      `    post-down ${line(['ip', 'link', 'del', 'dev', br])}`,
    );
    const out = lines.map((l, i) => (i === st.header ? l.replace(/\binet\s+\S+/, 'inet manual') + `    # qnet: addressing moved to ${br}` : moved.includes(i) ? `#${l}    # qnet: moved to ${br}` : l));
    mainAfter = out.join('\n');
  } else {
    body.push(`iface ${br} inet static`, `    address ${showCidr(d.addr!)}`, `    pre-up ${line(['ip', 'link', 'add', 'name', br, ...(d.bridgeMac ? ['address', d.bridgeMac] : []), 'type', 'bridge', 'stp_state', '0'])}`, `    pre-up ${line(['ip', 'link', 'set', 'dev', br, 'alias', d.alias])}`, `    post-down ${line(['ip', 'link', 'del', 'dev', br])}`);
  }
  for (const t of d.taps) {
    body.push(
      `    pre-up ${line(['ip', 'tuntap', 'add', 'dev', t.name, 'mode', 'tap', 'user', String(d.uid)])}`,
      `    pre-up ${line(['ip', 'link', 'set', 'dev', t.name, 'master', br])}`,
      `    up ${line(['ip', 'link', 'set', 'dev', t.name, 'up'])}`,
      `    post-down ${line(['ip', 'tuntap', 'del', 'dev', t.name, 'mode', 'tap'])}`,
    );
  }
  const fwRules: string[][] = [];
  if (d.nat) fwRules.push(d.nat.masquerade, ...d.nat.accepts);
  if (d.bridgedAccept) fwRules.push(d.bridgedAccept);
  for (const r of fwRules) body.push(`    post-up ${line(['iptables', ...r])}`, `    pre-down ${line(['iptables', ...swapVerb(r, '-D')])}`);
  let dhcp: string | null = d.mode === 'bridge' ? `the LAN's DHCP server (through ${d.uplink?.name ?? 'the uplink'})` : null;
  if (d.dhcp && obs.tools.dnsmasq) {
    body.push(`    post-up ${line(dnsmasqArgv(d))}`, `    pre-down ${line(dnsmasqStopArgv(d, obs))}`);
    dhcp = `dnsmasq on ${br}, started and stopped with it`;
  } else if (d.dhcp) {
    notes.push('dnsmasq is not installed (Debian: dnsmasq-base), so guests get no DHCP: give each VM the static address printed below.');
  }
  const content = body.join('\n') + '\n';

  // The main file must read interfaces.d, or the stanza is never seen.
  const files: Action[] = [];
  if (main === undefined) {
    files.push({ kind: 'write-file', path: MAIN, content: `# interfaces(5) file used by ifup(8) and ifdown(8)\nsource ${IFUPDOWN_DIR}/*\n\nauto lo\niface lo inet loopback\n`, mode: 0o644, uid: 0, gid: 0 });
  } else if (!obs.managers.ifupdown.sourcesD) {
    mainAfter = `${mainAfter ?? main}${(mainAfter ?? main).endsWith('\n') ? '' : '\n'}source ${IFUPDOWN_DIR}/*    # qnet: read ${IFUPDOWN_DIR}\n`;
  }
  if (mainAfter !== undefined && mainAfter !== main) files.push({ kind: 'write-file', path: MAIN, content: mainAfter, mode: 0o644, uid: 0, gid: 0 });
  files.push({ kind: 'write-file', path: file, content, mode: 0o644, uid: 0, gid: 0 });
  if (d.nat && !d.nat.forwardOn) {
    files.push({ kind: 'write-file', path: SYSCTL_FILE, content: 'net.ipv4.ip_forward = 1\n', mode: 0o644, uid: 0, gid: 0 });
  }

  const live = !d.existing;
  if (d.mode === 'bridge' && live) {
    // The uplink goes down under its old configuration first; undo brings it back up under it.
    steps.push({ id: 'setup/persist-uplink', title: `take ${d.uplink!.name} down (ifdown), so the bridge can take over its addressing`, actions: [{ kind: 'run', argv: ['ifdown', d.uplink!.name], inverse: ['ifup', d.uplink!.name] }] });
  }
  steps.push({ id: 'setup/ifupdown-files', title: `write the ifupdown configuration (${[...new Set(files.map((f) => (f.kind === 'write-file' ? f.path : '')))].join(', ')})`, actions: files });
  if (d.nat && !d.nat.forwardOn) {
    steps.push({ id: 'setup/forwarding', title: 'turn IPv4 forwarding on now (the sysctl.d file keeps it on at boot)', actions: [{ kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }] });
  }
  if (live) {
    steps.push({ id: d.mode === 'bridge' ? 'setup/bring-up' : 'setup/ifup', title: `bring ${br} up now (ifup ${br})`, actions: [{ kind: 'run', argv: ['ifup', br], inverse: ['ifdown', br], unless: ['ifquery', '--state', br] }] });
  }
  return { steps, notes, dhcp };
}
