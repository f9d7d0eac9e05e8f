// A minimal ELF64 little-endian executable image for table tests: one PT_LOAD
// covering the file, an optional PT_INTERP, and a PT_DYNAMIC with DT_NEEDED,
// DT_RUNPATH, DT_STRTAB and DT_STRSZ, laid out as ld.so reads them.
export function elfWithNeeded(needed: string[], opts: { runpath?: string; interp?: string; bigEndian?: boolean } = {}): Buffer {
  const strings: string[] = ['', ...needed, ...(opts.runpath ? [opts.runpath] : [])];
  const offsets: number[] = [];
  let strtab = '';
  for (const s of strings) {
    offsets.push(Buffer.byteLength(strtab));
    strtab += `${s}\0`;
  }
  const interp = opts.interp ? `${opts.interp}\0` : '';
  const ehdr = 64;
  const phnum = opts.interp ? 3 : 2;
  const phoff = ehdr;
  const interpOff = phoff + phnum * 56;
  const strOff = interpOff + Buffer.byteLength(interp);
  const dynOff = Math.ceil((strOff + Buffer.byteLength(strtab)) / 8) * 8;
  const dyn: [number, number][] = [
    ...needed.map((_, i) => [1, offsets[i + 1]!] as [number, number]),
    ...(opts.runpath ? [[29, offsets[needed.length + 1]!] as [number, number]] : []),
    [5, 0x400000 + strOff],
    [10, Buffer.byteLength(strtab)],
    [0, 0],
  ];
  const size = dynOff + dyn.length * 16;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little endian
  b[6] = 1;
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(62, 18); // x86-64
  b.writeBigUInt64LE(BigInt(phoff), 32);
  b.writeUInt16LE(ehdr, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(phnum, 56);
  const ph = (i: number, type: number, off: number, filesz: number) => {
    const o = phoff + i * 56;
    b.writeUInt32LE(type, o);
    b.writeBigUInt64LE(BigInt(off), o + 8);
    b.writeBigUInt64LE(BigInt(0x400000 + off), o + 16);
    b.writeBigUInt64LE(BigInt(0x400000 + off), o + 24);
    b.writeBigUInt64LE(BigInt(filesz), o + 32);
    b.writeBigUInt64LE(BigInt(filesz), o + 40);
  };
  ph(0, 1, 0, size);
  ph(1, 2, dynOff, dyn.length * 16);
  if (opts.interp) ph(2, 3, interpOff, Buffer.byteLength(interp));
  b.write(interp, interpOff, 'latin1');
  b.write(strtab, strOff, 'latin1');
  dyn.forEach(([tag, val], i) => {
    b.writeBigUInt64LE(BigInt(tag), dynOff + i * 16);
    b.writeBigUInt64LE(BigInt(val), dynOff + i * 16 + 8);
  });
  return b;
}
