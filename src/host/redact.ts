// Secrets never go into a snapshot: Wi-Fi keys and passwords in NetworkManager
// keyfiles, netplan and ifupdown files are replaced before the file is written.
// The checks read none of these values, so replay gives the same results.
import { isVmProcess } from '../parse/qemu-cmdline.js';
import type { ReadRecord } from './record.js';

const SECRET_KEY = /^([ \t]*)([\w.-]*(psk|password|passwd|secret|wep-key\d?|private-key|pin)[\w.-]*)([ \t]*[=:][ \t]*|[ \t]+)(\S.*)$/gim;

export function redactText(body: string): string {
  return body.replace(SECRET_KEY, (_m, lead: string, key: string, _k: string, sep: string) => `${lead}${key}${sep}REDACTED`);
}

/**
 * Other people's command lines can hold passwords: a snapshot keeps only those
 * of VM processes (what the checks look at) and blanks the rest, which the
 * checks then skip exactly as they skipped them live.
 */
export function redactReads(reads: Record<string, ReadRecord>): Record<string, ReadRecord> {
  const out: Record<string, ReadRecord> = {};
  for (const [key, rec] of Object.entries(reads)) {
    if (rec.ok && ('text' in rec || 'base64' in rec) && /^file \/proc\/\d+\/cmdline$/.test(key)) {
      // A command line holds NUL separators, so it is recorded as base64.
      const body = 'text' in rec ? rec.text : Buffer.from(rec.base64, 'base64').toString('utf8');
      out[key] = isVmProcess(body.split('\0').filter(Boolean)) ? rec : { ok: true, text: '' };
    } else out[key] = rec.ok && 'text' in rec && key.startsWith('file /etc/') ? { ok: true, text: redactText(rec.text) } : rec;
  }
  return out;
}
