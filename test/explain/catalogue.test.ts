// One case per catalogue message: the text as users paste it (timestamps,
// program and option prefixes, wrapped lines, the lines around it), where that
// text comes from, and what the best match must be.
//
// "captured 7.2": printed by Debian 12's qemu-system-x86_64 7.2.22 (or its
// qemu-bridge-helper / iproute2 6.1 / tunctl) as uid 4242 inside
// `unshare -m -n`, with the condition the case names. "public paste": text
// found in a public write-up or log (search index), quoted as posted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, ERRNO, expandPattern } from '../../src/explain/catalogue.js';
import { matchText } from '../../src/explain/match.js';
import { CHECK_IDS } from '../../checks/index.js';
import { LINT_IDS, type CheckId } from '../../src/types.js';
import { CAUSE_BY_ID } from '../../src/explain/causes.js';
import { FAMILY_CASES } from './family-cases.js';

interface Case {
  entry: string;
  source: string;
  paste: string;
  /** The check IDs the best match must name (written out, not read from the catalogue). */
  ids: CheckId[];
  /** When the paste also holds a more specific message: the entry that must win. */
  best?: string;
}

const CASES: Case[] = [
  // QEMU tap
  { entry: 'qemu-tun-open-eacces', source: 'captured 7.2, /dev/net/tun 0600, journal form', paste: 'Sep 18 07:52:12 host qemu-system-x86_64[1234]: qemu-system-x86_64: -netdev tap,id=n0,script=no,downscript=no: could not open /dev/net/tun: Permission denied', ids: ['tun-perms'] },
  { entry: 'qemu-tun-open-enoent', source: 'captured 7.2, empty /dev/net', paste: '$ qemu-system-x86_64 -enable-kvm -netdev tap,id=n0,script=no,downscript=no -device e1000,netdev=n0\nqemu-system-x86_64: -netdev tap,id=n0,script=no,downscript=no: could not open /dev/net/tun: No such file or directory\n', ids: ['tun-module'] },
  { entry: 'qemu-tun-open-enodev', source: 'captured 7.2, node 10:201, wrapped by an 80-column terminal', paste: 'qemu-system-x86_64: -netdev tap,id=n0,script=no,downscript=no: could not open\n/dev/net/tun: No such device', ids: ['tun-module'] },
  { entry: 'qemu-tun-configure-eperm', source: 'captured 7.2 as uid 4242 without CAP_NET_ADMIN', paste: 'qemu-system-x86_64: -netdev tap,id=n0,ifname=tap0,script=no,downscript=no: could not configure /dev/net/tun (tap0): Operation not permitted', ids: ['tap-state', 'tun-perms', 'helper-setuid', 'helper-acl'] },
  { entry: 'qemu-tun-configure-ebusy', source: 'captured 7.2, tap2 held by another QEMU', paste: 'qemu-system-x86_64: -netdev tap,id=n0,ifname=tap2,script=no,downscript=no: could not configure /dev/net/tun (tap2): Device or resource busy', ids: ['tap-state'] },
  { entry: 'qemu-tun-configure-einval', source: 'captured 7.2, ifname=tun3 made with mode tun', paste: '  qemu-system-x86_64: -netdev tap,id=n0,ifname=tun3,script=no,downscript=no: could not configure /dev/net/tun (tun3): Invalid argument', ids: ['tap-state', 'qemu-cmdline'] },
  { entry: 'qemu-ifup-status', source: 'captured 7.2, /etc/qemu-ifup missing', paste: 'qemu-system-x86_64: -netdev tap,id=n0: network script /etc/qemu-ifup failed with status 256', ids: ['qemu-ifup'] },
  { entry: 'qemu-ifup-command-missing', source: 'captured 7.2, script calling brctl', paste: '/etc/qemu-ifup: 2: brctl: Permission denied\nqemu-system-x86_64: -netdev tap,id=n0: network script /etc/qemu-ifup failed with status 32512', ids: ['qemu-ifup'] },
  { entry: 'qemu-ifup-bridge-missing', source: 'captured 7.2, script attaching to br0 that does not exist', paste: 'Error: argument "br0" is wrong: Device does not exist\n\nqemu-system-x86_64: -netdev tap,id=n0: network script /etc/qemu-ifup failed with status 65280', ids: ['qemu-ifup', 'bridge-state', 'ifname-mismatch'] },
  { entry: 'qemu-ifup-launch-old', source: 'seed 001 (qemu-kvm on RHEL), verbatim', paste: '/etc/qemu-ifup: could not launch network script\nqemu-kvm: -net tap,vlan=0,ifname=tap0: Device \'tap\' could not be initialized', ids: ['qemu-ifup'] },
  { entry: 'qemu-device-init-old', source: 'seed 001, second line only', paste: 'qemu-kvm: -net tap,vlan=0,ifname=tap0: Device \'tap\' could not be initialized', ids: ['qemu-ifup', 'tun-perms', 'tun-module'] },
  // bridge helper
  { entry: 'qemu-bridge-helper-failed', source: 'captured 7.2, helper= naming a missing program', paste: 'qemu-system-x86_64: -netdev bridge,id=n0,br=br0,helper=/usr/lib/qemu/nosuch-helper: bridge helper failed', ids: ['helper-setuid', 'helper-acl'] },
  { entry: 'qemu-bridge-helper-launch-old', source: 'qemu ≤ 2.x net/tap.c wording, with the old device line', paste: 'failed to launch bridge helper\nqemu: -netdev bridge,br=br0,id=n0: Device \'bridge\' could not be initialized', ids: ['helper-setuid', 'helper-acl'] },
  { entry: 'qemu-bridge-recv-fd-old', source: 'qemu ≤ 2.x net/tap.c wording, libvirt log stamp', paste: '2013-05-02 10:11:12.123+0000: failed to recv file descriptor', ids: ['helper-setuid', 'helper-acl'] },
  { entry: 'helper-acl-parse', source: 'public paste (kubeflow-on-kvm notes): libvirt wrapping the helper', paste: "error: Failed to start domain 'pxe-server'\nerror: /usr/lib/qemu/qemu-bridge-helper --use-vnet --br=virbr0 --fd=33: failed to communicate with bridge helper: stderr=failed to parse default acl file `/etc/qemu/bridge.conf'\n: Transport endpoint is not connected", ids: ['helper-acl'] },
  { entry: 'helper-acl-denied', source: 'public paste (install-kvm-cluster on Rocky 9.4)', paste: 'ERROR    /usr/libexec/qemu-bridge-helper --use-vnet --br=virbr1 --fd=30: failed to communicate with bridge helper: stderr=access denied by acl file\n: Transport endpoint is not connected\nDomain installation does not appear to have been successful.', ids: ['helper-acl'] },
  { entry: 'helper-acl-invalid-line', source: 'captured 7.2, bridge.conf line "allowbr0"', paste: "Invalid config line:\n  allowbr0\n\nfailed to parse default acl file `/etc/qemu/bridge.conf'\nqemu-system-x86_64: -netdev bridge,id=n0,br=br0: bridge helper failed", best: 'helper-acl-parse', ids: ['helper-acl'] },
  { entry: 'helper-acl-unknown-command', source: 'captured 7.2, bridge.conf line "permit br0"', paste: "Unknown command `permit'\nfailed to parse default acl file `/etc/qemu/bridge.conf'\nqemu-system-x86_64: -netdev bridge,id=n0,br=br0: bridge helper failed", best: 'helper-acl-parse', ids: ['helper-acl'] },
  { entry: 'helper-bridge-missing', source: 'public paste (vagrant-libvirt notes)', paste: "/home/amezin/.vagrant.d/gems/3.4.8/gems/fog-libvirt-0.15.0/lib/fog/libvirt/requests/compute/vm_action.rb:7:in 'Libvirt::Domain#create': Call to virDomainCreate failed: /usr/lib/qemu/qemu-bridge-helper --use-vnet --br=virbr0 --fd=30: failed to communicate with bridge helper: stderr=failed to get mtu of bridge `virbr0': No such device (Libvirt::Error)", ids: ['bridge-state', 'ifname-mismatch', 'helper-acl'] },
  { entry: 'helper-create-tun-eperm', source: 'public paste ("qemu kvm: operation not permitted fix")', paste: 'Error starting domain: internal error: /usr/libexec/qemu-bridge-helper --use-vnet --br=virbr0 --fd=20: failed to communicate with bridge helper: Transport endpoint is not connected\nstderr=failed to create tun device: Operation not permitted', ids: ['helper-setuid'] },
  { entry: 'helper-open-tun-eacces', source: 'captured 7.2, /dev/net/tun 0600 with an allowed bridge', paste: 'failed to open /dev/net/tun: Permission denied\nqemu-system-x86_64: -netdev bridge,id=n0,br=br0: bridge helper failed', ids: ['tun-perms', 'helper-setuid'] },
  { entry: 'helper-name-too-long', source: 'captured 7.2, br= of 27 bytes', paste: "name `averyveryverylongbridgename' too long: 27\nqemu-system-x86_64: -netdev bridge,id=n0,br=averyveryverylongbridgename: bridge helper failed", ids: ['qemu-cmdline', 'ifname-mismatch'] },
  { entry: 'helper-drop-privileges', source: 'qemu-bridge-helper.c wording, with the 7.2 QEMU line', paste: 'failed to drop privileges\nqemu-system-x86_64: -netdev bridge,br=br0,id=n0: bridge helper failed', ids: ['helper-setuid'] },
  // kvm
  { entry: 'kvm-access-eacces', source: 'captured 7.2, /dev/kvm 0600', paste: 'Could not access KVM kernel module: Permission denied\nqemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied', ids: ['kvm'] },
  { entry: 'kvm-access-enoent', source: 'public paste (qemu-devel, quoted-printable mail archive)', paste: '> Could not access KVM kernel module: No such file or directory\n> qemu-system-x86_64: -accel kvm: failed to initialize kvm: No such file =\nor directory\n> qemu-system-x86_64: falling back to tcg', ids: ['kvm'] },
  { entry: 'kvm-init-failed', source: 'public paste (libvirtd journal, message cut by the journal wrap)', paste: 'Jun 30 11:20:59 mn-OptiPlex-745 libvirtd[505]: Failed to probe capabilities for /usr/bin/kvm: internal error: QEMU / QMP failed: Could not access KVM kernel module: No such file or\n                                               failed to initialize KVM: No such file or directory', ids: ['kvm'] },
  { entry: 'libvirt-kvm-caps', source: 'public paste (vagrant-travisci notes)', paste: 'Error while creating domain: Error saving the server: Call to virDomainDefineXML failed: invalid argument: could not find capabilities for domaintype=kvm', ids: ['kvm'] },
  // vhost
  { entry: 'vhost-open-failed', source: 'captured 7.2, vhost=on with /dev/vhost-net 0600', paste: "qemu-system-x86_64: -netdev tap,id=n0,ifname=tap2,script=no,downscript=no,vhost=on: warning: tap: open vhost char device failed: Permission denied\nqemu-system-x86_64: ../../net/net.c:1131: net_client_init1: Assertion `nc' failed.\nAborted (core dumped)", ids: ['vhost-net'] },
  { entry: 'vhost-assertion-7.2', source: 'captured 7.2, the abort line alone', paste: "qemu-system-x86_64: ../../net/net.c:1131: net_client_init1: Assertion `nc' failed.\nAborted (core dumped)", ids: ['vhost-net'] },
  { entry: 'vhost-old', source: 'qemu ≤ 2.x net/tap.c wording', paste: 'qemu-system-x86_64: -netdev tap,id=hostnet0,vhost=on: vhost-net requested but could not be initialized', ids: ['vhost-net'] },
  { entry: 'libvirt-vhost-open', source: 'libvirt qemu_interface.c wording via virsh', paste: 'error: Failed to start domain vm1\nerror: Unable to open vhost-net. Opened so far 0, requested 1: Permission denied', ids: ['vhost-net'] },
  // command line
  { entry: 'qemu-vlan-removed', source: 'captured 7.2', paste: "qemu-system-x86_64: -net nic,vlan=0: Invalid parameter 'vlan'", ids: ['qemu-cmdline'] },
  { entry: 'hostfwd-port-busy', source: 'captured 7.2, port 2222 bound', paste: "qemu-system-x86_64: -netdev user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'", ids: ['hostfwd-port'] },
  { entry: 'hostfwd-invalid', source: 'captured 7.2', paste: "qemu-system-x86_64: -netdev user,id=n0,hostfwd=tcp::22x22-:22: Invalid host forwarding rule 'tcp::22x22-:22' (Bad host port)", ids: ['qemu-cmdline'] },
  { entry: 'netdev-no-peer', source: 'captured 7.2', paste: 'qemu-system-x86_64: warning: netdev n0 has no peer', ids: ['qemu-cmdline'] },
  { entry: 'netdev-property-not-found', source: 'captured 7.2', paste: "qemu-system-x86_64: -device e1000,netdev=nosuch: Property 'e1000.netdev' can't find value 'nosuch'", ids: ['qemu-cmdline'] },
  { entry: 'netdev-backend-not-compiled', source: 'qemu net/net.c net_client_init1(), as printed for -netdev user by a QEMU 7.2+ built without libslirp', paste: "qemu-system-x86_64: -netdev user,id=net0,hostfwd=tcp::2222-:22: network backend 'user' is not compiled into this binary", ids: ['qemu-netdev', 'qemu-cmdline'] },
  { entry: 'qemu-libslirp-missing', source: 'captured 7.2 with libslirp.so.0 hidden by an overlay (test/realkernel/managers.test.ts), shell prompt around it', paste: '$ qemu-system-x86_64 -nic user\nqemu-system-x86_64: error while loading shared libraries: libslirp.so.0: cannot open shared object file: No such file or directory\n$ ', ids: ['qemu-netdev'] },
  { entry: 'netdev-type-unknown', source: 'captured 7.2', paste: "qemu-system-x86_64: -netdev foo,id=n0: Parameter 'type' does not accept value 'foo'", ids: ['qemu-netdev', 'qemu-cmdline'] },
  { entry: 'netdev-duplicate-id', source: 'captured 7.2', paste: "qemu-system-x86_64: -netdev user,id=n0: Duplicate ID 'n0' for netdev", ids: ['qemu-cmdline'] },
  // UML
  { entry: 'uml-tunsetiff', source: 'linux arch/um tuntap_user.c wording, UML console with printk stamp', paste: '[    0.930000] TUNSETIFF failed, errno = 1', ids: ['tap-state', 'tun-perms'] },
  { entry: 'uml-open-tun-eacces', source: 'linux arch/um tuntap_user.c wording', paste: '[    0.890000] Failed to open /dev/net/tun, err = 13', ids: ['tun-perms'] },
  { entry: 'uml-open-tun-enoent', source: 'linux arch/um tuntap_user.c wording', paste: 'Failed to open /dev/net/tun, err = 2', ids: ['tun-module'] },
  { entry: 'uml-open-tramp', source: 'linux arch/um tuntap_user.c wording (eth0=tuntap,,,192.168.0.254)', paste: '[    1.020000] tuntap_open_tramp failed - err = 2', ids: ['tap-state', 'tun-perms'] },
  { entry: 'uml-net-helper-exec', source: 'linux arch/um helper.c wording, then tuntap_user.c', paste: "helper_child - execvp of 'uml_net' failed - errno = 2\ntuntap_open_tramp failed - err = 2", ids: ['tap-state', 'tun-perms'] },
  // tunctl / iproute2 / kernel
  { entry: 'tunctl-tunsetiff', source: 'captured tunctl (uml-utilities) as uid 4242', paste: '$ tunctl -u 1000 -t tap0\nTUNSETIFF: Operation not permitted', ids: ['tap-state'] },
  { entry: 'tunctl-open', source: 'captured tunctl as uid 4242, /dev/net/tun 0600', paste: "$ tunctl -t tap0\nFailed to open '/dev/net/tun' : Permission denied", ids: ['tun-perms', 'tun-module'] },
  { entry: 'ip-tuntap-eperm', source: 'captured iproute2 6.1 as uid 4242', paste: '$ ip tuntap add dev tap0 mode tap\nioctl(TUNSETIFF): Operation not permitted', ids: ['tap-state'] },
  { entry: 'ip-tuntap-ebusy', source: 'captured iproute2 6.1, tap0 exists', paste: '# ip tuntap add dev tap0 mode tap\nioctl(TUNSETIFF): Device or resource busy', ids: ['tap-state'] },
  { entry: 'ip-cannot-find-device', source: 'captured iproute2 6.1 in a namespace without eth0', paste: '$ sudo ip link set eth0 up\nCannot find device "eth0"', ids: ['ifname-mismatch', 'guest-ifname'] },
  { entry: 'kernel-bridge-wireless', source: 'public paste (Russian libvirt quiz), kernel br_if.c extack', paste: '$ sudo ip link set wlp2s0 master br0\nError: Device does not allow enslaving to a bridge.', ids: ['bridge-state'] },
  { entry: 'kernel-own-address', source: 'kernel br_fdb.c wording in a syslog line', paste: 'Nov 23 10:00:01 host kernel: [ 8123.456789] br0: received packet on tap1 with own address as source address (addr:52:54:00:12:34:56, vlan:0)', ids: ['mac-duplicate', 'bridge-state'] },
  // libvirt
  { entry: 'libvirt-create-tap-ebusy', source: 'libvirt virnetdevtap.c wording in a libvirtd log line', paste: '2019-06-24 08:02:19.491+0000: 2463: error : virNetDevTapCreate:240 : Unable to create tap device vnet0: Device or resource busy', ids: ['tap-state'] },
  { entry: 'libvirt-create-tap', source: 'libvirt virnetdevtap.c wording via virsh', paste: "error: Failed to start domain 'vm1'\nerror: Unable to create tap device vnet%d: Operation not permitted", best: 'libvirt-create-tap-any', ids: ['tap-state', 'tun-module', 'tun-perms'] },
  { entry: 'libvirt-open-tun', source: 'libvirt virnetdevtap.c wording, libvirt: error prefix', paste: 'libvirt: error : Unable to open /dev/net/tun, is tun module loaded?: No such file or directory', ids: ['tun-module', 'tun-perms'] },
  { entry: 'libvirt-mtu-virbr0', source: 'public paste (Japanese libvirt quickstart)', paste: "$ virsh start quickstart-vm\nerror: Failed to start domain 'quickstart-vm'\nerror: Cannot get interface MTU on 'virbr0': No such device", ids: ['bridge-state', 'ifname-mismatch'] },
  { entry: 'libvirt-bridge-helper', source: 'public paste (multiverse-os notes), without the stderr part', paste: 'Error starting domain: internal error: /usr/lib/qemu-bridge-helper --user-vnet --br=virbr0 --fd=24: failed to communicate with bridge helper: Transport endpoint is not connected', ids: ['helper-setuid', 'helper-acl'] },
  { entry: 'libvirt-exec-helper', source: 'public paste (multiverse-os notes)', paste: '**Error** Error starting domain: internal error: /usr/lib/qemu-bridge-helper --user-vnet --br=virbr0 --fd=24: failed to communicate with bridge helper: Transport endpoint is not connected stderr=libvirt: error: cannot execute binary /usr/lib/qemu/qemu-bridge-helper: Permission denied', ids: ['helper-setuid'] },
  { entry: 'libvirt-network-not-found', source: 'public paste (virt-install notes)', paste: "ERROR    Network not found: no network with matching name 'default'", ids: ['bridge-state'] },
  { entry: 'libvirt-network-inactive', source: 'public paste (wrapped as posted)', paste: "Requested operation is not valid:\nnetwork 'isolated' is not active", ids: ['bridge-state'] },
  { entry: 'libvirt-network-start-failed', source: 'virsh-network.c wording with the collision line after it', paste: 'error: Failed to start network default\nerror: internal error: Network is already in use by interface eth0', best: 'libvirt-net-in-use', ids: ['bridge-state'] },
  { entry: 'libvirt-firewall-chain', source: 'libvirt network_iptables.c chain and iptables error text', paste: 'error: Failed to start network default\nerror: internal error: Failed to apply firewall rules /usr/sbin/iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 67 --jump ACCEPT: iptables: No chain/target/match by that name.', ids: ['forward-policy', 'nat-masquerade'] },
  // guest
  { entry: 'guest-raise-network', source: 'seed 000 console', paste: "[FAILED] Failed to start Raise network interfaces.\nSee 'systemctl status networking.service' for details.\n[  OK  ] Reached target Network.", ids: ['guest-ifname', 'ifname-mismatch'] },
  { entry: 'guest-ifup-failed', source: 'seed 000 journal lines', paste: 'Sep 18 07:52:12 syzkaller ifup[1650]: exiting.\nSep 18 07:52:12 syzkaller ifup[1650]: ifup: failed to bring up eth0', ids: ['guest-ifname', 'ifname-mismatch'] },
  { entry: 'guest-dhcpcd-timeout', source: 'seed 003 (UML guest, dhcpcd)', paste: "eth0: broadcasting for a lease\neth0: timed out\neth0: trying to use old lease in `/var/lib/dhcpcd/dhcpcd-eth0.lease'", ids: ['guest-dhcp', 'bridge-state', 'br-netfilter', 'forward-policy'] },
  { entry: 'guest-dhclient-no-offers', source: 'public paste (Ubuntu forums syslog)', paste: 'Jan  7 16:35:06 hplaptop dhclient: DHCPDISCOVER on eth1 to 255.255.255.255 port 67 interval 12\nJan  7 16:35:18 hplaptop dhclient: No DHCPOFFERS received.\nJan  7 16:35:18 hplaptop dhclient: No working leases in persistent database - sleeping.', ids: ['guest-dhcp', 'bridge-state', 'br-netfilter', 'forward-policy'] },
  { entry: 'guest-link-local', source: 'seed 003 ifconfig output', paste: 'localhost ~ # ifconfig\neth0      Link encap:Ethernet  HWaddr b2:9d:a5:12:b9:45\n          inet addr:169.254.186.160  Bcast:169.254.255.255  Mask:255.255.0.0\n          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1', ids: ['guest-dhcp', 'br-netfilter', 'forward-policy'] },
  { entry: 'guest-network-unreachable', source: 'public paste (routing lab notes)', paste: '$ ping -c2 10.10.10.12\nping: connect: Network is unreachable', ids: ['guest-route', 'guest-dhcp'] },
  // NetworkManager
  { entry: 'nm-not-running', source: 'seed 004', paste: '$ nmcli con show\nError: NetworkManager is not running.', ids: ['nm-conflict'] },
  { entry: 'nm-dbus-disconnected', source: 'seed 004', paste: "Error: Failed to add 'bridge-brnm0' connection: Message recipient disconnected from message bus without replying", ids: ['nm-conflict'] },
];

