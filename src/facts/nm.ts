// NetworkManager's saved profiles (keyfiles), read the way NetworkManager's keyfile
// plugin reads them: three directories, /run shadowing /etc shadowing /usr/lib for
// one UUID; extension-less files count only in /etc; backup and hidden files never;
// and a file that is not root-only is ignored (NetworkManager refuses it, since it
// may hold secrets).
import type { Context } from '../context.js';
import { isFile, NOT_CAPTURED } from '../host/host.js';
import { parseKeyfile, type Keyfile } from '../parse/netconfig.js';

export const NM_DIRS = [
  { dir: '/run/NetworkManager/system-connections', needsExtension: true },
  { dir: '/etc/NetworkManager/system-connections', needsExtension: false },
  { dir: '/usr/lib/NetworkManager/system-connections', needsExtension: true },
] as const;

export interface NmProfile {
  path: string;
  name: string;
  keyfile: Keyfile;
}

export interface NmKeyfiles {
  /** Profiles NetworkManager loads, highest precedence first. */
  profiles: NmProfile[];
  /** Files it skips, and why (the user most likely meant them to count). */
  ignored: { path: string; why: string }[];
  /** Directories or files this user cannot read (NetworkManager's are root-only). */
  unreadable: { path: string; dir: boolean }[];
  /** Some directory exists (NetworkManager is or was installed). */
  anyDir: boolean;
  notCaptured: boolean;
}

/** Names the keyfile plugin never loads: hidden files, editor and package-manager leftovers, its own .nmmeta. */
function skippedName(name: string, needsExtension: boolean): string | undefined {
  if (name.startsWith('.')) return 'hidden file';
  if (/~$|\.(bak|orig|rej|swp|tmp|nmmeta|dpkg-(old|new|dist|bak|tmp)|rpm(new|save|orig))$/.test(name)) return 'backup or temporary file name';
  if (needsExtension && !name.endsWith('.nmconnection')) return 'outside /etc only *.nmconnection files are read';
  return undefined;
}

export function nmKeyfiles(ctx: Context): Promise<NmKeyfiles> {
  return ctx.memo('nm-keyfiles', async () => {
    const out: NmKeyfiles = { profiles: [], ignored: [], unreadable: [], anyDir: false, notCaptured: false };
    const seenUuid = new Set<string>();
    for (const { dir, needsExtension } of NM_DIRS) {
      const r = await ctx.host.readdir(dir);
      if (!r.ok) {
        if (r.code === 'EACCES') {
          out.anyDir = true;
          out.unreadable.push({ path: dir, dir: true });
        }
        if (r.code === NOT_CAPTURED) out.notCaptured = true;
        continue;
      }
      out.anyDir = true;
      for (const name of [...r.value].sort()) {
        const path = `${dir}/${name}`;
        const skipped = skippedName(name, needsExtension);
        if (skipped) {
          // Backups and hidden files are meant to be skipped; a profile without its extension is a mistake worth naming.
          if (skipped.startsWith('outside')) out.ignored.push({ path, why: skipped });
          continue;
        }
        const st = await ctx.host.stat(path);
        if (st.ok && (st.value.uid !== 0 || (st.value.mode & 0o077) !== 0)) {
          out.ignored.push({ path, why: `NetworkManager ignores it: ${st.value.uid !== 0 ? `owned by uid ${st.value.uid}` : `mode ${(st.value.mode & 0o777).toString(8).padStart(4, '0')}`}, not root-only (chown root:root, chmod 0600, then nmcli connection reload)` });
          continue;
        }
        if (st.ok && !isFile(st.value)) continue;
        const f = await ctx.host.readFile(path);
        if (!f.ok) {
          if (f.code === 'EACCES') out.unreadable.push({ path, dir: false });
          if (f.code === NOT_CAPTURED) out.notCaptured = true;
          continue;
        }
        const keyfile = parseKeyfile(f.value.toString('utf8'));
        // One UUID: the copy in the directory read first (/run, then /etc, then /usr/lib) wins.
        if (keyfile.uuid) {
          if (seenUuid.has(keyfile.uuid)) continue;
          seenUuid.add(keyfile.uuid);
        }
        out.profiles.push({ path, name, keyfile });
      }
    }
    return out;
  });
}
