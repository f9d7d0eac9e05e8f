// The message families: one pattern, any errno spelling, any prefix, wrapped or
// translated; a long log with the telling line buried; descriptions with no
// message; text nothing is known about.
import { describe, expect, it } from 'vitest';
import { CATALOGUE, errnoName } from '../../src/explain/catalogue.js';
import { CAUSES, CAUSE_BY_ID } from '../../src/explain/causes.js';
import { diagnose } from '../../src/explain/diagnose.js';
import { rankDescription, stem, tokens } from '../../src/explain/describe.js';
import { matchText } from '../../src/explain/match.js';
import { FAMILY_CASES } from './family-cases.js';

const top = (text: string) => diagnose(text)[0]?.cause.id;

describe('every family entry, pasted as people paste it', () => {
  const byId = new Map(CATALOGUE.map((e) => [e.id, e]));
  for (const c of FAMILY_CASES) {
    it(`${c.entry} → ${c.cause}`, () => {
      expect(byId.has(c.entry)).toBe(true);
      const matches = matchText(c.paste);
      const hit = matches.find((m) => m.entry.id === c.entry);
      expect(hit, matches.map((m) => m.entry.id).join(',')).toBeDefined();
      if (c.errno) expect(hit!.errno).toBe(c.errno);
      expect(top(c.paste)).toBe(c.cause);
    });
  }
});

describe('the errno picks the cause, however it is spelled', () => {
  const line = (errno: string) => `qemu-system-x86_64: -netdev tap,id=n0: could not open /dev/net/tun: ${errno}`;
  const cases: [string, string][] = [
    ['Permission denied', 'tun-perms'],
    ['Operation not permitted', 'tap-privilege'],
    ['No such file or directory', 'tun-missing'],
    ['No such device', 'tun-missing'],
    // glibc translations (Debian's libc-l10n catalogues)
    ['Keine Berechtigung', 'tun-perms'],
    ['Отказано в доступе', 'tun-perms'],
    ['Aucun fichier ou dossier de ce type', 'tun-missing'],
    ['Die Operation ist nicht erlaubt', 'tap-privilege'],
    ['没有那个设备', 'tun-missing'],
    ['Brak dostępu', 'tun-perms'],
    ['Permissão negada', 'tun-perms'],
  ];
  for (const [errno, cause] of cases) it(`${errno} → ${cause}`, () => expect(top(line(errno))).toBe(cause));

  it('numeric forms: errno = N, err = N, [Errno N], os error N', () => {
    expect(errnoName('errno = 13')).toBe('EACCES');
    expect(errnoName('err = 2')).toBe('ENOENT');
    expect(errnoName('[Errno 1] Operation not permitted')).toBe('EPERM');
    expect(errnoName('os error 19')).toBe('ENODEV');
    expect(errnoName('EBUSY')).toBe('EBUSY');
    expect(top('[    0.930000] TUNSETIFF failed, errno = 16')).toBe('tap-conflict');
    expect(top('[    0.930000] TUNSETIFF failed, errno = 1')).toBe('tap-privilege');
    expect(top('Could not create Network Device: TapOpen(IoctlError(Os { code: 1 })): os error 1')).toBe('tap-privilege');
  });

  it('the same libvirt message with EBUSY, EPERM and ENOENT names three causes', () => {
    const l = (e: string) => `error: Unable to create tap device vnet3: ${e}`;
    expect(top(l('Device or resource busy'))).toBe('tap-conflict');
    expect(top(l('Operation not permitted'))).toBe('tap-privilege');
    expect(top(l('No such file or directory'))).toBe('tun-missing');
  });

  it('an errno it does not know falls back to the message\'s own cause', () => {
    expect(diagnose('failed to get mtu of bridge `br7\': Something new and odd').every((d) => d.lines.length === 0)).toBe(true);
    expect(top("failed to get mtu of bridge `br7': Input/output error")).toBe('bridge-missing');
  });
});

describe('prefixes, timestamps, wrapping, quoting', () => {
  const base = "Cannot get interface MTU on 'virbr0': No such device";
  const variants = [
    base,
    `2024-03-01 10:22:33.123+0000: 2463: error : virNetDevGetMTU:412 : ${base}`,
    `Mar  1 10:22:33 host libvirtd[505]: ${base}`,
    `libvirt: QEMU Driver error : ${base}`,
    `> ${base}`,
    `\x1b[31merror:\x1b[0m ${base}`,
    "Cannot get interface MTU on\n'virbr0': No such device",
    "Cannot get interface MTU on ‘virbr0’: No such\ndevice",
    "ERROR    Cannot get interface MTU on 'virbr0': No such devi\nce",
  ];
  for (const v of variants) it(JSON.stringify(v.slice(0, 60)), () => expect(top(v)).toBe('bridge-missing'));
});

describe('translated libvirt messages map back to English', () => {
  const cases: [string, string, string][] = [
    ['zh_CN', '错误：无法在 \'virbr0\' 获取接口 MTU: 没有那个设备', 'bridge-missing'],
    ['zh_CN, spaces and quotes lost', '执行virsh start android后，提示`错误：无法在br100获取接口 MTU:没有那个设备`', 'bridge-missing'],
    ['de', 'Fehler: Konnte Schnittstellen-MTU auf \'br0\' nicht erhalten: Kein passendes Gerät gefunden', 'bridge-missing'],
    ['de', "Fehler: Kein Netzwerk mit übereinstimmendem Namen 'default'", 'bridge-missing'],
    ['pt (virt-manager)', "Erro ao iniciar o dominio: internal error: /usr/lib/qemu/qemu-bridge-helper --use-vnet --br=virbr0 --fd=31: failed to communicate with bridge helper: Transport endpoint is not connected\nstderr=failed to parse default acl file `/etc/qemu/bridge.conf'", 'helper-acl'],
  ];
  for (const [lang, text, cause] of cases) it(lang, () => expect(top(text)).toBe(cause));
});