const byId = new Map(CATALOGUE.map((e) => [e.id, e]));

describe('the catalogue', () => {
  it('holds at least 40 distinct real messages, each with a source', () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CATALOGUE.map((e) => e.id)).size).toBe(CATALOGUE.length);
    expect(new Set(CATALOGUE.map((e) => e.message)).size).toBe(CATALOGUE.length);
    for (const e of CATALOGUE) {
      expect(e.source, e.id).toMatch(/\S{3,}/);
      // Every entry names a known cause; its errno may pick another known one.
      expect(CAUSE_BY_ID.has(e.causeId), e.id).toBe(true);
      for (const c of Object.values(e.errnoCauses ?? {})) expect(CAUSE_BY_ID.has(c!), `${e.id} -> ${c}`).toBe(true);
      expect(e.cause.length, e.id).toBeGreaterThan(10);
      expect(e.fix.length, e.id).toBeGreaterThan(10);
      expect(e.weight).toBeGreaterThan(0);
      expect(e.weight).toBeLessThanOrEqual(1);
      // Only causes no host check can see (a foreign DNS server) have no checks.
      if (CAUSE_BY_ID.get(e.causeId)!.checkIds.length) expect(e.checkIds.length, e.id).toBeGreaterThan(0);
      for (const id of e.checkIds) expect([...CHECK_IDS, ...LINT_IDS], `${e.id} names ${id}`).toContain(id);
    }
  });

  it('has a pasted case for every message, and every case names its source', () => {
    const covered = new Set([...CASES.map((c) => c.entry), ...FAMILY_CASES.map((c) => c.entry)]);
    expect(CATALOGUE.filter((e) => !covered.has(e.id)).map((e) => e.id)).toEqual([]);
    for (const c of CASES) {
      expect(byId.has(c.entry), c.entry).toBe(true);
      expect(c.source.length).toBeGreaterThan(3);
    }
  });

  it('every message, as printed, matches its own entry', () => {
    // The message field is the program's wording; with placeholders filled it must match.
    for (const e of CATALOGUE) {
      const ids = matchText(e.message).map((m) => m.entry.id);
      expect(ids, e.message).toContain(e.id);
    }
  });

  it('rejects an unknown errno placeholder', () => {
    expect(() => expandPattern('x {ENOPE}')).toThrow(/ENOPE/);
  });
});

