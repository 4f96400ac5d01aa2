/** What markdown text points at: its links, the anchors its headings give, the npm scripts it names. */
import { fencedBlocks } from './markdownExamples.js';

/** A link or image target in a markdown file's prose, at its 1-based line. */
export interface Link {
  readonly line: number;
  readonly target: string;
}

const INLINE_LINK = /\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)/;
const INLINE_CODE = /(`+)[^`]*?\1/g;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const HTML_ANCHOR = /<a\s[^>]*(?:id|name)=["']([^"']+)["']/gi;
const NPM_RUN = /\bnpm run(?:-script)?\s+([\w:.-]+)/g;

/** Each line of `markdown` outside fenced code blocks, with its 1-based number. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const lines = markdown.split(/\r?\n/);
  const inFence = new Set<number>();
  for (const block of fencedBlocks(markdown)) for (let i = block.openLine; i <= block.closeLine; i++) inFence.add(i);
  return lines.flatMap((text, i) => (inFence.has(i) ? [] : [{ line: i + 1, text }]));
}

/** The targets of the inline links, images and link reference definitions of `markdown`'s prose. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const definition = REFERENCE_DEFINITION.exec(text);
    if (definition !== null) links.push({ line, target: definition[1]! });
    for (const match of text.replace(INLINE_CODE, '').matchAll(INLINE_LINK)) links.push({ line, target: match[1]! });
  }
  return links;
}

/**
 * The anchor GitHub gives a heading: its text as rendered (code, links and emphasis marks dropped),
 * lower-cased, without punctuation, spaces as hyphens.
 */
export function headingSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return rendered.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of `markdown`: one per heading (a repeated one as slug-1, slug-2...), and HTML `id`/`name` anchors. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = HEADING.exec(text);
    if (heading !== null) {
      const slug = headingSlug(heading[2]!);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of text.matchAll(HTML_ANCHOR)) anchors.add(match[1]!);
  }
  return anchors;
}

/** The npm scripts `markdown` tells the reader to run (`npm run <name>`, in prose or code), at their 1-based lines. */
export function npmScriptsNamed(markdown: string): { line: number; name: string }[] {
  return markdown.split(/\r?\n/).flatMap((text, i) => [...text.matchAll(NPM_RUN)].map((match) => ({ line: i + 1, name: match[1]! })));
}
