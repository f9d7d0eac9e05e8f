// qemu-netdev on a real QEMU install, broken two real ways inside the scenario's
// mount namespace (an overlay hides files from it, the host keeps them): libslirp
// gone (a half-removed package) and no qemu-system-* binary at all. QEMU is the
// judge. Then netplan and NetworkManager configuration on real interfaces
// (neither program is installed here; see the note on judges below).
import { realKernelSuite, type ScenarioSpec } from './harness.js';

/** An overlay over DIR, so `rm` inside the scenario only whites files out. Fixed text; DIR is a constant. */
const hide = (dir: string, tag: string, files: string) =>
  `mkdir "$T/${tag}-up" "$T/${tag}-work"\nmount -t overlay overlay -o "lowerdir=${dir},upperdir=$T/${tag}-up,workdir=$T/${tag}-work" ${dir}\nrm -f ${files}\n`;

const qemuSpecs: ScenarioSpec[] = [
  {
    name: 'qemu-netdev-healthy',
    title: "Debian's qemu-system-x86_64 7.2",
    setup: '',
    check: 'qemu-netdev',
    expect: 'pass',
    summary: /qemu-system-x86_64 has the user, tap and bridge backends/,
    qemu: { as: 'user', netdev: 'user,id=n0', starts: true },
  },
  {
    name: 'qemu-netdev-no-libslirp',
    title: 'libslirp.so.0 removed from under QEMU',
    // ldd names where the loader finds it (/lib is /usr/lib on Debian 12); hide that directory's copy.
    setup:
      'lib=$(readlink -f "$(ldd /usr/bin/qemu-system-x86_64 | awk \'/libslirp/ {print $3}\')")\n[ -n "$lib" ]\ndir=$(dirname "$lib")\n' +
      'mkdir "$T/lib-up" "$T/lib-work"\nmount -t overlay overlay -o "lowerdir=$dir,upperdir=$T/lib-up,workdir=$T/lib-work" "$dir"\nrm -f "$dir"/libslirp.so.0*\n',
    check: 'qemu-netdev',
    expect: 'fail',
    summary: /qemu-system-x86_64 cannot start: it needs libslirp\.so\.0/,
    qemu: { as: 'user', netdev: 'user,id=n0', starts: false, stderr: /libslirp\.so\.0: cannot open shared object file/ },
  },
  {
    name: 'qemu-netdev-none',
    title: 'no qemu-system-* binary',
    setup: hide('/usr/bin', 'bin', '/usr/bin/qemu-system-*'),
    check: 'qemu-netdev',
    expect: 'fail',
    summary: /no qemu-system-\* binary is installed/,
    qemu: { as: 'root', netdev: 'user,id=n0', starts: false, stderr: /qemu-system-x86_64: No such file or directory/ },
  },
];

// NetworkManager and netplan are not installed on this Debian 12 machine (and
// installing NetworkManager on a test host would let it take over the host's own
// NIC), so these scenarios have no program as the judge: the files and the
// interfaces are real, the verdicts are qnet's reading of the files, and they are
// pinned here and replayed from their snapshots like every other scenario.
const NETPLAN_BASE = "mkdir -p /etc/netplan\nprintf 'network:\\n  version: 2\\n  ethernets:\\n    enp1s0:\\n      dhcp4: true\\n' > /etc/netplan/01-netcfg.yaml\n";
// Seed 004: every failed `nmcli connection add` left a 90-NM-<uuid>.yaml behind.
const NETPLAN_NM_COPY =
  "printf 'network:\\n  version: 2\\n  ethernets:\\n    NM-3c1e5bd4-8a8d-4a4f-9a65-7d1f0a3f1c11:\\n      renderer: NetworkManager\\n      match:\\n        name: \"enp1s0\"\\n      dhcp4: true\\n      networkmanager:\\n        uuid: \"3c1e5bd4-8a8d-4a4f-9a65-7d1f0a3f1c11\"\\n        name: \"Wired connection 4\"\\n' > /etc/netplan/90-NM-3c1e5bd4-8a8d-4a4f-9a65-7d1f0a3f1c11.yaml\n" +
  "printf 'network:\\n  version: 2\\n  ethernets:\\n    enp1s0:\\n      addresses: [192.0.2.7/24]\\n' > /etc/netplan/50-static.yaml\nchmod 0600 /etc/netplan/*.yaml\n";
