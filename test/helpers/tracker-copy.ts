/**
 * Text as a tracker, a mail client or a copy from a web page may give it back: every
 * line cut at 80 columns, CRLF line ends, indentation and trailing spaces, tabs, a
 * quote mark on some lines, blank lines at the end.
 */
export function trackerCopy(md: string): string {
  const out: string[] = [];
  for (const line of md.split('\n')) {
    if (line.length <= 80) out.push(line);
    else for (let i = 0; i < line.length; i += 80) out.push(line.slice(i, i + 80));
  }
  return out.map((l, i) => (i % 3 === 0 ? `  ${l}   ` : i % 3 === 1 ? `> ${l}\t` : l)).join('\r\n') + '\r\n\r\n';
}
