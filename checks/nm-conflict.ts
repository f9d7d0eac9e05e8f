// nm-conflict: no device has two competing NetworkManager profiles (seed 004:
// the auto-created "Wired connection 4" fights the bridge-slave profile for
// the USB NIC), and NetworkManager answers when its profiles exist.
import type { CheckCase, HostSpec } from '../src/check-cases.js';
import { nmKeyfiles } from '../src/facts/nm.js';
import { which } from '../src/facts/system.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';

interface Profile {
  name: string;
  uuid: string;
  type: string;
  device: string;
  autoconnect: boolean;
  active: boolean;
}

function parseNmcli(out: string): Profile[] {
  // nmcli -t escapes ':' in values as '\:'.
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(/(?<!\\):/).map((f) => f.replace(/\\:/g, ':')))
    .map(([name = '', uuid = '', type = '', device = '', autoconnect = '', active = '']) => ({
      name, uuid, type, device, autoconnect: autoconnect === 'yes', active: active === 'yes',
    }));
}

const RECOVERY = [
  'NetworkManager is not answering. A recovery that works:',
  '  sudo systemctl daemon-reload && sudo systemctl restart NetworkManager',
  '  nm-online && nmcli connection reload',
  'then check /etc/netplan/ for duplicate 90-NM-*.yaml files (netplan-duplicates).',
];

