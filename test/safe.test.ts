// src/output/safe.ts, and the built CLI where host bytes meet the terminal:
// error lines quoting a malformed snapshot, lint's header, doctor's text.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasUnsafe, mdCode, mdText, termWidth, visible } from '../src/output/safe.js';
import { fixturePath } from './helpers/fixtures.js';

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

describe('visible', () => {
  it('writes control and invisible format characters as escapes', () => {
    expect(visible('br\x1b]0;pwned\x07x')).toBe('br\\x1b]0;pwned\\x07x');
    expect(visible('a\tb\r\nc\x7f\u009b\u202e\u200b')).toBe('a\\tb\\r\\nc\\x7f\\u009b\\u202e\\u200b');
    expect(visible('plain /etc/qemu-ifup, ✔ ünïcode 日本')).toBe('plain /etc/qemu-ifup, ✔ ünïcode 日本');
  });
  it('leaves no raw control character in any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const v = visible(s);
      expect(v).not.toMatch(RAW);
      expect(v.includes('\n')).toBe(false);
      expect(hasUnsafe(v)).toBe(false);
    }));
  });
  it('changes nothing in text without control characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      if (!hasUnsafe(s)) expect(visible(s)).toBe(s);
    }));
  });
});

describe('Markdown helpers', () => {
  it('mdText makes markup literal', () => {
    expect(mdText('a|b *c* _d_ `e` <b> [l](u) @user &amp;')).toBe('a\\|b \\*c\\* \\_d\\_ \\`e\\` \\<b\\> \\[l\\](u) \\@user \\&amp;');
  });
  it('mdCode fences with more backticks than the text holds', () => {
    expect(mdCode('plain')).toBe('`plain`');
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('``x')).toBe('``` ``x ```');
    expect(mdCode('a|b', { cell: true })).toBe('`a\\|b`');
    expect(mdCode('\x1b[2J')).toBe('`\\x1b[2J`');
  });
});

describe('termWidth', () => {
  it('counts ✔ ✖ ☠ – ! as one column, wide CJK as two, colour codes as none', () => {
    expect(termWidth('✔ ✖ ☠ – !')).toBe(9);
    expect(termWidth('日本')).toBe(4);
    expect(termWidth('\x1b[31m✖ 1 fail\x1b[39m')).toBe(8);
  });
});

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/qnet.js');
let dir = '';
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/qnet.cjs'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  dir = mkdtempSync(join(tmpdir(), 'qnet-safe-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const qnet = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

describe('the CLI where host bytes meet the terminal', () => {
  it('a malformed snapshot: one line on stderr, its bytes made visible, exit 2', () => {
    for (const body of ['\x1b]0;pwned\x07\x1b[2J{not json', '{"schema":"qnet.snapshot/v1","qnet":"\x1b[2J","reads":{"\x1b]0;x\x07":1}}']) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, body);
      const r = qnet(['doctor', '--snapshot', file]);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).not.toMatch(RAW);
    }
  });
  it('lint shows a hostile program name and options as text', () => {
    const r = qnet(['lint', '--', 'qemu-system-x86_64\x1b]0;pwned\x07', '-netdev', 'tap,id=n0,ifname=t\x1b[2J,script=no,downscript=no', '-device', 'e1000,netdev=n0']);
    expect([0, 1, 2]).toContain(r.status);
    expect((r.stdout + r.stderr).replace(/\n/g, '')).not.toMatch(RAW);
  });
  it('doctor on a snapshot with hostile host data prints no raw control character', () => {
    const snap = JSON.parse(readFileSync(fixturePath('kvm-0600'), 'utf8')) as { reads: Record<string, unknown> };
    snap.reads['file /proc/sys/kernel/hostname'] = { ok: true, text: 'h\x1b]0;pwned\x07\n' };
    snap.reads['file /etc/os-release'] = { ok: true, text: 'PRETTY_NAME="Evil\x1b[2J\u202eOS"\n' };
    const file = join(dir, 'hostile.json');
    writeFileSync(file, JSON.stringify(snap));
    const r = qnet(['doctor', '--snapshot', file]);
    expect(r.stdout).toContain('h\\x1b]0;pwned\\x07');
    expect(r.stdout).toContain('Evil\\x1b[2J\\u202eOS');
    expect(r.stdout.replace(/\n/g, '')).not.toMatch(RAW);
  });
});
