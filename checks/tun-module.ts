// tun-module: the tun driver is loaded or built in, and /dev/net/tun is the
// character device 10:200 that QEMU, UML and qemu-bridge-helper open.
import type { CheckCase } from '../src/check-cases.js';
import { kernelConfig, kernelRelease } from '../src/facts/system.js';
import { describeError, isChar, modeString, text } from '../src/host/host.js';
import { loadModulePlan } from '../src/fixes/plans.js';
import type { Check, Evidence, FixPlan } from '../src/types.js';

export const TUN_PATH = '/dev/net/tun';
const TUN_MAJOR = 10;
const TUN_MINOR = 200;

const mknodFix = (mode = 0o666): FixPlan => ({
  id: 'tun-module/mknod',
  title: 'create the /dev/net/tun node (10:200)',
  risk: 'low',
  root: true,
  actions: [
    { kind: 'mkdir', path: '/dev/net', mode: 0o755 },
    { kind: 'mknod-char', path: TUN_PATH, major: TUN_MAJOR, minor: TUN_MINOR, mode },
    { kind: 'note', text: 'udev recreates the node at boot from the driver; this fixes the running system' },
  ],
});

const loadFix = loadModulePlan('tun-module/load', 'tun', 'load the tun driver now and at every boot');

const check: Check = {
  id: 'tun-module',
  area: 'kernel',
  order: 10,
  title: () => 'tun driver and /dev/net/tun',
  async run(ctx) {
    const evidence: Evidence[] = [];
    const [misc, sysmod, node] = await Promise.all([
      ctx.host.readFile('/proc/misc'),
      ctx.host.stat('/sys/module/tun'),
      ctx.host.stat(TUN_PATH),
    ]);

    // The driver: registered misc device (any kind of presence), loaded module, or built in.
    const miscLine = text(misc)?.split('\n').find((l) => /^\s*200 tun\s*$/.test(l));
    let driver: 'registered' | 'loaded' | 'builtin' | 'module-available' | 'absent' | 'unknown' = 'unknown';
    if (miscLine) {
      driver = 'registered';
      evidence.push({ source: 'read /proc/misc', observed: miscLine.trim() });
    } else if (misc.ok) {
      evidence.push({ source: 'read /proc/misc', observed: 'no "200 tun" line: the driver is not registered' });
    }
    if (sysmod.ok) {
      driver = 'loaded';
      evidence.push({ source: 'stat /sys/module/tun', observed: 'present (module loaded)' });
    }
    if (driver !== 'registered' && driver !== 'loaded') {
      const [cfg, rel] = await Promise.all([kernelConfig(ctx), kernelRelease(ctx)]);
      const conf = cfg.values.get('CONFIG_TUN');
      if (cfg.source) evidence.push({ source: `read ${cfg.source}`, observed: conf ? `CONFIG_TUN=${conf}` : 'CONFIG_TUN not set' });
      const builtin = text(await ctx.host.readFile(`/lib/modules/${rel}/modules.builtin`));
      if (conf === 'y' || builtin?.split('\n').some((l) => /(^|\/)tun\.ko$/.test(l.trim()))) {
        driver = 'builtin';
        if (conf !== 'y') evidence.push({ source: `read /lib/modules/${rel}/modules.builtin`, observed: 'lists tun.ko (built in)' });
      } else {
        const dep = text(await ctx.host.readFile(`/lib/modules/${rel}/modules.dep`));
        const line = dep?.split('\n').find((l) => /(^|\/)tun\.ko(\.[gx]z|\.zst)?:/.test(l));
        if (line) {
          driver = 'module-available';
          evidence.push({ source: `read /lib/modules/${rel}/modules.dep`, observed: line.split(':')[0]! });
        } else if (conf === 'm' || conf === undefined) {
          driver = dep === undefined && !cfg.source ? 'unknown' : 'absent';
          if (dep === undefined) evidence.push({ source: `read /lib/modules/${rel}/modules.dep`, observed: 'unreadable or missing' });
        } else {
          driver = 'absent';
        }
      }
    }

    // The node.
    if (!node.ok) {
      evidence.push({ source: `stat ${TUN_PATH}`, observed: describeError(node) });
      if (node.code === 'ENOENT') {
        if (driver === 'registered' || driver === 'loaded' || driver === 'builtin') {
          return {
            status: 'fail',
            summary: `the tun driver is present but ${TUN_PATH} does not exist (udev or devtmpfs did not create it)`,
            evidence,
            fixes: [mknodFix()],
            details: ['QEMU then fails with: could not open /dev/net/tun: No such file or directory'],
          };
        }
        if (driver === 'module-available') {
          return {
            status: 'fail',
            summary: `tun is a module that is not loaded, and ${TUN_PATH} does not exist`,
            evidence,
            fixes: [loadFix],
          };
        }
        return {
          status: 'fail',
          summary: `this kernel has no tun driver (CONFIG_TUN is not set and no tun module is installed)`,
          evidence,
          details: ['Install a kernel with CONFIG_TUN=y or =m (every distribution kernel has it); user-mode networking (-netdev user) needs no tun.'],
        };
      }
      return { status: 'skip', summary: `cannot stat ${TUN_PATH}: ${describeError(node)}`, evidence };
    }
    const st = node.value;
    const observed = `${modeString(st.mode)} ${st.uid}:${st.gid} ${st.rdevMajor}:${st.rdevMinor}`;
    evidence.push({ source: `stat ${TUN_PATH}`, observed });
    if (!isChar(st) || st.rdevMajor !== TUN_MAJOR || st.rdevMinor !== TUN_MINOR) {
      const what = isChar(st) ? `the character device ${st.rdevMajor}:${st.rdevMinor}` : 'not a character device';
      return {
        status: 'fail',
        summary: `${TUN_PATH} is ${what}; it must be the character device 10:200`,
        evidence,
        fixes: [
          {
            ...mknodFix(st.mode & 0o777),
            id: 'tun-module/recreate-node',
            title: 'replace it with the right node (10:200), keeping its mode',
            actions: [
              {
                kind: 'run',
                argv: ['mv', TUN_PATH, `${TUN_PATH}.qnet-broken`],
                inverse: ['mv', `${TUN_PATH}.qnet-broken`, TUN_PATH],
                // Nothing to move back once the kept node is gone (test exits 1).
                inverseUnless: { argv: ['test', '-e', `${TUN_PATH}.qnet-broken`], holdsOn: [1] },
              },
              ...mknodFix(st.mode & 0o777).actions.slice(1),
            ],
          },
        ],
      };
    }
    switch (driver) {
      case 'registered':
      case 'loaded':
      case 'builtin':
        return { status: 'pass', summary: `tun driver ${driver === 'builtin' ? 'built in' : driver === 'loaded' ? 'loaded' : 'present'}; ${TUN_PATH} is 10:200`, evidence };
      case 'module-available':
        return {
          status: 'warn',
          summary: `tun is a module that is not loaded yet; the kernel loads it on the first open of ${TUN_PATH}`,
          evidence,
          fixes: [loadFix],
        };
      case 'absent':
        return {
          status: 'fail',
          summary: `${TUN_PATH} exists but this kernel has no tun driver: opening it fails with ENODEV`,
          evidence,
        };
      case 'unknown':
        return { status: 'warn', summary: `${TUN_PATH} is 10:200, but whether the driver is present could not be read`, evidence };
    }
  },
};