const KEYFILE = (file: string, body: string) =>
  `printf '${body}' > "/etc/NetworkManager/system-connections/${file}.nmconnection"\nchmod 0600 "/etc/NetworkManager/system-connections/${file}.nmconnection"\n`;
const NM_BRIDGE =
  'mkdir -p /etc/NetworkManager/system-connections\n' +
  KEYFILE('bridge-brnm0', '[connection]\\nid=bridge-brnm0\\nuuid=0f6a1c8e-2a57-4c7b-9a55-2b8d2a6c0b01\\ntype=bridge\\ninterface-name=brnm0\\n\\n[ipv4]\\nmethod=auto\\n') +
  KEYFILE('bridge-slave-enp1s0', '[connection]\\nid=bridge-slave-enp1s0\\nuuid=5b7e8a0e-6a3f-4d0c-8f0e-3d9c2e1a7b02\\ntype=ethernet\\ninterface-name=enp1s0\\nmaster=brnm0\\nslave-type=bridge\\n');
const NM_WIRED4 = KEYFILE('Wired connection 4', '[connection]\\nid=Wired connection 4\\nuuid=9d0c4b1e-7f2a-4e3b-a1c5-6e8f0d2b3a04\\ntype=ethernet\\ninterface-name=enp1s0\\n\\n[ipv4]\\nmethod=auto\\n');

const configSpecs: ScenarioSpec[] = [
  {
    name: 'netplan-defined-twice',
    title: 'enp1s0 in 01-netcfg.yaml and 50-static.yaml, plus a leftover 90-NM-*.yaml (seed 004)',
    nics: ['enp1s0'],
    setup: NETPLAN_BASE + NETPLAN_NM_COPY,
    check: 'netplan-duplicates',
    expect: 'fail',
    summary: /enp1s0 is defined in \d netplan files \(.*01-netcfg\.yaml.*50-static\.yaml/,
  },
  {
    name: 'netplan-once',
    title: 'enp1s0 in one netplan file',
    nics: ['enp1s0'],
    setup: NETPLAN_BASE,
    check: 'netplan-duplicates',
    expect: 'pass',
    summary: /1 netplan file\(s\), no interface defined twice/,
  },
  {
    name: 'nm-two-profiles',
    title: '"Wired connection 4" and the bridge port profile both claim enp1s0 (seed 004)',
    nics: ['enp1s0'],
    setup: 'ip link add brnm0 type bridge\n' + NM_BRIDGE + NM_WIRED4,
    check: 'nm-conflict',
    expect: 'fail',
    summary: /enp1s0 has 2 profiles that connect automatically: .*"bridge-slave-enp1s0".*"Wired connection 4"|enp1s0 has 2 profiles that connect automatically: .*"Wired connection 4".*"bridge-slave-enp1s0"/,
  },
  {
    name: 'nm-one-profile',
    title: 'only the bridge and its port profile',
    nics: ['enp1s0'],
    setup: 'ip link add brnm0 type bridge\n' + NM_BRIDGE,
    check: 'nm-conflict',
    expect: 'pass',
    summary: /no device has competing NetworkManager profiles/,
  },
  {
    name: 'nm-profile-not-root-only',
    title: 'a hand-written keyfile left 0644 (NetworkManager refuses it)',
    nics: ['enp1s0'],
    setup: 'ip link add brnm0 type bridge\n' + NM_BRIDGE + NM_WIRED4 + 'chmod 0644 "/etc/NetworkManager/system-connections/Wired connection 4.nmconnection"\n',
    check: 'nm-conflict',
    expect: 'warn',
    summary: /NetworkManager does not load \/etc\/NetworkManager\/system-connections\/Wired connection 4\.nmconnection: NetworkManager ignores it: mode 0644/,
  },
];

realKernelSuite('real kernel: QEMU installs', qemuSpecs);
realKernelSuite('real kernel: netplan and NetworkManager files', configSpecs);
