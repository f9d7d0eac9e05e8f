// The live host's reads: what they return for files, /proc-style files, and the
// things that must never hang or be followed as files (FIFOs, devices).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveHost } from '../src/host/live.js';

const dir = mkdtempSync(join(tmpdir(), 'qnet-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const host = new LiveHost();

describe('LiveHost', () => {
  it('reads a file whole, also one larger than a read chunk', async () => {
    const big = Buffer.alloc(200_000, 'x');
    big.write('end', big.length - 3);
    writeFileSync(join(dir, 'big'), big);
    const r = await host.readFile(join(dir, 'big'));
    expect(r.ok && r.value.equals(big)).toBe(true);
  });

  it('reads /proc files that report size 0', async () => {
    const r = await host.readFile('/proc/self/status');
    expect(r.ok && r.value.toString().includes('Pid:')).toBe(true);
    const mine = await host.readFile(`/proc/${process.pid}/cmdline`);
    expect(mine.ok && mine.value.toString().includes('\0')).toBe(true);
  });

  it('answers a FIFO at once instead of waiting for a writer (a blocked open would time the test out)', async () => {
    const fifo = join(dir, 'qemu-ifup');
    execFileSync('mkfifo', [fifo]);
    const r = await host.readFile(fifo);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('not a regular file');
  });

  it('does not read a character device as a file', async () => {
    const r = await host.readFile('/dev/zero');
    expect(r.ok).toBe(false);
    const range = await host.readRange('/dev/zero', 0, 16);
    expect(range.ok).toBe(false);
  });

  it('gives the errno of a missing file and follows a symlink to a regular file', async () => {
    const missing = await host.readFile(join(dir, 'nope'));
    expect(!missing.ok && missing.code).toBe('ENOENT');
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'real'), 'allow br0\n');
    symlinkSync(join(dir, 'etc', 'real'), join(dir, 'etc', 'link'));
    const r = await host.readFile(join(dir, 'etc', 'link'));
    expect(r.ok && r.value.toString()).toBe('allow br0\n');
  });

  it('reads a byte range', async () => {
    writeFileSync(join(dir, 'range'), '0123456789');
    const r = await host.readRange(join(dir, 'range'), 3, 4);
    expect(r.ok && r.value.toString()).toBe('3456');
  });
});
