import { describe, expect, it } from 'vitest';
import { extractExamples } from '../scripts/markdownExamples.js';

const doc = (...lines: string[]) => lines.join('\n');

describe('extractExamples', () => {
  it('takes ts and typescript blocks with the line of their first code line, and nothing else', () => {
    const markdown = doc(
      '# title', // 1
      '```sh', // 2
      'npm test', // 3
      '```', // 4
      '```ts', // 5
      "import { RateLimiter } from 'sluice';", // 6
      '```', // 7
      'text', // 8
      '```typescript', // 9
      'const a = 1;', // 10
      'const b = 2;', // 11
      '```', // 12
      '```', // 13
      'RateLimit: "default";r=19;t=0', // 14
      '```', // 15
    );
    expect(extractExamples('README.md', markdown)).toEqual([
      { doc: 'README.md', line: 6, code: "import { RateLimiter } from 'sluice';", ignored: false },
      { doc: 'README.md', line: 10, code: 'const a = 1;\nconst b = 2;', ignored: false },
    ]);
  });

  it('marks a block whose info string says ignore', () => {
    const [example] = extractExamples('x.md', doc('```ts ignore', 'interface Partial {', '```'));
    expect(example).toMatchObject({ line: 2, code: 'interface Partial {', ignored: true });
  });

  it('closes a fence only with a run of the same character at least as long', () => {
    const markdown = doc('````ts', '```', '~~~', 'const inner = 1;', '```', '`````', 'after', '~~~ts', 'const t = 1;', '````', '~~~');
    expect(extractExamples('x.md', markdown).map((e) => e.code)).toEqual(['```\n~~~\nconst inner = 1;\n```', 'const t = 1;\n````']);
  });

  it('reads a backtick line with a backtick in its info string as text, and runs an unclosed fence to the end', () => {
    const markdown = doc('``` ts `inline` ```', '```ts', 'const open = 1;', '');
    expect(extractExamples('x.md', markdown)).toEqual([{ doc: 'x.md', line: 3, code: 'const open = 1;\n', ignored: false }]);
  });

  it('finds fences indented by up to three spaces, not four (an indented code block)', () => {
    expect(extractExamples('x.md', doc('   ```ts', 'const a = 1;', '   ```', '    ```ts', '    const b = 2;', '    ```'))).toHaveLength(1);
  });
});
