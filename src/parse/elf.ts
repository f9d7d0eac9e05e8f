// The dynamic section of an ELF executable: which shared libraries it needs
// (DT_NEEDED) and where it looks for them (DT_RUNPATH / DT_RPATH), read from a
// few byte ranges of the file, so a large binary is never read whole and never
// run. Only what the loader needs is decoded.

/** Reads `length` bytes at `offset`; undefined when the file cannot be read. */
export type RangeReader = (offset: number, length: number) => Promise<Buffer | undefined>;

export interface DynamicInfo {
  needed: string[];
  runpath: string[];
  /** The program interpreter (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2. */
  interp?: string;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
/** Sanity bounds: a dynamic section or string table larger than this is not one. */
const MAX_DYNAMIC = 64 * 1024;
const MAX_STRTAB = 4 * 1024 * 1024;

export class NotElf extends Error {}

/**
 * Parses the dynamic section. Throws NotElf for a file that is not a 64- or 32-bit
 * ELF; returns `needed: []` for a static executable (no PT_DYNAMIC).
 */
export async function readDynamic(read: RangeReader): Promise<DynamicInfo> {
  const ident = await read(0, 64);
  if (!ident || ident.length < 52 || ident.readUInt32BE(0) !== 0x7f454c46) throw new NotElf('not an ELF file');
  const is64 = ident[4] === 2;
  const le = ident[5] === 1;
  if (ident[4] !== 1 && ident[4] !== 2) throw new NotElf('unknown ELF class');
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const phoff = word(ident, is64 ? 32 : 28);
  const phentsize = u16(ident, is64 ? 54 : 42);
  const phnum = u16(ident, is64 ? 56 : 44);
  if (!phnum || phentsize < (is64 ? 56 : 32) || phnum > 512) throw new NotElf('no program headers');
  const ph = await read(phoff, phentsize * phnum);
  if (!ph || ph.length < phentsize * phnum) throw new NotElf('truncated program headers');

  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let dynamic: { offset: number; size: number } | undefined;
  let interp: { offset: number; size: number } | undefined;
  for (let i = 0; i < phnum; i++) {
    const b = i * phentsize;
    const type = u32(ph, b);
    const offset = word(ph, b + (is64 ? 8 : 4));
    const vaddr = word(ph, b + (is64 ? 16 : 8));
    const filesz = word(ph, b + (is64 ? 32 : 16));
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_DYNAMIC) dynamic = { offset, size: filesz };
    else if (type === PT_INTERP) interp = { offset, size: filesz };
  }
  const out: DynamicInfo = { needed: [], runpath: [] };
  if (interp && interp.size > 0 && interp.size < 4096) {
    const s = await read(interp.offset, interp.size);
    if (s) out.interp = s.toString('latin1').replace(/\0.*$/s, '');
  }
  if (!dynamic || dynamic.size > MAX_DYNAMIC) return out;
  const dyn = await read(dynamic.offset, dynamic.size);
  if (!dyn) throw new NotElf('unreadable dynamic section');
  const entSize = is64 ? 16 : 8;
  const entries: { tag: number; val: number }[] = [];
  for (let o = 0; o + entSize <= dyn.length; o += entSize) {
    const tag = word(dyn, o);
    if (tag === DT_NULL) break;
    entries.push({ tag, val: word(dyn, o + entSize / 2) });
  }
  const strtabAddr = entries.find((e) => e.tag === DT_STRTAB)?.val;
  const strsz = entries.find((e) => e.tag === DT_STRSZ)?.val;
  if (strtabAddr === undefined || strsz === undefined || strsz > MAX_STRTAB) return out;
  const seg = loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
  if (!seg) return out;
  const strtab = await read(seg.offset + (strtabAddr - seg.vaddr), strsz);
  if (!strtab) return out;
  const str = (off: number) => {
    const end = strtab.indexOf(0, off);
    return strtab.toString('latin1', off, end < 0 ? strtab.length : end);
  };
  for (const e of entries) {
    if (e.val >= strtab.length) continue;
    if (e.tag === DT_NEEDED) out.needed.push(str(e.val));
    else if (e.tag === DT_RUNPATH || e.tag === DT_RPATH) out.runpath.push(...str(e.val).split(':').filter(Boolean));
  }
  return out;
}
