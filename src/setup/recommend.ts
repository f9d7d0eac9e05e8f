// What setup recommends from what it sees: wired or wireless uplink, a spare
// network card, a remote SSH session, Docker or libvirt, root or not.
import { defaultRoute4, type Observation } from './observe.js';
import type { Mode } from './types.js';

export interface Recommendation {
  mode: Mode;
  uplink?: string;
  why: string;
  /** What speaks against each other mode here. */
  against: Partial<Record<Mode, string>>;
  /** What was seen, in plain words, shown before the questions. */
  summary: string[];
}

export function recommend(obs: Observation): Recommendation {
  const def = defaultRoute4(obs);
  const up = def?.dev ? obs.links.find((l) => l.name === def.dev) : undefined;
  const spare = obs.links.find((l) => l.physical && !l.wireless && l.carrier && !l.master && l.kind === 'nic' && !l.addrs.some((a) => a.family === 4) && l.name !== def?.dev && !obs.routes.some((r) => r.dev === l.name));
  const remote = obs.ssh !== undefined;
  const summary: string[] = [];
  summary.push(up ? `Uplink: ${up.name} (${up.wireless ? 'wireless' : 'wired'}${up.addrs.some((a) => a.family === 4) ? `, ${up.addrs.filter((a) => a.family === 4).map((a) => `${a.local}/${a.prefixlen}`).join(', ')}` : ''}), default route via ${def?.gateway ?? 'it'}.` : 'No default route: this host reaches no other network.');
  if (spare) summary.push(`Spare network card with a cable and no address: ${spare.name}.`);
  summary.push(remote ? `You are connected over SSH from ${obs.ssh!.peer}${obs.ssh!.dev ? ` (through ${obs.ssh!.dev})` : ''}.` : 'No SSH session: a local console.');
  if (obs.docker) summary.push('Docker is here: its FORWARD policy drops routed traffic unless allowed in DOCKER-USER.');
  const virbr = obs.links.filter((l) => /^virbr\d+$/.test(l.name));
  if (virbr.length) summary.push(`libvirt's network ${virbr.map((l) => l.name).join(', ')} exists (usable with --mode nat --bridge ${virbr[0]!.name}).`);
  if (!obs.root) summary.push('You are not root: the apply step will go through sudo.');

  const against: Partial<Record<Mode, string>> = {};
  if (up?.wireless) against.bridge = `${up.name} is wireless: access points drop frames from guests' MACs`;
  else if (!spare && remote && up) against.bridge = `moves ${up.name}'s address (and your SSH session) onto the bridge: applied with confirm-or-revert`;
  else if (!up && !spare) against.bridge = 'no network card to bridge';
  if (!def) against.nat = 'no default route: NAT has nowhere to go';

  let mode: Mode = 'nat';
  let why = 'guests reach out through this host\'s address; nothing on the LAN changes';
  let uplink: string | undefined;
  if (spare) {
    mode = 'bridge';
    uplink = spare.name;
    why = `${spare.name} is a spare network card: guests join the LAN through it and this host's own address stays where it is`;
  } else if (!def) {
    mode = 'isolated';
    why = 'no default route: guests can reach each other and this host';
  }
  return { mode, ...(uplink ? { uplink } : {}), why, against, summary };
}
