// `ip -j` output, parsed. iproute2 prints interface names byte for byte: a name
// holding a control character (legal for the kernel) makes its JSON invalid.
// Such characters inside strings are escaped before parsing, so one odd name
// does not cost the whole listing.

export interface IpLink {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  operstate?: string;
  master?: string;
  address?: string;
  link_type?: string;
  /** veth/macvlan/vlan: the peer or lower device's name (same namespace). */
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Escapes raw control characters that stand inside JSON strings. */
export function escapeControlsInStrings(json: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  let last = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
      else if (c < 0x20 || c === 0x7f) {
        out += json.slice(last, i) + `\\u${c.toString(16).padStart(4, '0')}`;
        last = i + 1;
      }
    } else if (c === 0x22) inString = true;
  }
  return last === 0 ? json : out + json.slice(last);
}

export function parseIpJson(json: string): IpLink[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    // Only a listing that does not parse is walked for raw control characters.
    data = JSON.parse(escapeControlsInStrings(json));
  }
  if (!Array.isArray(data)) throw new Error('ip -j output is not a list');
  return (data as IpLink[]).filter((l) => l && typeof l.ifname === 'string');
}