const check: Check = {
  id: 'nm-conflict',
  area: 'manager',
  order: 10,
  title: () => 'NetworkManager profiles do not compete for a device',
  async run(ctx) {
    const [saved, nmcli] = await Promise.all([nmKeyfiles(ctx), which(ctx, 'nmcli')]);
    if (!nmcli && !saved.anyDir) return { status: 'skip', summary: 'NetworkManager is not installed' };
    const evidence: Evidence[] = [];
    let profiles: Profile[] = [];
    if (nmcli) {
      const r = await ctx.host.exec(['nmcli', '-t', '-f', 'NAME,UUID,TYPE,DEVICE,AUTOCONNECT,ACTIVE', 'connection', 'show']);
      const ok = r.ok && r.value.exitCode === 0 && !r.value.timedOut;
      if (!ok) {
        const why = r.ok ? (r.value.timedOut ? 'no answer within the time limit' : r.value.stderr.trim().split('\n')[0] ?? `exit ${r.value.exitCode}`) : r.code;
        evidence.push({ source: 'nmcli connection show', observed: why });
        const hasProfiles = saved.profiles.length > 0 || saved.unreadable.length > 0;
        if (hasProfiles) return { status: 'fail', summary: `NetworkManager has profiles but does not answer (${why})`, evidence, details: RECOVERY };
        return { status: 'skip', summary: `NetworkManager is not running (${why}) and has no saved profiles` };
      }
      profiles = parseNmcli(r.value.stdout);
      evidence.push({ source: 'nmcli connection show', observed: profiles.map((p) => `${p.name} [${p.type}${p.device ? ` on ${p.device}` : ''}${p.autoconnect ? ', autoconnect' : ''}]`).join('; ') || 'no profiles' });
    }
    // Which device each saved profile is bound to (interface-name), from the keyfiles (root only).
    const bound = new Map<string, { name: string; controller?: string; uuid?: string }[]>();
    for (const { name: n, keyfile: k } of saved.profiles) {
      if (!k.interfaceName || !k.autoconnect || (!['ethernet', '802-3-ethernet'].includes(k.type ?? '') && !k.controller)) continue;
      bound.set(k.interfaceName, [...(bound.get(k.interfaceName) ?? []), { name: k.id ?? n, ...(k.controller ? { controller: k.controller } : {}), ...(k.uuid ? { uuid: k.uuid } : {}) }]);
    }
    for (const i of saved.ignored) evidence.push({ source: `stat ${i.path}`, observed: i.why });
    const conflicts: string[] = [];
    const fixes: FixPlan[] = [];
    for (const [dev, ps] of bound) {
      // Auto-created "Wired connection N" profiles are bound by device at run time: count the one nmcli shows on this device.
      const wired = profiles.filter((p) => p.device === dev && /^Wired connection \d+$/.test(p.name) && !ps.some((x) => x.name === p.name));
      const all = [...ps.map((p) => p.name), ...wired.map((w) => w.name)];
      if (all.length > 1) {
        conflicts.push(`${dev} has ${all.length} profiles that connect automatically: ${all.map((a) => `"${a}"`).join(', ')}`);
        const loser = wired[0] ?? undefined;
        if (loser && ps.some((p) => p.controller)) {
          // A profile saved as a keyfile is removed as a file (the journal keeps it) and NetworkManager
          // reloads; undo puts the file back and reloads again. One NetworkManager keeps only in memory
          // can only be deleted, which undo cannot revert.
          const keyfile = saved.profiles.find((p) => p.keyfile.uuid === loser.uuid);
          fixes.push({
            id: `nm-conflict/delete-${loser.uuid}`,
            title: `delete "${loser.name}", which competes with the bridge port profile for ${dev}`,
            risk: 'medium',
            root: true,
            disruptive: true,
            explain: 'NetworkManager then brings the bridge port profile up on the device',
            actions: keyfile
              ? [
                  { kind: 'remove-file', path: keyfile.path },
                  { kind: 'run', argv: ['nmcli', 'connection', 'reload'], refresh: true, why: 'NetworkManager drops the profile whose file is gone' },
                ]
              : [{ kind: 'run', argv: ['nmcli', 'connection', 'delete', loser.uuid] }],
          });
        }
      }
    }
    const ignoredNotes = saved.ignored.map((i) => `${i.path}: ${i.why}`);
    if (conflicts.length) return { status: 'fail', summary: conflicts[0]!, evidence, fixes, details: [...conflicts.slice(1), ...ignoredNotes] };
    // A profile written by hand with the wrong mode or name is silently not there: say so.
    if (ignoredNotes.length) return { status: 'warn', summary: `NetworkManager does not load ${saved.ignored[0]!.path}: ${saved.ignored[0]!.why}`, evidence, details: ignoredNotes.slice(1) };
    return { status: 'pass', summary: profiles.length || bound.size ? 'no device has competing NetworkManager profiles' : 'NetworkManager has no profiles', evidence };
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const NMDIR = '/etc/NetworkManager/system-connections';
  const RUN = '/run/NetworkManager/system-connections';
  const LIB = '/usr/lib/NetworkManager/system-connections';
  const SLAVE = '[connection]\nid=bridge-slave-enx00e04c680001\nuuid=1111\ntype=ethernet\ninterface-name=enx00e04c680001\ncontroller=brnm0\nport-type=bridge\n';
  // An ethernet profile bound to a NIC, in whichever directory a case puts it.
  const wired = (uuid: string, dev = 'enp1s0') => `[connection]\nid=w-${uuid}\nuuid=${uuid}\ntype=ethernet\ninterface-name=${dev}\n`;
  const dirs = (files: Record<string, string>, stats: HostSpec['stats'] = {}): HostSpec => {
    const byDir: Record<string, string[]> = {};
    for (const f of Object.keys(files)) (byDir[f.slice(0, f.lastIndexOf('/'))] ??= []).push(f.slice(f.lastIndexOf('/') + 1));
    return { invoker: { uid: 0, euid: 0, user: 'root' }, dirs: byDir, files, stats };
  };
  const TWO = /^enp[19]s0 has 2 profiles that connect automatically/;
  return [
    { name: 'NetworkManager not answering while profiles exist: the recovery steps', host: nmHost({ 'slave.nmconnection': SLAVE }, { exitCode: 8, stderr: 'Error: NetworkManager is not running.' }), status: 'fail', summary: 'NetworkManager has profiles but does not answer', details: 'systemctl restart NetworkManager' },
    { name: 'one profile per device', host: nmHost({ 'slave.nmconnection': SLAVE }, { stdout: 'bridge-slave-enx00e04c680001:1111:802-3-ethernet:enx00e04c680001:yes:yes\n' }), status: 'pass', summary: 'no device has competing NetworkManager profiles' },
    { name: 'a profile in /usr/lib competes with one in /etc', host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${LIB}/b.nmconnection`]: wired('b2') }), status: 'fail', summary: TWO },
    { name: 'an extension-less file counts in /etc (older NetworkManager wrote those)', host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${NMDIR}/Wired connection 4`]: wired('b2') }), status: 'fail', summary: TWO },
    { name: "the /run copy of a UUID shadows /etc's (nmcli connection modify ... to a volatile profile)", host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${RUN}/a.nmconnection`]: wired('a1', 'enp9s0'), [`${NMDIR}/b.nmconnection`]: wired('b2', 'enp9s0') }), status: 'fail', summary: TWO },
    { name: 'the same UUID in /etc and /usr/lib is one profile', host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${LIB}/a.nmconnection`]: wired('a1') }), status: 'pass', summary: 'no device has competing NetworkManager profiles' },
    { name: 'an editor backup (~) is not a profile', host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${NMDIR}/a.nmconnection~`]: wired('b2') }), status: 'pass', summary: 'no device has competing NetworkManager profiles' },
    {
      name: 'a keyfile that is not root-only is not loaded by NetworkManager, and does not count',
      host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${NMDIR}/mine.nmconnection`]: wired('b2') }, { [`${NMDIR}/a.nmconnection`]: { mode: 0o600 }, [`${NMDIR}/mine.nmconnection`]: { mode: 0o644 } }),
      status: 'warn',
      summary: /^NetworkManager does not load \/etc\/NetworkManager\/system-connections\/mine\.nmconnection: NetworkManager ignores it: mode 0644, not root-only \(chown root:root, chmod 0600, then nmcli connection reload\)$/,
    },
    { name: 'outside /etc, a file without .nmconnection is not loaded', host: dirs({ [`${NMDIR}/a.nmconnection`]: wired('a1'), [`${LIB}/b`]: wired('b2') }), status: 'warn', summary: /does not load \/usr\/lib\/NetworkManager\/system-connections\/b: outside \/etc only \*\.nmconnection files are read/ },
    { name: 'no NetworkManager', host: {}, status: 'skip', summary: 'NetworkManager is not installed' },
  ];
}

/**
 * A host record for the table above and test/checks/managers.test.ts: root's view of NetworkManager
 * with `keyfiles` saved in /etc and nmcli answering `nmcli` (null: nmcli is not installed).
 */
export function nmHost(keyfiles: Record<string, string>, nmcli: { stdout?: string; exitCode?: number; stderr?: string } | null): HostSpec {
  const dir = '/etc/NetworkManager/system-connections';
  return {
    invoker: { uid: 0, euid: 0, user: 'root' },
    dirs: { [dir]: Object.keys(keyfiles) },
    files: Object.fromEntries(Object.entries(keyfiles).map(([n, b]) => [`${dir}/${n}`, b])),
    stats: nmcli ? { '/usr/bin/nmcli': { mode: 0o755 } } : {},
    exec: nmcli ? { 'nmcli -t -f NAME,UUID,TYPE,DEVICE,AUTOCONNECT,ACTIVE connection show': nmcli } : {},
  };
}
