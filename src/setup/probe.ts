// Reachability probe for confirm-or-revert: does a neighbour (the gateway, the
// SSH peer) still answer on the interface it is reached through? No ping binary
// (a minimal Debian has none) and no assumption that the uplink is a physical
// NIC: the neighbour's old cache entry is dropped, a UDP datagram to its
// discard port makes the kernel resolve it (ARP, or IPv6 neighbour discovery),
// and `ip neigh` says whether it answered.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { runArgv } from '../host/live.js';
import type { ProbeTarget } from './types.js';

interface NeighJson {
  dst?: string;
  lladdr?: string;
  state?: string[];
}

async function neighState(addr: string, dev: string): Promise<{ state: string; lladdr?: string } | undefined> {
  const r = await runArgv(['ip', '-j', ...(isIPv6(addr) ? ['-6'] : ['-4']), 'neigh', 'show', 'to', addr, 'dev', dev], 5000);
  if (!r.ok || r.value.exitCode !== 0) return undefined;
  try {
    const e = (JSON.parse(r.value.stdout || '[]') as NeighJson[])[0];
    if (!e) return undefined;
    return { state: (e.state ?? []).join(','), ...(e.lladdr ? { lladdr: e.lladdr } : {}) };
  } catch {
    return undefined;
  }
}

export interface ProbeResult {
  ok: boolean;
  said: string;
}

/** Resolves `t.addr` afresh on `t.dev` within `timeoutMs`. */
export async function probeNeighbour(t: ProbeTarget, timeoutMs = 6000): Promise<ProbeResult> {
  const [addr] = t.addr.split('%') as [string];
  const v6 = isIPv6(addr);
  const target = v6 && addr.toLowerCase().startsWith('fe80') ? `${addr}%${t.dev}` : addr;
  const old = await neighState(addr, t.dev);
  if (old && /PERMANENT|NOARP/.test(old.state)) return { ok: true, said: `${t.what}: a static neighbour entry on ${t.dev} (${old.lladdr ?? '?'}), not probed` };
  if (old) await runArgv(['ip', ...(v6 ? ['-6'] : []), 'neigh', 'del', addr, 'dev', t.dev], 5000);
  const sock = createSocket(v6 ? 'udp6' : 'udp4');
  sock.on('error', () => undefined);
  const send = () => sock.send(Buffer.from('qnet probe'), 9, target, () => undefined);
  const end = Date.now() + timeoutMs;
  let last: { state: string; lladdr?: string } | undefined;
  try {
    send();
    let n = 0;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 150));
      last = await neighState(addr, t.dev);
      if (last?.lladdr && /REACHABLE|STALE|DELAY|PROBE/.test(last.state)) {
        return { ok: true, said: `${t.what} answers on ${t.dev} (${last.lladdr})` };
      }
      if (++n % 4 === 0) send();
    }
  } finally {
    sock.close();
  }
  return { ok: false, said: `${t.what} does not answer on ${t.dev} (neighbour ${last ? last.state || 'unresolved' : 'never resolved'} after ${Math.round(timeoutMs / 1000)} s)` };
}