describe('pasted messages find their cause', () => {
  for (const c of CASES) {
    it(`${c.entry} (${c.source})`, () => {
      const matches = matchText(c.paste);
      expect(matches.length).toBeGreaterThan(0);
      expect(matches.map((m) => m.entry.id)).toContain(c.entry);
      const best = matches[0]!;
      expect(best.entry.id).toBe(c.best ?? c.entry);
      expect(best.checkIds).toEqual(c.ids);
      // Sorted best first.
      for (let i = 1; i < matches.length; i++) expect(matches[i]!.confidence).toBeLessThanOrEqual(matches[i - 1]!.confidence);
    });
  }
});

describe('variants users paste', () => {
  it('a German glibc errno text (libvirt and tools under LANG=de_DE) still matches', () => {
    const m = matchText('qemu-system-x86_64: -netdev tap,id=n0: could not open /dev/net/tun: Keine Berechtigung');
    expect(m[0]!.entry.id).toBe('qemu-tun-open-eacces');
    const l = matchText('Fehler: Unable to create tap device vnet0: Das Gerät oder die Ressource ist belegt');
    expect(l[0]!.entry.id).toBe('libvirt-create-tap-ebusy');
  });

  it('French, Spanish, Russian and Chinese errno texts too', () => {
    expect(matchText('could not open /dev/net/tun: Permission non accordée')[0]!.entry.id).toBe('qemu-tun-open-eacces');
    expect(matchText('could not open /dev/net/tun: No existe el fichero o el directorio')[0]!.entry.id).toBe('qemu-tun-open-enoent');
    expect(matchText('failed to create tun device: Операция не позволена')[0]!.entry.id).toBe('helper-create-tun-eperm');
    expect(matchText('Could not access KVM kernel module: 权限不够')[0]!.entry.id).toBe('kvm-access-eacces');
  });

  it('the errno table lists each error in many languages (from Debian\'s glibc catalogues)', () => {
    const sizes = Object.values(ERRNO).map((a) => a.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(20);
    expect(ERRNO['EACCES']).toEqual(expect.arrayContaining(['permission denied', 'keine berechtigung', 'отказано в доступе', '许可がありません'.replace('许', '許')]));
  });

  it('a word broken by a hard wrap still matches, with less confidence', () => {
    const whole = matchText('could not open /dev/net/tun: Permission denied')[0]!;
    const broken = matchText('qemu-system-x86_64: -netdev tap,id=n0: could not open /dev/net/tun: Permis\nsion denied')[0]!;
    expect(broken.entry.id).toBe('qemu-tun-open-eacces');
    expect(broken.confidence).toBeLessThan(whole.confidence);
  });

  it('Markdown-mangled quotes and typographic quotes fold to plain ones', () => {
    expect(matchText('failed to get mtu of bridge ‘virbr0’: No such device')[0]!.entry.id).toBe('helper-bridge-missing');
    expect(matchText('Cannot get interface MTU on “virbr0”: No such device')[0]!.entry.id).toBe('libvirt-mtu-virbr0');
    expect(matchText("Cannot get interface MTU on ’virbr0’: No such device")[0]!.entry.id).toBe('libvirt-mtu-virbr0');
  });

  it('the errno decides the cause: the same QEMU line with EACCES, ENOENT, ENODEV', () => {
    const ids = (e: string) => matchText(`could not open /dev/net/tun: ${e}`)[0]!.checkIds;
    expect(ids('Permission denied')).toEqual(['tun-perms']);
    expect(ids('No such file or directory')).toEqual(['tun-module']);
    expect(ids('No such device')).toEqual(['tun-module']);
  });
});

describe('unknown text', () => {
  const unknown = [
    'Segmentation fault (core dumped)',
    'hello world',
    // Not a network error: "could not open" of a disk image must not look like /dev/net/tun.
    "qemu-system-x86_64: -drive file=disk.img: Could not open 'disk.img': No such file or directory",
    'qemu-system-x86_64: warning: host doesn\'t support requested feature: CPUID.80000001H:ECX.svm [bit 2]',
    'error: failed to get domain \'vm1\'',
  ];
  for (const text of unknown) {
    it(`no match: ${text.slice(0, 50)}`, () => {
      expect(matchText(text)).toEqual([]);
    });
  }
});

describe('any text', () => {
  it('never throws, and every match it reports is a catalogue entry', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 400 }), (text) => {
        for (const m of matchText(text)) expect(byId.get(m.entry.id)).toBe(m.entry);
      }),
      { numRuns: 300 },
    );
  });

  it('a megabyte of repeated message prefixes does not hang the matcher', () => {
    // Linear-time behaviour is measured by npm run bench:explain; this only proves termination on hostile input.
    const a = matchText('eth0: broadcasting for a lease network script '.repeat(20000));
    const b = matchText(`could not configure /dev/net/tun (${'x'.repeat(900000)}`);
    expect(a.every((m) => byId.has(m.entry.id))).toBe(true);
    expect(b.map((m) => m.entry.id)).not.toContain('qemu-tun-configure-eperm');
  });
});
