// QEMU command lines, as argv: the network options (-netdev, -nic, -net,
// -device NIC) with QEMU's option syntax (key=value pairs separated by commas,
// a doubled comma standing for a literal one, an implied first key).

export interface OptValue {
  /** The implied first value (the backend type for -netdev/-nic/-net, the driver for -device). */
  type: string;
  /** The last value of each key. */
  props: Map<string, string>;
  /** Every key=value in order (hostfwd= may repeat). */
  pairs: [string, string][];
  raw: string;
}

export interface Nic {
  /** Where it came from: -device, -nic, -net nic. */
  via: '-device' | '-nic' | '-net';
  model: string;
  mac?: string;
  netdev?: string;
  raw: string;
}

export interface Netdev {
  via: '-netdev' | '-nic' | '-net';
  type: string;
  id?: string;
  props: Map<string, string>;
  pairs: [string, string][];
  raw: string;
}

export interface QemuCmdline {
  binary: string;
  nics: Nic[];
  netdevs: Netdev[];
  /** Legacy `-net` options seen (any), for the removed vlan= syntax. */
  legacyNet: OptValue[];
}

/** Splits "tap,id=n0,script=no" (",," is a literal comma) into its type and properties. */
export function parseOpts(raw: string): OptValue {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === ',') {
      if (raw[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        parts.push(cur);
        cur = '';
      }
    } else cur += ch;
  }
  parts.push(cur);
  const props = new Map<string, string>();
  const pairs: [string, string][] = [];
  let type = '';
  parts.forEach((p, i) => {
    const eq = p.indexOf('=');
    if (eq < 0 && i === 0) type = p;
    else {
      const [k, v] = eq < 0 ? [p, 'on'] : [p.slice(0, eq), p.slice(eq + 1)];
      props.set(k, v);
      pairs.push([k, v]);
    }
  });
  return { type, props, pairs, raw };
}

export const NIC_MODELS = new Set([
  // 'virtio-net' is QEMU's alias of virtio-net-pci (`-device help`: name "virtio-net-pci", bus PCI, alias "virtio-net").
  'virtio-net', 'virtio-net-pci', 'virtio-net-device', 'virtio-net-ccw', 'virtio-net-pci-non-transitional', 'virtio-net-pci-transitional',
  'e1000', 'e1000-82544gc', 'e1000-82545em', 'e1000e', 'igb', 'rtl8139', 'ne2k_pci', 'ne2k_isa', 'pcnet', 'vmxnet3',
  'i82550', 'i82551', 'i82557a', 'i82557b', 'i82557c', 'i82558a', 'i82558b', 'i82559a', 'i82559b', 'i82559c', 'i82559er',
  'i82562', 'i82801', 'tulip', 'usb-net', 'spapr-vlan', 'sungem', 'lan9118', 'smc91c111',
]);

export const isQemuBinary = (arg0: string) => /(^|\/)(qemu-system-[\w.-]+|qemu-kvm|kvm)$/.test(arg0);

/** Does this command line run a VM that may hold a tap (QEMU, or UML with an ethN=tuntap option)? */
export const isVmProcess = (argv: readonly string[]) => isQemuBinary(argv[0] ?? '') || argv.some((a) => /^eth\d+=tuntap/.test(a));

export function parseQemuCmdline(argv: readonly string[]): QemuCmdline {
  const out: QemuCmdline = { binary: argv[0] ?? '', nics: [], netdevs: [], legacyNet: [] };
  for (let i = 1; i < argv.length; i++) {
    const opt = argv[i]!.replace(/^--/, '-');
    const val = argv[i + 1];
    if (!['-netdev', '-nic', '-net', '-device'].includes(opt) || val === undefined) continue;
    i++;
    const o = parseOpts(val);
    if (opt === '-device') {
      if (NIC_MODELS.has(o.type)) {
        const nic: Nic = { via: '-device', model: o.type, raw: val };
        const mac = o.props.get('mac');
        const nd = o.props.get('netdev');
        if (mac) nic.mac = mac.toLowerCase();
        if (nd) nic.netdev = nd;
        out.nics.push(nic);
      }
    } else if (opt === '-netdev') {
      const nd: Netdev = { via: '-netdev', type: o.type, props: o.props, pairs: o.pairs, raw: val };
      const id = o.props.get('id');
      if (id) nd.id = id;
      out.netdevs.push(nd);
    } else if (opt === '-nic') {
      if (o.type !== 'none') {
        const nic: Nic = { via: '-nic', model: o.props.get('model') ?? 'default', raw: val };
        const mac = o.props.get('mac');
        if (mac) nic.mac = mac.toLowerCase();
        out.nics.push(nic);
        out.netdevs.push({ via: '-nic', type: o.type, props: o.props, pairs: o.pairs, raw: val });
      }
    } else {
      out.legacyNet.push(o);
      if (o.type === 'nic') {
        const nic: Nic = { via: '-net', model: o.props.get('model') ?? 'default', raw: val };
        const mac = o.props.get('macaddr');
        if (mac) nic.mac = mac.toLowerCase();
        out.nics.push(nic);
      } else if (o.type !== 'none') {
        out.netdevs.push({ via: '-net', type: o.type, props: o.props, pairs: o.pairs, raw: val });
      }
    }
  }
  return out;
}

/** The MAC QEMU gives the n-th NIC (0-based) that has none: 52:54:00:12:34:56, then :57, ... */
export function defaultMac(index: number): string {
  return `52:54:00:12:34:${(0x56 + index).toString(16).padStart(2, '0')}`;
}

/** Every NIC's MAC, filling in QEMU's defaults in order. */
export function nicMacs(cmd: QemuCmdline): { nic: Nic; mac: string; defaulted: boolean }[] {
  let next = 0;
  return cmd.nics.map((nic) => (nic.mac ? { nic, mac: nic.mac, defaulted: false } : { nic, mac: defaultMac(next++), defaulted: true }));
}
