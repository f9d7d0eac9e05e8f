// The sudo hand-off, for real: qnetuser runs `qnet fix --yes bridge-state` on a
// host whose only finding is a warning (STP on a bridge named `a,b`, a comma in
// its name); qnet prints a sudo command and the plan file it wrote; run as
// printed (through the scenario's own sudo), the root process derives the plan
// again, finds it identical, shows its hash and applies it. A plan file changed
// by the user (another command, a plan qnet never proposed) is refused and
// nothing is applied. As root, `--plan` takes the comma-holding ID whole.
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipReason, TEST_UID, type RunResult } from './harness.js';
import { cliSuite, FixScenario, said } from './fix-harness.js';

const hasSudo = spawnSync('sudo', ['-V']).status === 0;
const why = skipReason() || (hasSudo ? '' : 'sudo is not installed');
if (why) console.log(`sudo hand-off real-kernel tests skipped: ${why}`);

// STP on (a warning), an address so that STP is its only finding; the user may use sudo
// in this scenario only (its /etc is an overlay), keeping QNET_STATE_DIR.
const SETUP = `ip link add 'a,b' type bridge stp_state 1
ip addr add 10.77.0.1/24 dev 'a,b'
ip link set 'a,b' up
chmod 0711 "$T"
mkdir -m 1777 "$T/usertmp"
echo 'qnetuser:*:19000:0:99999:7:::' >> /etc/shadow
printf 'Defaults env_keep += "QNET_STATE_DIR"\\nqnetuser ALL=(root) NOPASSWD: ALL\\n' > /etc/sudoers.d/qnet-test
chmod 0440 /etc/sudoers.d/qnet-test
`;
const STP = "ip -j -d link show dev 'a,b' | grep -o '\"stp_state\":[0-9]'";

describe.skipIf(why !== '')('qnet fix as a normal user: the sudo hand-off', () => {
  const suite = cliSuite({ checkHost: true });
  beforeAll(() => {
    chmodSync(dirname(dirname(suite.bin)), 0o755); // qnetuser runs this copy
  });

  /** Runs as qnetuser: argv, or a shell command line exactly as qnet printed it. */
  const asUser = (f: FixScenario, cmd: string[] | string): Promise<RunResult> =>
    f.sc.inNs(
      [
        'setpriv', `--reuid=${TEST_UID}`, `--regid=${TEST_UID}`, '--clear-groups',
        'env', 'HOME=/nonexistent', `TMPDIR=${f.sc.nsDir}/usertmp`, `QNET_STATE_DIR=${f.stateDir}`, 'NO_COLOR=1',
        ...(typeof cmd === 'string' ? ['bash', '-c', cmd] : cmd),
      ],
      { timeoutMs: 60_000 },
    );

  it('a warning fixed through the printed sudo command; a changed plan file is refused; --plan takes an ID with a comma', async () => {
    const f = await FixScenario.start('fix-handoff', suite.bin, SETUP);
    chmodSync(f.sc.dir, 0o711); // the way to $T/usertmp, for qnetuser
    try {
      expect(await f.out(['bash', '-c', STP])).toBe('"stp_state":1');
      const v0 = await f.verdict('bridge-state');
      expect(v0.status, v0.summary).toBe('warn');

      const asked = await asUser(f, [process.execPath, suite.bin, 'fix', '--yes', 'bridge-state']);
      expect(asked.code, said(asked)).toBe(2);
      const m = /^qnet: these fixes need root; the plan \((sha256:[0-9a-f]{16})\) is in (\S+); run: (sudo .* fix --apply-plan \S+ --user qnetuser)\n$/.exec(asked.stderr);
      expect(m, said(asked)).not.toBeNull();
      const [, hash, file, command] = m!;
      const original = await f.out(['cat', file!]);
      expect(JSON.parse(original).plans.map((p: { plan: { id: string } }) => p.plan.id)).toEqual(['bridge-state/stp-a,b']);

      // Tampered: the user swaps the command for one of their own, or names a plan qnet never made.
      type Plan = { plan: { id: string; actions: Record<string, unknown>[] } };
      const forge = (change: (p: Plan) => void) => {
        const doc = JSON.parse(original) as { plans: Plan[] };
        change(doc.plans[0]!);
        return JSON.stringify(doc, null, 1) + '\n';
      };
      const forged = [
        forge((p) => (p.plan.actions[0]!.argv as string[]).push('mtu', '1280')),
        forge((p) => (p.plan.actions[0]!.argv = ['touch', '/etc/qnet-pwned'])),
        forge((p) => p.plan.actions.push({ kind: 'write-file', path: '/etc/qnet-pwned', content: 'x\n', mode: 0o644 })),
        forge((p) => (p.plan.id = 'bridge-state/up-a,b')),
      ];
      for (const body of forged) {
        expect(body).not.toBe(original);
        expect((await f.sc.inNs(['sh', '-c', 'cat > "$0"', file!], { input: body })).code).toBe(0);
        const r = await asUser(f, command!);
        expect(r.code, `${said(r)}\nplan file:\n${body}`).toBe(2);
        expect(r.stderr).toMatch(/^qnet: the host changed since the plan was shown: .* nothing was applied: run qnet fix again\n$/);
        expect(await f.out(['bash', '-c', STP])).toBe('"stp_state":1');
        expect(await f.out(['stat', '/etc/qnet-pwned'])).toMatch(/^exit 1:/);
        expect((await f.qnet(['undo', '--list'])).stdout).toMatch(/No fix sets journaled/);
      }

      // The plan as qnet wrote it: run exactly as printed, it is applied and verified.
      expect((await f.sc.inNs(['sh', '-c', 'cat > "$0"', file!], { input: original + '\n' })).code).toBe(0);
      const applied = await asUser(f, command!);
      expect(applied.code, said(applied)).toBe(0);
      expect(applied.stdout).toContain(`Applying the plan you confirmed (${hash}), derived again here as root and identical:`);
      expect(applied.stdout).toMatch(/✔ verified bridge-state/);
      expect(await f.out(['bash', '-c', STP])).toBe('"stp_state":0');
      expect((await f.verdict('bridge-state')).status).toBe('pass');
      expect((await f.qnet(['undo'])).code).toBe(0);
      expect(await f.out(['bash', '-c', STP])).toBe('"stp_state":1');

      // As root, an ID holding a comma is one ID.
      const byId = await f.qnet(['fix', '--plan', 'bridge-state/stp-a,b', 'bridge-state']);
      expect(byId.code, said(byId)).toBe(0);
      expect(await f.out(['bash', '-c', STP])).toBe('"stp_state":0');
    } finally {
      await f.dispose();
    }
  });
});
