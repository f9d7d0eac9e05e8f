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
const sudoSession = `qnet-pty-sudo-${process.pid}`;
const ctrlcSession = `qnet-pty-ctrlc-${process.pid}`;
const staleSession = `qnet-pty-stale-${process.pid}`;
const irrevSession = `qnet-pty-irrev-${process.pid}`;
const tmp = mkdtempSync(join(tmpdir(), 'qnet-pty-'));
afterAll(() => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  spawnSync('tmux', ['kill-session', '-t', sudoSession]);
  spawnSync('tmux', ['kill-session', '-t', ctrlcSession]);
  spawnSync('tmux', ['kill-session', '-t', staleSession]);
  spawnSync('tmux', ['kill-session', '-t', irrevSession]);
  rmSync(tmp, { recursive: true, force: true });
});

const screen = (t = session) => execFileSync('tmux', ['capture-pane', '-p', '-t', t, '-S', '-200'], { encoding: 'utf8' });
async function waitFor(re: RegExp, ms = 20_000, t = session): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen(t);
    if (re.test(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
const keys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', session, ...k]);
const sudoKeys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', sudoSession, ...k]);
const hasSudo = spawnSync('sudo', ['-V']).status === 0;
if (!canRun && !hasSudo) console.log('the sudo hand-off test is skipped: sudo is not installed');

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

  // A user who is not root: qnet offers to run the apply step through sudo, shows the exact
  // command, and the root process it starts applies and verifies the fix. Everything a root
  // process could touch is private to the namespace: /etc is an overlay, /dev/net and
  // /var/lib are tmpfs, the journal is QNET_STATE_DIR (kept across sudo by the test's sudoers).
  it.skipIf(!hasSudo)('as a non-root user: offers sudo with the exact command, which applies and verifies the fix', async () => {
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /dev/net',
      'mknod -m 0600 /dev/net/tun c 10 200',
      `mkdir -p ${tmp}/sup ${tmp}/swork ${tmp}/sstate`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${tmp}/sup,workdir=${tmp}/swork /etc`,
      'mount -t tmpfs tmpfs /var/lib',
      'echo "qnetuser:x:4242:4242::/nonexistent:/usr/sbin/nologin" >> /etc/passwd',
      'echo "qnetuser:x:4242:" >> /etc/group',
      'echo "qnetuser:*:19000:0:99999:7:::" >> /etc/shadow', // PAM's account check wants one
      `printf 'Defaults env_keep += "QNET_STATE_DIR"\nqnetuser ALL=(root) NOPASSWD: ALL\n' > /etc/sudoers.d/qnet-test`,
      'chmod 0440 /etc/sudoers.d/qnet-test',
      'set +e',
      'cd /',
      `QNET_STATE_DIR=${tmp}/sstate setpriv --reuid=4242 --regid=4242 --clear-groups env HOME=/nonexistent node ${ROOT}bin/qnet.js fix tun-perms`,
      'echo "EXIT=$?"',
      'stat -c "MODE=%a GROUP=%G" /dev/net/tun',
      'id qnetuser | sed "s/^/ID=/"',
      `ls ${tmp}/sstate/sets | sed "s/^/SET=/"`,
      'sleep 60',
    ].join('\n');
    execFileSync('tmux', ['new-session', '-d', '-s', sudoSession, '-x', '220', '-y', '80', 'unshare', '-m', '-n', '--propagation', 'private', 'bash', '-c', script]);
    await waitFor(/Which problems should qnet fix\?/, 20_000, sudoSession);
    sudoKeys('Enter');
    await waitFor(/How should tun-perms be fixed\?/, 20_000, sudoSession);
    sudoKeys('Enter'); // the recommended group-udev plan
    const offer = await waitFor(/Run it through sudo\?/, 20_000, sudoSession);
    expect(offer).toMatch(/These fixes need root\. qnet can run the apply step through sudo:/);
    expect(offer).toMatch(/sudo \S*node \S*bin\/qnet\.js fix --apply-plan \S+\/plan\.json --user qnetuser/);
    expect(offer).toMatch(/The root process applies only this plan \(sha256:[0-9a-f]{16}\), and only if it derives exactly the same plan itself\./);
    sudoKeys('Enter'); // default: yes
    // The script's last line: the journal's sets, or ls saying there is none.
    const done = await waitFor(/SET=\d|sets': No such file/, 30_000, sudoSession);
    expect(done, done).toMatch(/✔ verified tun-perms/);
    expect(done).toMatch(/Applying the plan you confirmed \(sha256:[0-9a-f]{16}\), derived again here as root and identical:/);
    expect(done).toMatch(/EXIT=0/);
    expect(done).toMatch(/MODE=660 GROUP=netdev/);
    expect(done).toMatch(/ID=uid=4242\(qnetuser\).*groups=.*\(netdev\)/);
    expect(done).toMatch(/SET=\d{8}T\d{6}-[0-9a-f]{6}/);
  });
  // Ctrl-C at a prompt: one line, exit 130, nothing changed (no stack trace, no "internal error").
  it('Ctrl-C at the first question: one line, exit 130, nothing changed', async () => {
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /dev/net',
      'mknod -m 0600 /dev/net/tun c 10 200',
      `mkdir -p ${tmp}/cup ${tmp}/cwork ${tmp}/cstate`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${tmp}/cup,workdir=${tmp}/cwork /etc`,
      'set +e',
      `QNET_STATE_DIR=${tmp}/cstate node ${ROOT}bin/qnet.js fix --user nobody tun-perms`,
      'echo "EXIT=$?"',
      'stat -c "MODE=%a" /dev/net/tun',
      `ls -A ${tmp}/cstate/sets 2>/dev/null | wc -l | sed "s/^/SETS=/"`,
      'sleep 60',
    ].join('\n');
    execFileSync('tmux', ['new-session', '-d', '-s', ctrlcSession, '-x', '200', '-y', '60', 'unshare', '-m', '-n', '--propagation', 'private', 'bash', '-c', script]);
    await waitFor(/Which problems should qnet fix\?/, 20_000, ctrlcSession);
    execFileSync('tmux', ['send-keys', '-t', ctrlcSession, 'C-c']);
    const s = await waitFor(/SETS=\d/, 20_000, ctrlcSession);
    expect(s).toMatch(/qnet: interrupted; nothing was changed/);
    expect(s).toMatch(/EXIT=130/);
    expect(s).not.toMatch(/internal error|ExitPromptError|    at /);
    expect(s).toMatch(/MODE=600/);
    expect(s).toMatch(/SETS=0/);
  });

  // The preview is bound to the apply: a file the plan writes, created by someone else while
  // the question waits, is not overwritten.
  it('a file created by hand while "Apply?" waits: the apply is refused, the file kept, nothing changed', async () => {
    const rule = '/etc/udev/rules.d/60-qnet-tun.rules';
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /dev/net',
      'mknod -m 0600 /dev/net/tun c 10 200',
      `mkdir -p ${tmp}/bup ${tmp}/bwork ${tmp}/bstate`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${tmp}/bup,workdir=${tmp}/bwork /etc`,
      `rm -f ${rule}`,
      'set +e',
      `QNET_STATE_DIR=${tmp}/bstate node ${ROOT}bin/qnet.js fix --user nobody tun-perms`,
      'echo "EXIT=$?"',
      'stat -c "MODE=%a" /dev/net/tun',
      `sed "s/^/RULE=/" ${rule}`,
      'echo END',
      'sleep 60',
    ].join('\n');
    execFileSync('tmux', ['new-session', '-d', '-s', staleSession, '-x', '220', '-y', '80', 'unshare', '-m', '-n', '--propagation', 'private', 'bash', '-c', script]);
    const tkeys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', staleSession, ...k]);
    await waitFor(/Which problems should qnet fix\?/, 20_000, staleSession);
    tkeys('Enter');
    await waitFor(/How should tun-perms be fixed\?/, 20_000, staleSession);
    tkeys('Down', 'Enter'); // mode 0666: writes the udev rule, then chmod
    await waitFor(/Apply 1 fix\?/, 20_000, staleSession);
    // Someone writes the rule meanwhile, in qnet's mount namespace.
    const pane = execFileSync('tmux', ['display', '-p', '-t', staleSession, '#{pane_pid}'], { encoding: 'utf8' }).trim();
    execFileSync('nsenter', ['-t', pane, '-m', '--', 'sh', '-c', `mkdir -p /etc/udev/rules.d && printf '%s\\n' '# written by hand' > ${rule}`]);
    tkeys('y', 'Enter');
    const s = await waitFor(/END/, 20_000, staleSession);
    expect(s).toMatch(/qnet: \/etc\/udev\/rules\.d\/60-qnet-tun\.rules was created since the plan was made; nothing of this fix was kept: run qnet fix again/);
    expect(s).toMatch(/EXIT=2/);
    expect(s).toMatch(/MODE=600/);
    expect(s).toMatch(/RULE=# written by hand/);
  });
  // A plan undo cannot revert (installing the helper): a second question, No by default.
  it('an irreversible plan asks a second time, defaulting to No; nothing is installed', async () => {
    const script = [
      'set -e',
      `mkdir -p ${tmp}/iup ${tmp}/iwork ${tmp}/istate ${tmp}/ibin`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${tmp}/iup,workdir=${tmp}/iwork /etc`,
      'mount -t tmpfs -o mode=0755 tmpfs /usr/lib/qemu',
      `printf '#!/bin/sh\\necho "$*" >> ${tmp}/apt.log\\n' > ${tmp}/ibin/apt-get`,
      `chmod 0755 ${tmp}/ibin/apt-get`,
      `mount --bind ${tmp}/ibin/apt-get /usr/bin/apt-get`,
      'set +e',
      `QNET_STATE_DIR=${tmp}/istate node ${ROOT}bin/qnet.js fix --user nobody helper-setuid`,
      'echo "EXIT=$?"',
      `cat ${tmp}/apt.log 2>/dev/null | sed "s/^/APT=/"`,
      'echo END',
      'sleep 60',
    ].join('\n');
    execFileSync('tmux', ['new-session', '-d', '-s', irrevSession, '-x', '220', '-y', '80', 'unshare', '-m', '-n', '--propagation', 'private', 'bash', '-c', script]);
    const ikeys = (...k: string[]) => execFileSync('tmux', ['send-keys', '-t', irrevSession, ...k]);
    const preview = await waitFor(/Which problems should qnet fix\?/, 20_000, irrevSession);
    expect(preview).toMatch(/helper-setuid\/install \(recommended\): .*cannot be undone\]/);
    ikeys('Enter');
    await waitFor(/Apply 1 fix\?/, 20_000, irrevSession);
    ikeys('y', 'Enter');
    const second = await waitFor(/Apply it anyway, knowing it cannot be undone\? \(y\/N\)/, 20_000, irrevSession);
    expect(second).toMatch(/qnet undo cannot revert helper-setuid\/install \(apt-get install -y qemu-system-common has no inverse\)\./);
    ikeys('Enter'); // the default: No
    const s = await waitFor(/END/, 20_000, irrevSession);
    expect(s).toMatch(/Nothing changed\./);
    expect(s).toMatch(/EXIT=0/);
    expect(s).not.toMatch(/APT=/);
  });
});
