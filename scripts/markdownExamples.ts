/** The fenced code blocks of markdown files, and their TypeScript examples. */

/** One fenced code block. */
export interface FencedBlock {
  /** The first word of the info string (```ts → 'ts'); '' when there is none. */
  readonly language: string;
  /** The rest of the info string, split on whitespace (```ts ignore → ['ignore']). */
  readonly flags: readonly string[];
  /** 0-based line of the opening fence, and of the closing one (the line count if the fence is never closed). */
  readonly openLine: number;
  readonly closeLine: number;
  /** 1-based line of the first code line. */
  readonly line: number;
  readonly code: string;
}

/** One fenced TypeScript block of a markdown file. */
export interface Example {
  /** The markdown file, as the caller named it. */
  readonly doc: string;
  /** 1-based line in `doc` of the block's first code line. */
  readonly line: number;
  readonly code: string;
  /** Marked `ignore` in its info string (```ts ignore): not to be checked. */
  readonly ignored: boolean;
}

const OPENING_FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * The fenced code blocks of `markdown`, fenced as CommonMark fences them: three or more backticks or tildes,
 * closed by a run of the same character at least as long. A fence left open runs to the end of the file.
 */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING_FENCE.exec(lines[i]!);
    if (open === null) continue;
    const fence = open[1]!;
    const infoString = open[2]!;
    // A backtick line whose info string holds a backtick is inline code, not a fence.
    if (fence[0] === '`' && infoString.includes('`')) continue;
    const closing = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !closing.test(lines[end]!)) end++;
    const [language = '', ...flags] = infoString.trim().split(/\s+/).filter(Boolean);
    blocks.push({ language, flags, openLine: i, closeLine: end, line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The TypeScript blocks (```ts or ```typescript) of `markdown`, the markdown file named `doc`. */
export function extractExamples(doc: string, markdown: string): Example[] {
  return fencedBlocks(markdown)
    .filter((block) => block.language === 'ts' || block.language === 'typescript')
    .map((block) => ({ doc, line: block.line, code: block.code, ignored: block.flags.includes('ignore') }));
}
