/** The TypeScript examples of markdown files: fenced code blocks whose language is `ts` or `typescript`. */

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
 * The TypeScript blocks of `markdown`, fenced as CommonMark fences them: three or more backticks or tildes,
 * closed by a run of the same character at least as long. A fence left open runs to the end of the file.
 */
export function extractExamples(doc: string, markdown: string): Example[] {
  const lines = markdown.split(/\r?\n/);
  const examples: Example[] = [];
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
    const [language, ...flags] = infoString.trim().split(/\s+/);
    if (language === 'ts' || language === 'typescript') {
      examples.push({ doc, line: i + 2, code: lines.slice(i + 1, end).join('\n'), ignored: flags.includes('ignore') });
    }
    i = end;
  }
  return examples;
}
