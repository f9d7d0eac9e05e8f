// The wizard's paste reader: lines until an empty line, or until Ctrl-D (end of input).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readPaste } from '../../src/explain/paste.js';

function feed(chunks: string[], end: boolean): PassThrough {
  const s = new PassThrough();
  for (const c of chunks) s.write(c);
  if (end) s.end();
  return s;
}

describe('readPaste', () => {
  it('stops at the first empty line after text (leading blank lines are skipped)', async () => {
    const out = new PassThrough();
    const text = await readPaste(feed(['\n', 'line one\nline two\n', '\nnot read\n'], false), out);
    expect(text).toBe('line one\nline two');
    expect(String(out.read())).toMatch(/empty line or Ctrl-D/);
  });

  it('takes everything when input ends (Ctrl-D) without an empty line', async () => {
    const text = await readPaste(feed(['a\nb\nc'], true), new PassThrough());
    expect(text).toBe('a\nb\nc');
  });

  it('an empty input gives an empty paste', async () => {
    expect(await readPaste(feed([], true), new PassThrough())).toBe('');
  });
});
