// The ELF reader against binutils' readelf on real binaries of this machine,
// and against images built by the test.
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NotElf, readDynamic } from '../../src/parse/elf.js';
import { elfWithNeeded } from '../helpers/elf.js';

const fileReader = (path: string) => async (off: number, len: number) => {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(len);
    const n = readSync(fd, b, 0, len, off);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
};
const bufReader = (b: Buffer) => async (off: number, len: number) => b.subarray(off, off + len);

const readelf = spawnSync('sh', ['-c', 'command -v readelf']).status === 0;
const real = ['/usr/bin/qemu-system-x86_64', '/usr/sbin/ip', '/bin/ls'].filter((p) => existsSync(p));

describe('readDynamic', () => {
  it('reads DT_NEEDED, DT_RUNPATH and PT_INTERP of a built image', async () => {
    const d = await readDynamic(bufReader(elfWithNeeded(['libslirp.so.0', 'libc.so.6'], { runpath: '$ORIGIN/../lib:/opt/x', interp: '/lib64/ld-linux-x86-64.so.2' })));
    expect(d).toEqual({ needed: ['libslirp.so.0', 'libc.so.6'], runpath: ['$ORIGIN/../lib', '/opt/x'], interp: '/lib64/ld-linux-x86-64.so.2' });
  });
  it('refuses what is not ELF', async () => {
    await expect(readDynamic(bufReader(Buffer.from('#!/bin/sh\necho hi\n')))).rejects.toBeInstanceOf(NotElf);
    await expect(readDynamic(bufReader(Buffer.alloc(0)))).rejects.toBeInstanceOf(NotElf);
  });
  it('survives a truncated image without reading out of bounds', async () => {
    const img = elfWithNeeded(['libc.so.6']);
    await expect(readDynamic(bufReader(img.subarray(0, 100)))).rejects.toBeInstanceOf(NotElf);
  });
  for (const path of real) {
    it.skipIf(!readelf)(`agrees with readelf -d on ${path}${readelf ? '' : ' (readelf not installed: binutils)'}`, async () => {
      const want = [...spawnSync('readelf', ['-dW', path], { encoding: 'utf8' }).stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
      expect((await readDynamic(fileReader(path))).needed).toEqual(want);
    });
  }
});
