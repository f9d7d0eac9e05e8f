// A snapshot carried inside a qnet report: the snapshot's JSON, gzip-compressed
// and base64-encoded in lines of 76 characters between BEGIN and END lines.
// Decoding is tolerant of what trackers, mail and copy-paste do to text: line
// ends (CRLF), re-wrapped or joined lines, indentation, quote marks (`> `) and
// extra spaces are ignored; the gzip checksum says whether the bytes survived.
// By hand: the lines between the markers | base64 -d | gunzip.
import { gunzipSync, gzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';

export const EMBED_BEGIN = '-----BEGIN QNET SNAPSHOT-----';
export const EMBED_END = '-----END QNET SNAPSHOT-----';

// Whitespace may be added or changed between the marker's words.
const BEGIN_RE = /-----\s*BEGIN\s+QNET\s+SNAPSHOT\s*-----/;
const END_RE = /-----\s*END\s+QNET\s+SNAPSHOT\s*-----/;

/** The snapshot text as a block of lines, BEGIN and END lines included. */
export function encodeEmbedded(json: string, width = 76): string[] {
  const b64 = gzipSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64');
  const lines = [EMBED_BEGIN];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  lines.push(EMBED_END);
  return lines;
}

/** Does this text hold the start of an embedded snapshot? */
export function hasEmbedded(text: string): boolean {
  return BEGIN_RE.test(text);
}

/** The JSON of the first snapshot embedded in `text`; UsageError with a one-line reason when it cannot be read. */
export function decodeEmbedded(text: string, name: string): string {
  const begin = BEGIN_RE.exec(text);
  if (!begin) throw new UsageError(`${name} holds no embedded qnet snapshot`);
  const rest = text.slice(begin.index + begin[0].length);
  const end = END_RE.exec(rest);
  if (!end) throw new UsageError(`the snapshot in ${name} is cut off (no END line): copy the whole block, from BEGIN to END`);
  // Everything that is not base64 is what the copy added (line ends, indentation, "> ").
  const b64 = rest.slice(0, end.index).replace(/[^A-Za-z0-9+/=]/g, '');
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new UsageError(`the snapshot in ${name} is damaged: it does not decode to gzip data`);
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (err) {
    throw new UsageError(`the snapshot in ${name} is damaged (${(err as Error).message}): copy the whole block again, or ask for the file qnet snapshot -o FILE writes`);
  }
}
