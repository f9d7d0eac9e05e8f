// Ranks causes for a plain description ("the guest gets a 169.254 address",
// "VMs lost all traffic after I installed Docker"): BM25 over each cause's
// title and reported symptoms, plus cue terms. Words are folded to canonical
// tokens first: synonyms (wifi/wlan0/wireless → wireless, vm/guest/domain → vm),
// a few multi-word phrases (same ip, not active, lost connection), key terms in
// other languages, and a small suffix stemmer (renamed/renaming → renam).
// Deterministic, no data beyond causes.ts, no network.
import { CAUSES, type Cause, type CauseId } from './causes.js';

/** Phrases and special strings turned into single tokens before splitting into words. */
const PHRASES: [RegExp, string][] = [
  [/\b169\.254(?:\.\d{1,3}){0,2}/g, ' 169.254 '],
  // The name of the stack ("qemu/kvm virtual machines") is not a word about /dev/kvm; "internet access" is not about permissions.
  [/\b(?:qemu ?\/ ?kvm|kvm ?\/ ?qemu)\b/g, ' qemu '],
  [/\b(?:internet|network|web)\s+access\b/g, ' internet '],
  [/\b52:54:00:12:34:56\b/g, ' defaultmac '],
  [/\/dev\/net\/tun\b/g, ' devnettun '],
  [/\/dev\/kvm\b/g, ' devkvm '],
  [/\/dev\/vhost-net\b|\bvhost[-_]net\b/g, ' vhost_net vhost '],
  [/\bmachine[-_ ]id\b/g, ' machine-id '],
  [/\bnet\.ifnames\b/g, ' net.ifnames '],
  [/\bbridge-nf-call-\w+/g, ' bridge-nf-call '],
  [/\bbr_netfilter\b/g, ' br_netfilter '],
  [/\bip_forward(?:ing)?\b|\bip forwarding\b|\bipv4 forwarding\b/g, ' ip_forward '],
  [/\b(?:forward(?:s|ing)? packets|packet forwarding|does not forward|doesn't forward)\b/g, ' packet-forward '],
  [/\bdocker[-_]user\b/g, ' docker-user '],
  [/\bbridge[-_]ports\b/g, ' bridge-ports '],
  // libvirt's "Network is already in use by interface X", retold: the subnet is routed through another interface.
  [/\b(?:already )?in use by (?:the |my |an? |another |its |host |some )?(?:(?:ethernet |network |physical |wired |lan |vpn )?(?:interface|port|nic|adapter|card)|ethernet|virbr\d{0,4}|vboxnet\d{0,4}|eth\d{1,3}|en[a-z][a-z0-9]{1,12}|wl[a-z][a-z0-9]{1,12}|wi-?fi|wireless|vpn|tun\d{1,3}|wg\d{1,3}|docker\d{0,3}|br-?[a-z0-9]{1,14})\b/g, ' already-in-use in-use-by-interface '],
  [/\b(?:wlan\d*|wlp\w*|wlx\w*|wi-?fi|wireless(?: card| nic| adapter)?|802\.11)\b/g, ' wireless '],
  [/\bsame (?:ip|ip address|ip addresses|address|addresses|lease)\b/g, ' same-ip '],
  [/\bsame mac(?: address(?:es)?)?\b/g, ' same-mac '],
  [/\b(?:not active|inactive|not started)\b/g, ' not-active '],
  [/\b(?:lost (?:the |its |my |all )?(?:network|connection|connectivity|internet)|(?:ssh|session|connection) (?:dropped|died|disconnected|froze|hung)|cut (?:me )?off|locked out)\b/g, ' lost-connect '],
  [/\bself[- ]assigned\b/g, ' self-assign '],
  [/\blink[- ]local\b/g, ' link-local '],
  [/\b(?:no ip(?: address)?|without (?:an )?ip|get no ip|gets no ip|no address|(?:ip )?address(?: is| as|:)? unknown|ip(?: is|:)? unknown|stuck (?:as |in )?(?:degraded and |degraded, )?configuring)\b/g, ' no-ip '],
  [/\baddress already in use\b/g, ' address-in-use '],
  [/\balready in use\b/g, ' already-in-use '],
  [/\b(?:default route|no route)\b/g, ' default-route '],
  [/\bport[- ]forward(?:ing|s)?\b|\bforwarded port\b/g, ' port-forward '],
  [/\b(?:non-?root|as (?:a )?(?:normal|regular|unprivileged) user|without (?:sudo|root)|unprivileged)\b/g, ' non-root '],
  [/\bno such device\b/g, ' no-such-device '],
  [/\binvalid option\b/g, ' invalid-option '],
  [/\bwired connection\b/g, ' wired-connection '],
  [/\bport 53\b/g, ' port-53 '],
  [/\b(?:kvm group|group kvm)\b/g, ' kvm-group '],
  [/\bin use\b/g, ' in-use '],
  [/\bno slave\b|\bwithout (?:a |any )?(?:port|slave)s?\b/g, ' no-slave '],
  [/\bcap_net_admin\b/g, ' cap_net_admin '],
];

/** Words in other languages (and spellings) folded to the English token. Substring matches, for scripts without spaces. */
const FOREIGN: [RegExp, string][] = [
  [/网桥|桥接|ブリッジ|brücke|мост|pont réseau|puente/g, ' bridge '],
  [/无线|無線|drahtlos|беспроводн|sans fil|inalámbric/g, ' wireless '],
  [/虚拟机|仮想マシン|virtuelle maschine|виртуальн|machine virtuelle|máquina virtual/g, ' vm '],
  [/断网|网络断开|接続が切れ|verbindung verloren|потерял сеть|perdu la connexion/g, ' lost-connect '],
  [/权限|権限|berechtigung|права доступа|permission/g, ' permission '],
  [/没有那个设备|そのようなデバイスはありません|kein passendes gerät|нет такого устройства/g, ' no-such-device '],
  [/未激活|不活跃|アクティブではありません|nicht aktiv|не активн/g, ' not-active '],
  [/相同的ip|同じip|gleiche ip|одинаков\S* ip/g, ' same-ip '],
  [/互联网|上不了网|インターネット|internet|интернет/g, ' internet '],
  [/防火墙|ファイアウォール|брандмауэр|firewall/g, ' firewall '],
];

const SYNONYMS: Record<string, string> = {
  vms: 'vm', guest: 'vm', guests: 'vm', domain: 'vm', domains: 'vm', 'virtual-machine': 'vm', kvms: 'vm', instance: 'vm',
  internet: 'internet', online: 'internet', outside: 'internet', external: 'internet', www: 'internet', web: 'internet',
  dockerd: 'docker', 'docker-ce': 'docker', moby: 'docker', podman: 'container', lxc: 'container', containers: 'container',
  sudo: 'root', superuser: 'root',
  bridged: 'bridge', bridging: 'bridge', bridges: 'bridge', br0: 'bridge', br1: 'bridge',
  nftable: 'nftables', ipv6: 'ip6tables', 'iptables-nft': 'nftables',
  nic: 'nic', ethernet: 'nic', uplink: 'nic',
  enslave: 'enslav', enslaved: 'enslav', enslaving: 'enslav', slave: 'enslav',
  nm: 'networkmanager', 'network-manager': 'networkmanager',
  dhcpcd: 'dhcp', dhclient: 'dhcp', udhcpc: 'dhcp', bootp: 'dhcp',
  wsl2: 'wsl', mac: 'mac', macs: 'mac', cloned: 'clone', clones: 'clone', cloning: 'clone', copy: 'clone', copied: 'clone',
};

const STOP = new Set(
  'a an and are as at be been but by can cannot cant can\'t could did do does doesn doesn\'t dont don\'t for from get gets got had has have i if in into is it its it\'s just me my no not of on or so that the their them then there they this to too up was we were what when which while will with won\'t would you your any all after before since now only also still even very some than other same because about again how why where who here out over under more most both each few own such off once does did my our us am'
    .split(' ')
    .concat('error errors fail fails failed failing failure work works working problem problems issue issues help please thank thanks anyone hello hi try tried trying use used using run running start started starting get got set seem seems like need want know think'.split(' ')),
);

const SUFFIXES = ['ations', 'ation', 'ings', 'ing', 'ions', 'ion', 'ments', 'ment', 'ables', 'able', 'ibles', 'ible', 'ness', 'ies', 'ied', 'ers', 'er', 'ed', 'es', 'ly', 's'];

/** A small suffix stemmer: good enough to join word forms (renamed/renaming, masquerade/masquerading). */
/** Words whose endings are not inflections. */
const KEEP = new Set(['docker', 'user', 'router', 'server', 'master', 'filter', 'container', 'bridge', 'cluster', 'helper', 'adapter', 'address', 'access', 'process', 'status', 'alias', 'vhost', 'bus', 'wireless', 'less']);

export function stem(w: string): string {
  if (w.length <= 4 || /[^a-z]/.test(w) || KEEP.has(w)) return w;
  let out = w;
  for (const s of SUFFIXES) {
    if (out.endsWith(s) && out.length - s.length >= 3) {
      out = out.slice(0, -s.length);
      break;
    }
  }
  if (out.length > 4 && out.endsWith('e')) out = out.slice(0, -1);
  return out;
}

/** Canonical tokens of a text (lower case, phrases, synonyms, stems; stop words dropped). */
export function tokens(text: string): string[] {
  let t = ` ${text.toLowerCase()} `;
  for (const [re, tok] of FOREIGN) t = t.replace(re, tok);
  for (const [re, tok] of PHRASES) t = t.replace(re, tok);
  const out: string[] = [];
  for (let w of t.split(/[^a-z0-9_.:@-]+/)) {
    w = w.replace(/^[.:/-]+|[.:/-]+$/g, '');
    if (w.length < 2 || STOP.has(w)) continue;
    const syn = SYNONYMS[w];
    if (syn) w = syn;
    else if (/^[a-z]+$/.test(w)) w = stem(w);
    if (!STOP.has(w)) out.push(w);
  }
  return out;
}

interface Doc {
  cause: Cause;
  tf: Map<string, number>;
  len: number;
  cues: Map<string, number>;
}

let index: { docs: Doc[]; idf: Map<string, number>; avg: number } | undefined;

function build(): NonNullable<typeof index> {
  const docs: Doc[] = CAUSES.map((cause) => {
    const words = tokens([cause.title, ...cause.symptoms.map((s) => s.text)].join(' . '));
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    const cues = new Map<string, number>();
    for (const [term, weight] of Object.entries(cause.cues)) {
      const key = /[-._:]|^\d/.test(term) ? term : (tokens(term)[0] ?? term);
      cues.set(key, Math.max(cues.get(key) ?? 0, weight));
    }
    return { cause, tf, len: words.length, cues };
  });
  const df = new Map<string, number>();
  for (const d of docs) for (const w of d.tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const n = docs.length;
  const idf = new Map<string, number>();
  for (const [w, f] of df) idf.set(w, Math.log(1 + (n - f + 0.5) / (f + 0.5)));
  return { docs, idf, avg: docs.reduce((a, d) => a + d.len, 0) / n };
}

export interface Ranked {
  causeId: CauseId;
  score: number;
  /** The query words that led to this cause, strongest first. */
  words: string[];
}

const K1 = 1.2;
const B = 0.75;
/** One cue hit is worth about this many BM25 points per weight unit. */
const CUE_POINTS = 1.6;
/** Descriptions longer than this many tokens are cut (logs are matched by patterns). */
const MAX_QUERY = 4000;

/** Causes ranked by how well the text describes their symptoms, best first (score > 0 only). */
export function rankDescription(text: string): Ranked[] {
  index ??= build();
  const q = [...new Set(tokens(text).slice(0, MAX_QUERY))];
  const out: Ranked[] = [];
  for (const d of index.docs) {
    let score = 0;
    const contrib: [string, number][] = [];
    for (const w of q) {
      let s = 0;
      const f = d.tf.get(w);
      if (f) s += (index.idf.get(w) ?? 0) * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * d.len) / index.avg)));
      const cue = d.cues.get(w);
      if (cue) s += cue * CUE_POINTS;
      if (s > 0) {
        score += s;
        contrib.push([w, s]);
      }
    }
    if (score > 0) out.push({ causeId: d.cause.id, score, words: contrib.sort((a, b) => b[1] - a[1]).map(([w]) => w).slice(0, 6) });
  }
  return out.sort((a, b) => b.score - a.score || a.causeId.localeCompare(b.causeId));
}