export default check;

/** Host records that pass and that fail (test/check-cases.test.ts replays them; the CLI bundle leaves them out). */
export function cases(): CheckCase[] {
  const MISC = '200 tun\n 61 kvm\n';
  const node = (mode: number, rdev: [number, number] = [10, 200]) => ({ type: 'chr' as const, mode, uid: 0, gid: 0, rdev });
  return [
    { name: 'registered driver and a good node', host: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': node(0o666) } }, status: 'pass', summary: /present; \/dev\/net\/tun is 10:200/ },
    { name: 'built in per /proc/config.gz', host: { files: { '/proc/misc': ' 61 kvm\n', '/boot/config-6.1.0': 'CONFIG_TUN=y\n', '/proc/sys/kernel/osrelease': '6.1.0\n' }, stats: { '/dev/net/tun': node(0o666) } }, status: 'pass', summary: /built in/ },
    { name: 'loaded module', host: { files: { '/proc/misc': MISC }, stats: { '/sys/module/tun': { type: 'dir', mode: 0o755 }, '/dev/net/tun': node(0o666) } }, status: 'pass', summary: /loaded/ },
    { name: 'module available, not loaded, node present', host: { files: { '/proc/misc': ' 61 kvm\n', '/proc/sys/kernel/osrelease': '6.1.0\n', '/boot/config-6.1.0': 'CONFIG_TUN=m\n', '/lib/modules/6.1.0/modules.dep': 'kernel/drivers/net/tun.ko.xz:\n' }, stats: { '/dev/net/tun': node(0o666) } }, status: 'warn', summary: /not loaded yet/ },
    { name: 'driver present, node missing', host: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': null } }, status: 'fail', summary: /does not exist/ },
    { name: 'node with the wrong minor', host: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': node(0o666, [10, 201]) } }, status: 'fail', summary: /10:201; it must be/ },
    { name: 'node is a regular file', host: { files: { '/proc/misc': MISC }, stats: { '/dev/net/tun': { type: 'file', mode: 0o644 } } }, status: 'fail', summary: /not a character device/ },
    { name: 'no driver anywhere', host: { files: { '/proc/misc': ' 61 kvm\n', '/proc/sys/kernel/osrelease': '6.1.0\n', '/boot/config-6.1.0': '# CONFIG_TUN is not set\n', '/lib/modules/6.1.0/modules.dep': 'kernel/foo.ko:\n' }, stats: { '/dev/net/tun': null } }, status: 'fail', summary: /no tun driver/ },
  ];
}
