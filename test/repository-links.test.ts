import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

// A reader of this repository must find every document it is sent to inside the repository: no file may
// name a document kept elsewhere (the design notes, the HTTP contract and the machine measurements live in
// docs/), point at a path outside the checkout, or link to a file or heading that does not exist.

const repoRoot = path.resolve(__dirname, '..');
const selfPath = path.relative(repoRoot, __filename).split(path.sep).join('/');

/** One broken reference: where it is and what is wrong with it. */
interface Finding {
  file: string;
  line: number;
  problem: string;
}

/**
 * Names of documents that only ever existed outside this repository. `docs/api.md`, `docs/design.md` and
 * `docs/measurements.md` hold what they used to.
 */
const OUTSIDE_DOCUMENTS = /\b(?:API|DESIGN|ENVIRONMENT|STYLE)\.md\b/;
/** Absolute paths of a development machine, and the team's notes folder next to the checkout. */
const OUTSIDE_PATHS = /(?:^|[\s'"`(=])\/work\/|\bshared\/research\b|(?:^|[\s'"`(])research\/[\w-]+\.md\b/;

/** Strips fenced code blocks (kept as blank lines so line numbers stay right) and inline code spans. */
function proseOf(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`[^`]*`/g, '');
    })
    .join('\n');
}

/** The anchors GitHub generates for a Markdown file's headings, plus explicit `<a id>`/`<a name>` ones. */
function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      // GitHub slugs the rendered text: no link targets, emphasis or code markers.
      const text = heading[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
      anchors.add(slugger.slug(text));
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) if (m[1]) anchors.add(m[1]);
  }
  return anchors;
}

/**
 * Checks a set of files (path relative to the repository root → content) and returns every reference to
 * something that is not in that set. `exists` answers for paths (files or folders) relative to the root.
 */
function findBrokenReferences(
  files: ReadonlyMap<string, string>,
  exists: (relativePath: string) => boolean,
): Finding[] {
  const findings: Finding[] = [];
  for (const [file, content] of files) {
    // This file spells the forbidden names out in its own examples.
    const lines = file === selfPath ? [] : content.split('\n');
    lines.forEach((text, i) => {
      const outside = OUTSIDE_DOCUMENTS.exec(text) ?? OUTSIDE_PATHS.exec(text);
      if (outside)
        findings.push({ file, line: i + 1, problem: `names "${outside[0].trim()}", not in the repository` });
    });
    if (!file.endsWith('.md')) continue;
    const prose = proseOf(content).split('\n');
    prose.forEach((text, i) => {
      for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and other schemes
        const [rawPath = '', fragment] = target.split('#', 2);
        const linked =
          rawPath === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), rawPath));
        const where = { file, line: i + 1 };
        if (linked.startsWith('..') || path.posix.isAbsolute(linked)) {
          findings.push({ ...where, problem: `links "${target}", outside the repository` });
          continue;
        }
        const present = files.has(linked) || exists(linked.replace(/\/$/, ''));
        if (!present) {
          findings.push({ ...where, problem: `links "${target}": no file ${linked}` });
          continue;
        }
        if (fragment !== undefined && linked.endsWith('.md')) {
          const linkedContent = files.get(linked);
          if (linkedContent !== undefined && !anchorsOf(linkedContent).has(fragment)) {
            findings.push({ ...where, problem: `links "${target}": ${linked} has no heading #${fragment}` });
          }
        }
      }
    });
  }
  return findings;
}

/** Every tracked text file of the repository (binary files, with a NUL byte, are left out). */
function trackedTextFiles(): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const files = new Map<string, string>();
  for (const file of listed.split('\0')) {
    if (file === '' || file === 'package-lock.json') continue;
    const full = path.join(repoRoot, file);
    if (!fs.existsSync(full)) continue; // deleted in the working tree, not yet committed
    const content = fs.readFileSync(full);
    if (content.includes(0)) continue;
    files.set(file, content.toString('utf8'));
  }
  return files;
}

const existsInRepo = (relativePath: string) => fs.existsSync(path.join(repoRoot, relativePath));

describe('references in the repository', () => {
  it('when every tracked text file is read, then none names a document or path outside the repository', () => {
    const files = trackedTextFiles();
    expect(files.size).toBeGreaterThan(100);
    const findings = findBrokenReferences(files, existsInRepo).map((f) => `${f.file}:${f.line} ${f.problem}`);
    expect(findings).toEqual([]);
  });

  it('when a file names a document kept outside the repository, then it is reported', () => {
    // The planted names are put together at run time, so this file itself points no reader outside.
    const doc = (name: string) => `${name}.md`;
    const files = new Map([
      ['src/a.ts', `// The only place this reads the environment (${doc('STYLE')} 4).`],
      ['src/b.ts', `/** The body limit of ${doc('API')}. */`],
      ['src/c.ts', `// see ${['', 'work', 'shared', 'research', doc('aesthetics')].join('/')}`],
      ['src/d.ts', `// measured in ${doc('ENVIRONMENT')}`],
    ]);
    expect(findBrokenReferences(files, () => false).map((f) => f.file)).toEqual([
      'src/a.ts',
      'src/b.ts',
      'src/c.ts',
      'src/d.ts',
    ]);
  });

  // A link that climbs out of the repository, put together at run time (see above).
  const OUTSIDE_LINK = ['..', 'outside-docs', 'contract.txt'].join('/');

  it('when a Markdown link points at a missing file, a missing heading or outside the repository, then it is reported', () => {
    const files = new Map([
      ['docs/api.md', "# The HTTP contract\n\n## Errors\n\n## The local stack's ready line\n"],
      [
        'README.md',
        [
          '[ok](docs/api.md#errors) [ok](docs/api.md#the-local-stacks-ready-line) [ok](#intro) [ok](https://example.com/x.md)',
          '# Intro',
          '[missing heading](docs/api.md#contract)',
          '[missing file](docs/nope.md)',
          `[outside](${OUTSIDE_LINK})`,
          '[missing local heading](#nowhere)',
          '```',
          '[in a code block](docs/ignored.md)',
          '```',
        ].join('\n'),
      ],
    ]);
    expect(findBrokenReferences(files, () => false)).toEqual([
      {
        file: 'README.md',
        line: 3,
        problem: 'links "docs/api.md#contract": docs/api.md has no heading #contract',
      },
      { file: 'README.md', line: 4, problem: 'links "docs/nope.md": no file docs/nope.md' },
      { file: 'README.md', line: 5, problem: `links "${OUTSIDE_LINK}", outside the repository` },
      { file: 'README.md', line: 6, problem: 'links "#nowhere": README.md has no heading #nowhere' },
    ]);
  });
});
