// Redaction that keeps the story (after sos clean): every IP, MAC, hostname
// and user name is replaced by a consistent pseudonym, so the same address is
// the same pseudonym everywhere and a subnet stays a subnet. Well-known,
// harmless values stay: loopback, QEMU's 52:54:00:12:34:56 default MAC and
// user networking's 10.0.2.x, libvirt's 192.168.122.0/24, link-local
// 169.254.x.x, 0.0.0.0 and broadcast addresses.

export interface Redactor {
  text(s: string): string;
}

const KEEP_NET = [/^127\./, /^10\.0\.2\./, /^192\.168\.122\./, /^169\.254\./, /^0\.0\.0\.0$/, /^255\.255\.255\.255$/];
const KEEP_MAC = new Set(['52:54:00:12:34:56', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);

export function makeRedactor(names: { hostnames: string[]; users: string[] }): Redactor {
  const nets = new Map<string, string>();
  const macs = new Map<string, string>();
  const words = new Map<string, string>();
  names.hostnames.filter((h) => h && h !== 'localhost').forEach((h, i) => words.set(h, `host${i + 1}`));
  [...new Set(names.users)].filter((u) => u && u !== 'root').forEach((u, i) => words.set(u, `user${i + 1}`));

  const ip = (addr: string) => {
    if (KEEP_NET.some((re) => re.test(addr))) return addr;
    const parts = addr.split('.');
    const net = parts.slice(0, 3).join('.');
    // 198.18.0.0/15 is reserved for benchmarking: a pseudonym that can never be someone's real address.
    if (!nets.has(net)) nets.set(net, `198.${18 + Math.floor(nets.size / 256)}.${nets.size % 256}`);
    return `${nets.get(net)}.${parts[3]}`;
  };
  const mac = (m: string) => {
    const lower = m.toLowerCase();
    if (KEEP_MAC.has(lower)) return lower;
    if (!macs.has(lower)) {
      const n = macs.size + 1;
      const tail = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((x) => x.toString(16).padStart(2, '0')).join(':');
      // Keep QEMU's 52:54:00 prefix so a reader still sees "a VM's NIC"; others become locally administered.
      macs.set(lower, lower.startsWith('52:54:00:') ? `52:54:00:${tail}` : `02:00:00:${tail}`);
    }
    return macs.get(lower)!;
  };
  const wordRe = words.size ? new RegExp(`\\b(${[...words.keys()].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'g') : undefined;

  return {
    text(s: string): string {
      let out = s.replace(/\b([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\b/g, (m) => mac(m));
      out = out.replace(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g, (m) => (m.split('.').every((x) => Number(x) <= 255) ? ip(m) : m));
      if (wordRe) out = out.replace(wordRe, (m) => words.get(m)!);
      return out;
    },
  };
}
