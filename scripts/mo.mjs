// Reads a GNU gettext .mo file into a Map(msgid -> msgstr). Plural forms keep
// their first singular/first translation; context-prefixed ids are skipped.
import { readFileSync } from 'node:fs';

export function readMo(path) {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0x950412de;
  if (!le && buf.readUInt32BE(0) !== 0x950412de) throw new Error(`${path}: not a .mo file`);
  const u32 = (off) => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const n = u32(8), origTab = u32(12), transTab = u32(16);
  const out = new Map();
  for (let i = 0; i < n; i++) {
    const ol = u32(origTab + i * 8), oo = u32(origTab + i * 8 + 4);
    const tl = u32(transTab + i * 8), to = u32(transTab + i * 8 + 4);
    const id = buf.toString('utf8', oo, oo + ol).split('\0')[0];
    const str = buf.toString('utf8', to, to + tl).split('\0')[0];
    if (!id || id.includes('\x04') || !str) continue;
    out.set(id, str);
  }
  return out;
}
