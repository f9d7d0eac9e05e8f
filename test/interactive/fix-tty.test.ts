// `qnet fix` as a person uses it: a real pseudo-terminal (tmux) runs qnet in a
// namespace whose /dev/net/tun is 0600, answers the prompts, and reads the screen.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const canRun = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  if (spawnSync('tmux', ['-V']).status !== 0) return 'tmux is not installed';
  if (spawnSync('unshare', ['-m', '-n', 'true']).status !== 0) return 'cannot create mount and network namespaces';
  return '';
})();
if (canRun) console.log(`interactive tests skipped: ${canRun}`);

const session = `qnet-pty-${process.pid}`;
const tmp = mkdtempSync(join(tmpdir(), 'qnet-pty-'));
afterAll(() => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  rmSync(tmp, { recursive: true, force: true });
});

const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session, '-S', '-200'], { encoding: 'utf8' });
async function waitFor(re: RegExp, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (re.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
const keys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', session, ...k]);

describe.skipIf(canRun !== '')('qnet fix in a terminal', () => {
  it('asks which problems and which fix, applies the chosen one, and verifies it', async () => {
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /dev/net',
      'mknod -m 0600 /dev/net/tun c 10 200',
      `mkdir -p ${tmp}/up ${tmp}/work ${tmp}/state`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${tmp}/up,workdir=${tmp}/work /etc`,
      'set +e',
      `QNET_STATE_DIR=${tmp}/state node ${ROOT}bin/qnet.js fix --user nobody tun-perms`,
      'echo "EXIT=$?"',
      'stat -c "MODE=%a GROUP=%G" /dev/net/tun',
      'sleep 60',
    ].join('\n');
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '60', 'unshare', '-m', '-n', '--propagation', 'private', 'bash', '-c', script]);
    await waitFor(/Which problems should qnet fix\?/);
    keys('Enter'); // tun-perms is pre-checked
    await waitFor(/How should tun-perms be fixed\?/);
    keys('Down', 'Enter'); // the second alternative: mode 0666
    await waitFor(/Apply 1 fix\?/);
    keys('y', 'Enter');
    const s = await waitFor(/MODE=\d+/);
    expect(s).toMatch(/✔ verified tun-perms/);
    expect(s).toMatch(/EXIT=0/);
    expect(s).toMatch(/MODE=666/);
    // The preview showed both alternatives before the questions.
    expect(s).toMatch(/tun-perms\/group-udev \(recommended\)/);
  });
});
