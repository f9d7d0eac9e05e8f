// Reads Markdown the way GitHub does (CommonMark + GFM tables, task lists, strikethrough,
// autolinks, footnotes) and lists what a report test asks about: tables with their cell
// text, <details> blocks with their summary and what they hold, fenced code blocks.
//
//   const tree = parseGfm(md);
//   tables(tree)[0].rows        → [['✔', 'tun-perms', '…'], …]
//   detailsBlocks(tree)         → [{ summary: 'Snapshot', closed: true, children: [code…] }]
//   codeBlocks(tree)            → [{ lang: 'mermaid', value: 'flowchart LR…' }]
import type { Code, Html, Nodes, Parent, Root, RootContent, Table } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

export function parseGfm(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
}

/** The text a reader sees in a node: text, inline code and code values, without markup. */
export function textOf(node: Nodes): string {
  if ('value' in node && node.type !== 'html') return node.value;
  if (node.type === 'break') return '\n';
  if ('children' in node) return (node.children as Nodes[]).map(textOf).join('');
  return '';
}

function walk(node: Nodes, visit: (n: Nodes, parent: Parent | undefined) => void, parent?: Parent): void {
  visit(node, parent);
  if ('children' in node) for (const c of node.children as Nodes[]) walk(c, visit, node as Parent);
}

export interface GfmTable {
  header: string[];
  /** Body rows as GitHub shows them: cut or padded to the header's width. */
  rows: string[][];
  /** Cells each body row has in the source: more than the header means an unescaped |. */
  cellCounts: number[];
  align: Table['align'];
  /** Line of the header row in the source, 1-based. */
  line: number;
  node: Table;
}

/** Every table, header and body cells as text (an escaped \| in a cell is a literal |). */
export function tables(tree: Root): GfmTable[] {
  const out: GfmTable[] = [];
  walk(tree, (n) => {
    if (n.type !== 'table') return;
    const [head = [], ...body] = n.children.map((row) => row.children.map((cell) => textOf(cell).trim()));
    // GFM: missing cells are empty, excess cells are ignored.
    const rows = body.map((r) => Array.from({ length: head.length }, (_, i) => r[i] ?? ''));
    out.push({ header: head, rows, cellCounts: body.map((r) => r.length), align: n.align, line: n.position?.start.line ?? 0, node: n });
  });
  return out;
}

export interface CodeBlock {
  lang: string | null;
  meta: string | null;
  value: string;
  line: number;
}

/** Every fenced or indented code block. */
export function codeBlocks(tree: Root): CodeBlock[] {
  const out: CodeBlock[] = [];
  walk(tree, (n) => {
    if (n.type === 'code') out.push({ lang: (n as Code).lang ?? null, meta: (n as Code).meta ?? null, value: n.value, line: n.position?.start.line ?? 0 });
  });
  return out;
}

export interface DetailsBlock {
  /** Text of <summary>, tags stripped; '' when there is none. */
  summary: string;
  open: boolean;
  /** A matching </details> was found among the following siblings. */
  closed: boolean;
  /**
   * The Markdown nodes between <details> and </details> (nested blocks' too; their HTML is in
   * `html`): parsed as Markdown only when a
   * blank line follows the opening HTML (as GitHub needs too); otherwise the content is in
   * `html`, raw.
   */
  children: RootContent[];
  /** The HTML of the opening and closing blocks, and any raw content inside them. */
  html: string;
  line: number;
  /** How many <details> enclose this one. */
  depth: number;
}

const TAG = /<details\b[^>]*>|<\/details\s*>/gi;

/** Every <details> block, nested ones too, in document order of their opening tag. */
export function detailsBlocks(tree: Root): DetailsBlock[] {
  const all: DetailsBlock[] = [];
  walk(tree, (n) => {
    if (!('children' in n)) return;
    // Each parent is its own scope: a <details> opened in a list item closes there.
    const stack: DetailsBlock[] = [];
    for (const child of n.children as RootContent[]) {
      if (child.type !== 'html') {
        for (const b of stack) b.children.push(child);
        continue;
      }
      const value = (child as Html).value;
      let at = 0;
      for (const m of value.matchAll(TAG)) {
        const piece = value.slice(at, m.index);
        for (const b of stack) b.html += piece;
        at = m.index + m[0].length;
        if (m[0][1] === '/') {
          const b = stack.pop();
          if (b) {
            b.html += m[0];
            b.closed = true;
          }
          for (const o of stack) o.html += m[0];
          continue;
        }
        const rest = value.slice(at);
        const summary = /^\s*<summary\b[^>]*>([\s\S]*?)<\/summary\s*>/i.exec(rest);
        const b: DetailsBlock = {
          summary: summary ? summary[1]!.replace(/<[^>]*>/g, '').trim() : '',
          open: /\sopen(\s|=|>|\/)/i.test(m[0]),
          closed: false,
          children: [],
          html: m[0],
          line: (child.position?.start.line ?? 0) + value.slice(0, m.index).split('\n').length - 1,
          depth: stack.length,
        };
        for (const o of stack) o.html += m[0];
        stack.push(b);
        all.push(b);
      }
      for (const b of stack) b.html += value.slice(at);
    }
  });
  return all.sort((a, b) => a.line - b.line);
}

/** Headings as [depth, text], for finding sections. */
export function headings(tree: Root): [number, string][] {
  const out: [number, string][] = [];
  walk(tree, (n) => {
    if (n.type === 'heading') out.push([n.depth, textOf(n)]);
  });
  return out;
}
