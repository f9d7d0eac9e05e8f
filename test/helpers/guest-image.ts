// (busybox 1.35 wget crashes on -T: timeout(1) bounds it instead.)
// A tiny guest for end-to-end network tests: Debian's own kernel (from
// `apt-get download linux-image-6.1.0-*-amd64`, unpacked with dpkg-deb), its
// virtio-net modules, and an initramfs built here from busybox-static with a
// fixed /init. Built once and cached under node_modules/.cache/qnet-guest, so
// every test file (and every later run) shares it; a lock directory keeps two
// test files from building it at the same time.
//
// The guest is driven by its kernel command line:
//   qnet.net=dhcp | ADDR/LEN[,GATEWAY]   how eth0 gets its address
//   qnet.wait=IP                        wait (up to 60 s) until IP answers ping
//   qnet.ping=IP[,IP...]                ping each (3 tries): QNET-PING IP ok|fail
//   qnet.http=URL                       fetch URL with wget: QNET-HTTP <first line>
//   qnet.httpd=PORT                     serve "qnet-guest" over HTTP on PORT
//   qnet.hold=SECONDS                   stay up that long before powering off
// and prints QNET-ADDR <addr>, QNET-LEASE ..., QNET-DONE on the serial console.
// The same initramfs boots User-Mode Linux (its /init skips the modules there).
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = new URL('../..', import.meta.url).pathname;
export const GUEST_CACHE = process.env.QNET_GUEST_CACHE ?? join(ROOT, 'node_modules/.cache/qnet-guest');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Load order of the modules virtio-net needs (Debian 6.1 builds virtio and virtio_pci as modules). */
const WANTED = ['virtio_pci', 'virtio_net'];

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# User-Mode Linux has its eth0 already (its own tuntap transport): the modules are for QEMU's virtio NIC.
[ -e /sys/class/net/eth0 ] || for m in $(cat /lib/modules/order 2>/dev/null); do insmod /lib/modules/$m.ko 2>/dev/null; done
arg() { for w in $(cat /proc/cmdline); do case "$w" in "qnet.$1="*) echo "\${w#*=}";; esac; done; }
NET=$(arg net); PING=$(arg ping); WAIT=$(arg wait); HTTP=$(arg http); HTTPD=$(arg httpd); HOLD=$(arg hold)
ip link set lo up
n=0; while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done
echo "QNET-LINKS $(ls /sys/class/net | tr '\\n' ' ')"
ip link set eth0 up
if [ "$NET" = dhcp ]; then
  udhcpc -i eth0 -n -q -f -t 8 -T 2 -s /bin/lease || echo "QNET-NOLEASE"
elif [ -n "$NET" ]; then
  ip addr add "\${NET%%,*}" dev eth0
  case "$NET" in *,*) ip route add default via "\${NET#*,}";; esac
fi
echo "QNET-ADDR $(ip -4 -o addr show dev eth0 | awk '{print $4}')"
echo "QNET-ROUTE $(ip route show default | head -1)"
if [ -n "$HTTPD" ]; then mkdir -p /www; echo qnet-guest > /www/index.html; httpd -p "$HTTPD" -h /www; fi
if [ -n "$WAIT" ]; then n=0; until ping -c 1 -W 1 "$WAIT" >/dev/null 2>&1 || [ $n -ge 60 ]; do n=$((n+1)); done; fi
for t in $(echo "$PING" | tr ',' ' '); do
  if ping -c 3 -W 2 "$t" >/dev/null 2>&1; then echo "QNET-PING $t ok"; else echo "QNET-PING $t fail"; fi
done
if [ -n "$HTTP" ]; then echo "QNET-HTTP $(timeout 10 wget -q -O - "$HTTP" 2>&1 | head -1)"; fi
[ -n "$HOLD" ] && sleep "$HOLD"
echo QNET-DONE
poweroff -f
`;

const LEASE = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    for r in $router; do ip route add default via "$r"; break; done
    echo "QNET-LEASE $ip/$mask router=\${router:-none} dns=\${dns:-none} server=\${serverid:-?}"
    ;;
esac
exit 0
`;

export interface GuestImage {
  kernel: string;
  initrd: string;
  version: string;
}

