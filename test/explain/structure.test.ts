// Evidence beyond one recognised message: the structural cue (an interface
// listing beside configuration that names a NIC the listing does not show),
// and the alternative causes a message is often the visible end of.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/explain/diagnose.js';
import { interfaceNames, structuralHits } from '../../src/explain/structure.js';

const IP_LINK = (nic: string) => `$ ip link show
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: ${nic}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000
    link/ether 52:54:00:aa:bb:cc brd ff:ff:ff:ff:ff:ff`;

const IP_ADDR = (nic: string) => `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: ${nic}: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff`;

const IP_BRIEF = (nic: string) => `lo               UNKNOWN        127.0.0.1/8 ::1/128
${nic}           DOWN`;

const IFCONFIG = (nic: string) => `${nic}: flags=4098<BROADCAST,MULTICAST>  mtu 1500
        ether 52:54:00:12:34:56  txqueuelen 1000  (Ethernet)

lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536
        inet 127.0.0.1  netmask 255.0.0.0`;

const NETPLAN = (nic: string) => `cat /etc/netplan/50-cloud-init.yaml
network:
    version: 2
    ethernets:
        ${nic}:
            dhcp4: true`;

const INTERFACES = (nic: string) => `# /etc/network/interfaces
auto lo
iface lo inet loopback

allow-hotplug ${nic}
iface ${nic} inet static
    address 192.168.122.50/24
    gateway 192.168.122.1`;

const KEYFILE = (nic: string) => `[connection]
id=static
type=ethernet
interface-name=${nic}

[ipv4]
method=manual`;

const NETWORKD = (nic: string) => `[Match]
Name=${nic}

[Network]
DHCP=yes`;

const top = (text: string) => diagnose(text)[0]?.cause.id;

describe('structural cue: configured NIC absent from the interface listing', () => {
  it.each([
    ['ip link + netplan', IP_LINK('enp0s9'), NETPLAN('enp0s10')],
    ['ip addr + interfaces(5)', IP_ADDR('ens3'), INTERFACES('eth0')],
    ['ip -br + keyfile', IP_BRIEF('enp1s0'), KEYFILE('eth0')],
    ['ifconfig + networkd', IFCONFIG('ens18'), NETWORKD('ens192')],
    ['config first, listing after', NETPLAN('eth0'), IP_LINK('enp1s0')],
  ])('%s points at guest-ifname', (_, a, b) => {
    const text = `${a}\n\n${b}`;
    const hits = structuralHits(text);
    expect(hits.map((h) => h.causeId)).toEqual(['guest-ifname']);
    expect(top(text)).toBe('guest-ifname');
    const d = diagnose(text)[0]!;
    expect(d.lines[0]!.text).toMatch(/eth0|enp0s10|ens192/);
  });

  it('a bridge port that is absent points at ifname-mismatch', () => {
    const ifupdown = `auto vmbr0\niface vmbr0 inet static\n    address 10.0.0.2/24\n    bridge-ports enp4s0\n    bridge-stp off`;
    expect(structuralHits(`${IP_LINK('enp5s0')}\n${ifupdown}`).map((h) => h.causeId)).toEqual(['ifname-mismatch']);
    const netplan = `network:\n  ethernets:\n    enp5s0: {}\n  bridges:\n    br0:\n      interfaces: [enp4s0]\n      dhcp4: yes`;
    expect(structuralHits(`${IP_LINK('enp5s0')}\n${netplan}`).map((h) => h.causeId)).toEqual(['ifname-mismatch']);
    const list = `network:\n  bridges:\n    br0:\n      interfaces:\n        - enp4s0\n      dhcp4: yes`;
    expect(structuralHits(`${IP_LINK('enp5s0')}\n${list}`).map((h) => h.causeId)).toEqual(['ifname-mismatch']);
  });

  it('says nothing when the names agree or one side is missing', () => {
    expect(structuralHits(`${IP_LINK('enp0s3')}\n${NETPLAN('enp0s3')}`)).toEqual([]);
    expect(structuralHits(`${IP_ADDR('eth0')}\n${INTERFACES('eth0')}`)).toEqual([]);
    expect(structuralHits(NETPLAN('enp0s10'))).toEqual([]);
    expect(structuralHits(IP_LINK('enp0s9'))).toEqual([]);
    // a listing of one device (ip link show dev X) is not a full listing
    expect(structuralHits(`5: enp0s9: <BROADCAST,MULTICAST,UP> mtu 1500 state UP\n${NETPLAN('enp0s10')}`)).toEqual([]);
  });

  it('ignores names the configuration creates or matches otherwise', () => {
    // bridges and bonds are created by the config; ids with match: are not names
    const netplan = `network:\n  ethernets:\n    lan:\n      match:\n        macaddress: 52:54:00:aa:bb:cc\n      set-name: lan0\n  bridges:\n    br0:\n      dhcp4: true`;
    expect(structuralHits(`${IP_LINK('enp0s9')}\n${netplan}`)).toEqual([]);
    expect(structuralHits(`${IP_LINK('enp0s9')}\n[Match]\nName=en*\n`)).toEqual([]);
  });

  it('reads the names from each listing form', () => {
    expect([...interfaceNames(IP_LINK('enp0s9')).listed]).toEqual(['lo', 'enp0s9']);
    expect([...interfaceNames('1: lo: <LOOPBACK>\n7: eth0@if12: <BROADCAST,UP>').listed]).toEqual(['lo', 'eth0']);
    expect([...interfaceNames(IP_BRIEF('enp1s0')).listed]).toEqual(['lo', 'enp1s0']);
    expect([...interfaceNames(IFCONFIG('ens18')).listed]).toEqual(['ens18', 'lo']);
    expect([...interfaceNames('eth0      Link encap:Ethernet  HWaddr 52:54:00:12:34:56\nlo        Link encap:Local Loopback').listed]).toEqual(['eth0', 'lo']);
  });

  it('stays fast on a long paste', () => {
    const big = `${IP_LINK('enp0s9')}\n${'    ethernets:\n        enp0s9:\n'.repeat(20000)}${'x'.repeat(100000)}\n`;
    const t0 = performance.now();
    structuralHits(big);
    // many netplan ids matched by MAC (each dropped from the names)
    structuralHits(`${IP_LINK('enp0s9')}\nnetwork:\n  ethernets:\n${Array.from({ length: 30000 }, (_, i) => `    nic${i}:\n      match:\n        macaddress: 52:54:00:00:00:01\n`).join('')}`);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('messages that are the visible end of other causes', () => {
  it.each([
    "Requested operation is not valid: network 'default' is not active",
    "error: Failed to start domain 'win11'\nerror: Requested operation is not valid: network 'isolated' is not active",
    'Error starting domain: network default is not active',
  ])('%s: not started first, then why it may not start', (text) => {
    const ids = diagnose(text).map((d) => d.cause.id);
    expect(ids[0]).toBe('bridge-missing');
    expect(ids.slice(1, 3).sort()).toEqual(['libvirt-firewall', 'libvirt-net-clash']);
    const alt = diagnose(text).find((d) => d.cause.id === 'libvirt-firewall')!;
    expect(alt.confidence).toBeLessThan(0.5);
    expect(alt.lines.length).toBe(1);
  });

  it('a message that names its cause outright brings no alternatives', () => {
    expect(diagnose('internal error: Network is already in use by interface eno1').map((d) => d.cause.id)).toEqual(['libvirt-net-clash']);
  });
});
