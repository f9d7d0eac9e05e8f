// ip-forward: a routed or NAT VM network needs IPv4 forwarding on, or guests
// reach the host and nothing beyond it.
import { showPrefix } from '../src/parse/ipv4.js';
import { sysctl } from '../src/facts/system.js';
import { requireLinks } from '../src/model/network.js';
import { withoutIsolated } from '../src/facts/intent.js';
import { describeError } from '../src/host/host.js';
import type { Check } from '../src/types.js';

const CONF = '/etc/sysctl.d/99-qnet-ip-forward.conf';

const check: Check = {
  id: 'ip-forward',
  area: 'routing',
  order: 10,
  title: () => 'IPv4 forwarding for routed VM networks',
  async run(ctx) {
    const { nets, isolated } = await withoutIsolated(ctx, (await requireLinks(ctx)).vmNets);
    if (!nets.length) {
      return {
        status: 'skip',
        summary: isolated.length
          ? `no routed or NAT VM network: ${isolated.join(', ')} ${isolated.length > 1 ? 'are' : 'is'} isolated by intent (alias qnet:isolated) and needs no forwarding`
          : 'no routed or NAT VM network (a bridge or tap with an address and no physical port)',
      };
    }
    const list = nets.map((n) => `${n.dev} ${showPrefix(n.subnet)}`).join(', ');
    const v = await sysctl(ctx, 'net.ipv4.ip_forward');
    if (v.error) {
      return { status: 'error', summary: `cannot read net.ipv4.ip_forward: ${describeError({ code: v.error, message: '' })}` };
    }
    const evidence = [
      { source: 'read /proc/sys/net/ipv4/ip_forward', observed: v.value! },
      { source: 'VM networks', observed: list },
    ];
    if (v.value === '1') return { status: 'pass', summary: `IPv4 forwarding is on for ${list}`, evidence };
    return {
      status: 'fail',
      summary: `IPv4 forwarding is off: guests on ${list} reach this host and nothing beyond it`,
      evidence,
      subjects: nets.map((n) => n.dev),
      fixes: [
        {
          id: 'ip-forward/sysctl',
          title: 'turn IPv4 forwarding on now and at every boot',
          risk: 'medium',
          root: true,
          explain: 'the host then routes between its interfaces; keep a firewall FORWARD policy for anything that should not be',
          actions: [
            { kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
            { kind: 'write-file', path: CONF, content: 'net.ipv4.ip_forward = 1\n', mode: 0o644, uid: 0, gid: 0 },
          ],
        },
      ],
    };
  },
};

export default check;