/** Why no guest can be built here ('' when it can). */
export function guestSkipReason(): string {
  if (process.arch !== 'x64') return 'the guest image is x86-64 (Debian amd64 kernel)';
  if (existsSync(join(GUEST_CACHE, 'ready'))) return '';
  const debs = existsSync(GUEST_CACHE) && readdirSync(GUEST_CACHE).some((f) => /^linux-image-6\.1\.0-\d+-amd64_.*\.deb$/.test(f));
  if (!debs) {
    const r = spawnSync('apt-cache', ['search', '--names-only', '^linux-image-6\\.1\\.0-[0-9]+-amd64$'], { encoding: 'utf8', env: { PATH } });
    if (r.status !== 0 || !r.stdout.trim()) return 'no linux-image-6.1.0-*-amd64 package is known to apt (Debian 12 sources, apt-get update) and none is in the guest cache';
  }
  for (const p of ['apt-get', 'apt-cache', 'dpkg-deb', 'modinfo']) {
    if (spawnSync('sh', ['-c', `command -v ${p}`], { env: { PATH } }).status !== 0) return `${p} is not installed (needed to fetch and unpack Debian's kernel)`;
  }
  const bb = busyboxPath();
  if (!bb) return 'busybox-static is not installed (Debian: apt-get install busybox-static)';
  return '';
}

function busyboxPath(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(p) && isStatic(p)) return p;
  return undefined;
}

