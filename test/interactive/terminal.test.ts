// What a person sees in a real terminal (tmux): the summary box has a straight
// right edge; a bridge named with escape sequences is shown as text and neither
// clears the screen nor retitles the terminal; the wizard's report replaces the
// user names of the host it describes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
const noTmux = spawnSync('tmux', ['-V']).status !== 0 ? 'tmux is not installed' : '';
const noNs = process.getuid?.() !== 0 ? 'not root' : spawnSync('unshare', ['-m', '-n', 'true']).status !== 0 ? 'cannot create mount and network namespaces' : '';
if (noTmux) console.log(`terminal tests skipped: ${noTmux}`);
else if (noNs) console.log(`the wizard report test is skipped: ${noNs}`);

const tmp = mkdtempSync(join(tmpdir(), 'qnet-term-'));
const sessions: string[] = [];
afterAll(() => {
  for (const s of sessions) spawnSync('tmux', ['kill-session', '-t', s]);
  rmSync(tmp, { recursive: true, force: true });
});

function start(name: string, script: string, size = ['-x', '160', '-y', '60']): string {
  const s = `qnet-term-${name}-${process.pid}`;
  sessions.push(s);
  execFileSync('tmux', ['new-session', '-d', '-s', s, ...size, 'env', 'TERM=xterm-256color', 'LANG=C.UTF-8', 'bash', '-c', script]);
  return s;
}
const screen = (s: string) => execFileSync('tmux', ['capture-pane', '-p', '-t', s, '-S', '-300'], { encoding: 'utf8' });
async function waitFor(s: string, re: RegExp, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const txt = screen(s);
    if (re.test(txt)) return txt;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${txt}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe.skipIf(noTmux !== '')('in a real terminal', () => {
  it("the summary box's right edge is straight (✔ ✖ ☠ take one column)", async () => {
    const s = start('box', `node ${BIN} doctor --snapshot ${fixturePath('tun-0600')}; echo DONE; sleep 30`);
    const txt = await waitFor(s, /DONE/);
    const lines = txt.split('\n');
    const top = lines.findIndex((l) => l.startsWith('╭'));
    const bottom = lines.findIndex((l, i) => i > top && l.startsWith('╰'));
    expect(top, txt).toBeGreaterThan(-1);
    const box = lines.slice(top, bottom + 1).map((l) => l.trimEnd());
    expect(box.some((l) => l.includes('✔') && l.includes('✖') && l.includes('☠'))).toBe(true);
    // tmux draws ✔ ✖ ☠ in one cell each: equal character counts mean equal columns.
    const widths = box.map((l) => [...l].length);
    expect(new Set(widths).size, box.join('\n')).toBe(1);
    expect(box.slice(1, -1).every((l) => l.endsWith('│'))).toBe(true);
  });

  it('a bridge named with escape sequences is shown as text: the screen is not cleared, the title not changed', async () => {
    const evil = 'br\x1b[2J\x1b[H\x1b]2;pwned\x07';
    const swap = (x: string) => x.split('br0').join(evil);
    const snap = JSON.parse(readFileSync(fixturePath('bridge-down'), 'utf8')) as { reads: Record<string, Record<string, unknown>> };
    const reads: Record<string, Record<string, unknown>> = {};
    for (const [key, rec] of Object.entries(snap.reads)) {
      const k = key.startsWith('exec ') ? `exec ${JSON.stringify((JSON.parse(key.slice(5)) as string[]).map(swap))}` : swap(key);
      const exec = rec.exec as { stdout: string } | undefined;
      if (exec) {
        let stdout: string;
        try {
          stdout = JSON.stringify(JSON.parse(exec.stdout, (_k, v: unknown) => (typeof v === 'string' ? swap(v) : v)));
        } catch {
          stdout = swap(exec.stdout);
        }
        reads[k] = { ...rec, exec: { ...exec, stdout } };
      } else reads[k] = typeof rec.text === 'string' ? { ...rec, text: swap(rec.text) } : rec;
    }
    const file = join(tmp, 'evil.json');
    writeFileSync(file, JSON.stringify({ ...snap, reads }));
    const s = start('evil', `echo MARKER-BEFORE; node ${BIN} doctor --snapshot ${file}; echo "EXIT=$?"; sleep 30`);
    const txt = await waitFor(s, /EXIT=\d/);
    expect(txt).toMatch(/EXIT=1/);
    expect(txt).toContain('MARKER-BEFORE'); // not cleared by ESC[2J
    expect(txt).toContain('br\\x1b[2J\\x1b[H\\x1b]2;pwned\\x07');
    const title = execFileSync('tmux', ['display', '-p', '-t', s, '#{pane_title}'], { encoding: 'utf8' });
    expect(title).not.toMatch(/pwned/);
  });

  it.skipIf(noNs !== '')("the wizard's report replaces the host's user names, and only where they are names", async () => {
    // A host whose users are called `bridge` (the one qnet judges, via sudo) and `qemu`
    // (the owner of a tap): private /etc and network namespace, qnet's wizard in a terminal.
    const script = [
      'set -e',
      `mkdir -p ${tmp}/up ${tmp}/work ${tmp}/cwd`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${tmp}/up,workdir=${tmp}/work /etc`,
      'echo "bridge:x:1500:1500:Bridget Jones,Room 7,+1-555-0199:/home/bridge:/bin/bash" >> /etc/passwd',
      'echo "qemu:x:1501:1501:Q. Emu:/home/qemu:/bin/bash" >> /etc/passwd',
      'echo "bridge:x:1500:" >> /etc/group',
      'echo "qemu:x:1501:" >> /etc/group',
      'ip link set lo up',
      'ip link add br0 type bridge',
      'ip tuntap add dev tap0 mode tap user qemu',
      'ip link set tap0 master br0',
      'set +e',
      `cd ${tmp}/cwd`,
      `SUDO_USER=bridge node ${BIN}`,
      'echo "EXIT=$?"',
      'sleep 60',
    ].join('\n');
    const s = start('wizard', `exec unshare -m -n --propagation private bash -c '${script.replace(/'/g, `'\\''`)}'`, ['-x', '200', '-y', '80']);
    await waitFor(s, /What next\?/, 30_000);
    for (let i = 0; i < 6 && !/❯ Write a report/.test(screen(s)); i++) {
      execFileSync('tmux', ['send-keys', '-t', s, 'Down']);
      await new Promise((r) => setTimeout(r, 200));
    }
    execFileSync('tmux', ['send-keys', '-t', s, 'Enter']);
    await waitFor(s, /EXIT=\d/, 30_000);
    const file = join(tmp, 'cwd', 'qnet-report.md');
    expect(existsSync(file), screen(s)).toBe(true);
    const md = readFileSync(file, 'utf8');
    expect(md).toMatch(/judged for: user\d/);
    expect(md).toMatch(/owner user\d/); // the tap's owner, qemu
    expect(md).not.toMatch(/judged for: bridge|owner qemu|Bridget|555-0199|Q\. Emu/);
    // Paths and words that contain or equal the names are untouched.
    expect(md).not.toMatch(/user\d-(ifup|bridge-helper|system)|\/etc\/user\d/);
    expect(md).toMatch(/\/etc\/qemu-ifup|qemu-bridge-helper|qemu-system/);
    // The same report as qnet report: the network diagram and the replayable snapshot.
    expect(md).toMatch(/^```mermaid\nflowchart LR$/m);
    expect(md).toContain('-----BEGIN QNET SNAPSHOT-----');
  });
});
