// The rule for hostfwd= host ports (result hostfwd-port): QEMU binds each host
// port as the user who runs it, so a port another socket listens on, or one
// below net.ipv4.ip_unprivileged_port_start for a non-root user, ends in
// "Could not set up host forwarding rule" (QEMU 7.2). Port 0 lets the kernel pick.
import { listeners, socketOwners, unprivilegedPortStart } from '../facts/ports.js';
import type { QemuInput } from './qemu.js';
import type { Problem, Rule } from './rule.js';

/** Every hostfwd= value of the user backends. */
export const hostfwds = (input: QemuInput) =>
  input.cmd.netdevs.filter((n) => n.type === 'user').flatMap((n) => n.pairs.filter(([k]) => k === 'hostfwd').map(([, v]) => v));

const ports: Rule<QemuInput> = {
  name: 'hostfwd ports',
  async run(s, input) {
    const fwds = hostfwds(input);
    const byPort = new Map<string, { inode: string }>();
    for (const l of await listeners(s.ctx)) if (!byPort.has(`${l.proto}:${l.port}`)) byPort.set(`${l.proto}:${l.port}`, l);
    const limit = s.user.uid !== 0 ? await unprivilegedPortStart(s.ctx) : undefined;
    if (limit) s.evidence.push(limit.evidence);
    const out: Problem[] = [];
    const privileged: string[] = [];
    for (const f of fwds) {
      const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(f);
      if (!m) {
        out.push({ level: 'fail', text: `hostfwd=${f} is not [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport` });
        continue;
      }
      const proto = m[1] ?? 'tcp';
      const port = Number(m[3]);
      if (port > 65535) {
        out.push({ level: 'fail', text: `hostfwd=${f}: port ${port} is above 65535` });
        continue;
      }
      const hit = byPort.get(`${proto}:${port}`);
      if (hit && port !== 0) out.push({ level: 'fail', text: `${proto} port ${port} is taken by ${(await socketOwners(s.ctx)).get(hit.inode) ?? 'another process'}` });
      else if (limit && port !== 0 && port < limit.start) privileged.push(`${proto} port ${port}`);
    }
    if (privileged.length) {
      const many = privileged.length > 1;
      out.push({
        level: 'fail',
        text: `${privileged.join(', ')} ${many ? 'are' : 'is'} below net.ipv4.ip_unprivileged_port_start (${limit!.start}): only root or a process with CAP_NET_BIND_SERVICE may bind ${many ? 'them' : 'it'}, and QEMU runs as ${s.user.name}; pick a host port of ${limit!.start} or more (hostfwd=tcp::${Math.max(limit!.start, 2222)}-:22)`,
      });
    }
    if (out.length) out.push({ level: 'note', text: 'QEMU then fails with: Could not set up host forwarding rule' });
    return out;
  },
};

export const HOSTFWD_RULES: readonly Rule<QemuInput>[] = [ports];
