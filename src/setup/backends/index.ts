// Backend by name: each renders the same design as its own configuration.
import type { Observation } from '../observe.js';
import type { Design } from '../plan.js';
import type { Answers, Backend, Step } from '../types.js';
import { renderIfupdown } from './ifupdown.js';
import { renderNetplan } from './netplan.js';
import { renderNetworkManager } from './networkmanager.js';
import { renderNetworkd } from './networkd.js';
import { renderRuntime } from './runtime.js';

export type Render = (d: Design, obs: Observation, a: Answers) => { steps: Step[]; notes: string[]; dhcp: string | null };

export function renderBackend(b: Backend): Render {
  switch (b) {
    case 'runtime':
      return renderRuntime;
    case 'ifupdown':
      return renderIfupdown;
    case 'networkd':
      return renderNetworkd;
    case 'netplan':
      return renderNetplan;
    case 'networkmanager':
      return renderNetworkManager;
  }
}