/** An ELF without a PT_INTERP program header runs without a dynamic loader. */
function isStatic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    readSync(fd, h, 0, 64, 0);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false;
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    const phnum = h.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** A newc cpio archive of `files` (path → content, mode); directories are listed with mode 040755. */
export function newc(entries: { path: string; mode: number; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const e of [...entries, { path: 'TRAILER!!!', mode: 0 }]) {
    const data = 'data' in e && e.data ? e.data : Buffer.alloc(0);
    const name = Buffer.from(`${e.path}\0`);
    const fields = [ino++, e.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    const head = Buffer.from(`070701${fields.map(hex).join('')}`);
    parts.push(head, name, pad(head.length + name.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

function sh(argv: string[], cwd?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: { PATH, LC_ALL: 'C' }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

function build(dir: string): GuestImage {
  const work = mkdtempSync(join(dir, 'build-'));
  try {
    // The newest Debian 6.1 kernel the configured archive offers (or one already downloaded).
    let deb = readdirSync(dir).find((f) => /^linux-image-6\.1\.0-\d+-amd64_.*\.deb$/.test(f));
    if (!deb) {
      const names = sh(['apt-cache', 'search', '--names-only', '^linux-image-6\\.1\\.0-[0-9]+-amd64$'])
        .split('\n')
        .map((l) => l.split(' ')[0]!)
        .filter(Boolean)
        .sort((a, b) => Number(/-(\d+)-amd64/.exec(a)![1]) - Number(/-(\d+)-amd64/.exec(b)![1]));
      const pkg = names.pop();
      if (!pkg) throw new Error('apt-cache knows no linux-image-6.1.0-*-amd64 package (run apt-get update)');
      sh(['apt-get', 'download', '-q', pkg], work);
      const got = readdirSync(work).find((f) => f.endsWith('.deb'));
      if (!got) throw new Error(`apt-get download ${pkg} left no .deb`);
      renameSync(join(work, got), join(dir, got));
      deb = got;
    }
    const x = join(work, 'x');
    sh(['dpkg-deb', '-x', join(dir, deb), x]);
    const version = readdirSync(join(x, 'lib/modules'))[0]!;
    const kdir = join(x, 'lib/modules', version, 'kernel');
    const find = (name: string): string => {
      const hit = sh(['find', kdir, '-name', `${name}.ko*`]).split('\n').filter(Boolean)[0];
      if (!hit) throw new Error(`module ${name} not found in ${deb}`);
      return hit;
    };
    // Dependencies first (modinfo reads them from the .ko itself; the package has no modules.dep).
    const order: string[] = [];
    const visit = (m: string) => {
      if (order.includes(m)) return;
      const deps = sh(['modinfo', '-F', 'depends', find(m)]).trim().split(',').filter(Boolean);
      for (const d of deps) visit(d);
      order.push(m);
    };
    for (const m of WANTED) visit(m);
    const bb = readFileSync(busyboxPath()!);
    const entries: { path: string; mode: number; data?: Buffer }[] = [
      ...['bin', 'dev', 'etc', 'lib', 'lib/modules', 'proc', 'sys', 'tmp', 'run'].map((p) => ({ path: p, mode: 0o040755 })),
      { path: 'bin/busybox', mode: 0o100755, data: bb },
      { path: 'bin/lease', mode: 0o100755, data: Buffer.from(LEASE) },
      { path: 'init', mode: 0o100755, data: Buffer.from(INIT) },
      { path: 'lib/modules/order', mode: 0o100644, data: Buffer.from(order.join('\n') + '\n') },
      ...order.map((m) => {
        const f = find(m);
        if (f.endsWith('.xz') || f.endsWith('.zst')) throw new Error(`${f} is compressed; busybox insmod needs a plain .ko`);
        return { path: `lib/modules/${m}.ko`, mode: 0o100644, data: readFileSync(f) };
      }),
    ];
    const vmlinuz = readdirSync(join(x, 'boot')).find((f) => f.startsWith('vmlinuz-'))!;
    const img: GuestImage = { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.gz'), version };
    writeFileSync(`${img.kernel}.tmp`, readFileSync(join(x, 'boot', vmlinuz)), { mode: 0o644 });
    writeFileSync(`${img.initrd}.tmp`, gzipSync(newc(entries), { level: 6 }), { mode: 0o644 });
    renameSync(`${img.kernel}.tmp`, img.kernel);
    renameSync(`${img.initrd}.tmp`, img.initrd);
    writeFileSync(join(dir, 'ready'), `${version}\n`, { mode: 0o644 });
    return img;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The cached guest image, built on first use. World-readable (the tests boot it as a
 * non-root user). Concurrent callers wait for the one building it.
 */
export async function guestImage(): Promise<GuestImage> {
  const dir = GUEST_CACHE;
  const ready = () => existsSync(join(dir, 'ready'));
  const result = (): GuestImage => ({ kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.gz'), version: readFileSync(join(dir, 'ready'), 'utf8').trim() });
  // The image's content follows the /init text: a changed init rebuilds it.
  const stamp = join(dir, 'init.sha');
  const want = (await import('node:crypto')).createHash('sha256').update(INIT + LEASE + WANTED.join()).digest('hex');
  if (ready() && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return result();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let d = dir; d !== ROOT && d !== '/'; d = join(d, '..')) {
    try {
      if ((statSync(d).mode & 0o005) !== 0o005) chmodSync(d, statSync(d).mode | 0o005);
    } catch {
      break;
    }
  }
  const lock = `${dir}.lock`;
  const end = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else builds it; a lock older than 5 minutes is from a dead build.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > end) throw new Error(`waited 5 minutes for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (ready() && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return result();
    rmSync(join(dir, 'ready'), { force: true });
    const img = build(dir);
    writeFileSync(stamp, want, { mode: 0o644 });
    return img;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface GuestRun {
  console: string;
  code: number | null;
  timedOut: boolean;
  /** Values of QNET-* lines. */
  line: (tag: string) => string[];
}

/** argv of a QEMU (TCG) booting the guest with `net` appended (e.g. a setup's qemuArgs). */
export function guestArgv(img: GuestImage, params: Record<string, string>, net: string[]): string[] {
  const append = ['console=ttyS0', 'quiet', 'panic=-1', ...Object.entries(params).map(([k, v]) => `qnet.${k}=${v}`)].join(' ');
  return ['qemu-system-x86_64', '-M', 'pc', '-accel', 'tcg', '-m', '192', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot', '-kernel', img.kernel, '-initrd', img.initrd, '-append', append, ...net];
}

/** argv of Debian's User-Mode Linux booting the same initramfs, with `net` (e.g. a setup's umlArgs). */
export function umlArgv(img: GuestImage, params: Record<string, string>, net: string[], umlDir: string): string[] {
  return ['linux.uml', 'mem=96M', `initrd=${img.initrd}`, `uml_dir=${umlDir}`, 'con0=fd:0,fd:1', 'con=null', 'quiet', ...net, ...Object.entries(params).map(([k, v]) => `qnet.${k}=${v}`)];
}

export const parseConsole = (out: string, code: number | null, timedOut: boolean): GuestRun => ({
  console: out,
  code,
  timedOut,
  line: (tag) => [...out.matchAll(new RegExp(`^${tag} ?(.*?)\\r?$`, 'gm'))].map((m) => m[1]!),
});
