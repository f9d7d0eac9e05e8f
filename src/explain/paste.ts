// Reads a multi-line paste in the wizard: everything up to an empty line or
// Ctrl-D (end of input). Terminals deliver a paste line by line, so a single
// line prompt would keep only its first line.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Lines kept at most (a whole journal pasted by mistake stops here). */
const MAX_LINES = 20000;

export async function readPaste(input: Readable, output: Writable): Promise<string> {
  output.write('Paste the error message, the log, or describe the problem; end with an empty line or Ctrl-D:\n');
  const rl = createInterface({ input, terminal: false });
  const lines: string[] = [];
  try {
    for await (const line of rl) {
      if (!line.trim() && lines.length) break;
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length >= MAX_LINES) break;
    }
  } finally {
    rl.close();
  }
  return lines.join('\n');
}
