// Which network manager's configuration defines each interface (interfaces(5),
// netplan, NetworkManager keyfiles, systemd-networkd), from the names the
// configuration files define. Read by the report.
import type { Context } from '../context.js';
import type { Manager } from '../model/network.js';
import { configNames } from './ifnames.js';

export function managers(ctx: Context): Promise<Map<string, Manager>> {
  return ctx.memo('model:managers', async () => {
    const names = await configNames(ctx);
    const out = new Map<string, Manager>();
    for (const r of names.refs) {
      if (r.role !== 'defined' || r.glob) continue;
      const m: Manager | undefined = r.file.includes('/NetworkManager/')
        ? 'NetworkManager'
        : r.file.includes('/netplan/')
          ? 'netplan'
          : r.file.includes('/systemd/network/')
            ? 'networkd'
            : r.file.startsWith('/etc/network/')
              ? 'ifupdown'
              : undefined;
      if (m && !out.has(r.name)) out.set(r.name, m);
    }
    return out;
  });
}