describe('a long log with the telling line buried', () => {
  const noise = [
    'Nov 30 10:00:01 host systemd[1]: Started Session 42 of user alice.',
    'Nov 30 10:00:02 host kernel: [ 1234.567890] usb 1-2: new high-speed USB device number 5 using xhci_hcd',
    'Nov 30 10:00:03 host NetworkManager[812]: <info>  [1701338403.1234] dhcp4 (eth0): state changed bound -> bound',
    'Nov 30 10:00:04 host kernel: [ 1234.600000] br0: port 2(vnet3) entered blocking state',
    'Nov 30 10:00:04 host kernel: [ 1234.600001] br0: port 2(vnet3) entered forwarding state',
  ];
  const log = (buried: string, n = 20000) => {
    const lines = Array.from({ length: n }, (_, i) => noise[i % noise.length]!);
    lines.splice(Math.floor(n * 0.7), 0, buried);
    return { text: lines.join('\n'), line: Math.floor(n * 0.7) + 1 };
  };

  it('finds the one line and reports where it is', () => {
    const { text, line } = log("Nov 30 10:00:05 host libvirtd[1002]: 2023-11-30 10:00:05.123+0000: 1002: error : qemuProcessStart:123 : failed to communicate with bridge helper: stderr=access denied by acl file");
    const d = diagnose(text);
    expect(d[0]!.cause.id).toBe('helper-acl');
    expect(d[0]!.lines.map((l) => l.line)).toContain(line);
    expect(d[0]!.lines[0]!.text).toContain('access denied by acl file');
  });

  it('groups several lines of one cause, and ranks causes by their evidence', () => {
    const { text } = log('Nov 30 10:00:05 host qemu-system-x86_64[77]: could not open /dev/net/tun: Permission denied', 5000);
    const more = `${text}\nNov 30 10:09:00 host qemu-system-x86_64[78]: could not open /dev/net/tun: Permission denied\nNov 30 10:09:01 host kernel: br0: port 1(enp3s0) entered disabled state`;
    const d = diagnose(more);
    expect(d[0]!.cause.id).toBe('tun-perms');
    expect(d[0]!.lines.length).toBe(2);
    const uplink = d.find((x) => x.cause.id === 'bridge-uplink');
    expect(uplink).toBeDefined();
    expect(uplink!.confidence).toBeLessThan(d[0]!.confidence);
  });

  it('a log of ordinary noise alone is not a diagnosis', () => {
    const { text } = log('Nov 30 10:00:05 host systemd[1]: Reached target Network.', 3000);
    expect(diagnose(text).filter((d) => d.lines.length)).toEqual([]);
  });
});

describe('descriptions rank the right cause', () => {
  const cases: [string, string][] = [
    ['VMs on the bridge lost all traffic after I installed Docker', 'br-netfilter'],
    ['after installing docker my libvirt guests on the default NAT network cannot reach the internet any more', 'forward-policy'],
    ['the guest gets a 169.254 address', 'guest-dhcp'],
    ['all my VMs have the same IP', 'duplicate-identity'],
    ['I cannot bridge my Wi-Fi card', 'bridge-wireless'],
    ['after moving the VM eth0 is gone', 'guest-ifname'],
    ['vhost_net is not listed by lsmod', 'vhost-net'],
    ['two guests both use 52:54:00:12:34:56 and keep dropping off the network', 'duplicate-identity'],
    ['as soon as I added eth0 to br0 my ssh session dropped and the server lost its network', 'bridge-uplink'],
    ['since I switched the host to nftables the libvirt VMs have no internet', 'libvirt-firewall'],
    ['ubridge has no capabilities and the GNS3 cloud node cannot use my tap', 'helper-setuid'],
    ['我在笔记本上用无线网卡做网桥，虚拟机拿不到地址', 'bridge-wireless'],
  ];
  for (const [text, cause] of cases) {
    it(text, () => {
      const d = diagnose(text);
      expect(d[0]?.cause.id, d.map((x) => x.cause.id).join(',')).toBe(cause);
      expect(d[0]!.words.length).toBeGreaterThan(0);
      expect(d[0]!.lines).toEqual([]);
    });
  }

  it('word order and word forms do not matter', () => {
    const a = rankDescription('renamed interface eth0 guest network broken')[0]!.causeId;
    const b = rankDescription('guest network broken: eth0 interface was renaming')[0]!.causeId;
    expect(a).toBe('guest-ifname');
    expect(b).toBe(a);
    expect(stem('masquerading')).toBe(stem('masquerade'));
    expect(tokens('WLAN0 Wi-Fi wireless wlp2s0')).toEqual(['wireless', 'wireless', 'wireless', 'wireless']);
  });

  it('every cause has a title, a fix, and every symptom a public source', () => {
    for (const c of CAUSES) {
      expect(c.title.length, c.id).toBeGreaterThan(20);
      expect(c.fix.length, c.id).toBeGreaterThan(20);
      for (const s of c.symptoms) expect(s.source, `${c.id}: ${s.text}`).toMatch(/^https:\/\/\S+$/);
    }
    expect(CAUSE_BY_ID.size).toBe(CAUSES.length);
  });
});

describe('text nothing is known about', () => {
  for (const text of ['Segmentation fault (core dumped)', 'hello world', 'The quick brown fox jumps over the lazy dog', "error: failed to get domain 'vm1'", '']) {
    it(JSON.stringify(text), () => expect(diagnose(text)).toEqual([]));
  }
});
