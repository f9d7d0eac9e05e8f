// Fix plans several checks share.
import type { FixPlan } from '../types.js';

/** Load a kernel module now (modprobe, undone by modprobe -r) and at every boot (modules-load.d). */
export function loadModulePlan(id: string, module: string, title = `load ${module} now and at every boot`): FixPlan {
  return {
    id,
    title,
    risk: 'low',
    root: true,
    actions: [
      { kind: 'run', argv: ['modprobe', module], inverse: ['modprobe', '-r', module] },
      { kind: 'write-file', path: `/etc/modules-load.d/qnet-${module.replace(/_/g, '-')}.conf`, content: `${module}\n`, mode: 0o644, uid: 0, gid: 0 },
    ],
  };
}
