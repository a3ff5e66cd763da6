// The docs cannot go stale unnoticed: the README stays short, docs/api.md names every export of
// every entry point, every relative link and anchor resolves, docs/benchmark.md is what the bench
// renders from the committed results, and no date or issue number sits in the prose.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

const README_LIMIT = 10240;
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Source text without comments, so that an example in a comment is not taken for an export. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The module a relative specifier names: `./x.js` is `./x.ts` beside `from`. */
function resolveModule(from: string, specifier: string): string {
  return path.join(path.dirname(from), specifier.replace(/\.js$/, '.ts'));
}

const readSource = (file: string) => readFileSync(file, 'utf8');

/**
 * The names a module exports: `export { a, b as c }` (with or without `from`, `type` or not),
 * `export function|class|const|let|var|interface|type|enum NAME`, and `export * from` (followed
 * into the module it names). `as` renames give the new name.
 */
function exportedNames(file: string, readText = readSource): string[] {
  const source = withoutComments(readText(file));
  const names = new Set<string>();
  for (const m of source.matchAll(/\bexport\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of m[1]!.split(',')) {
      const words = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/);
      const name = words.at(-1)!.trim();
      if (name) names.add(name);
    }
  }
  const declaration =
    /\bexport\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\s*\*?|class|const\s+enum|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g;
  for (const m of source.matchAll(declaration)) names.add(m[1]!);
  for (const m of source.matchAll(/\bexport\s+\*\s+as\s+([A-Za-z_$][\w$]*)\s+from/g)) names.add(m[1]!);
  for (const m of source.matchAll(/\bexport\s+\*\s+from\s+['"]([^'"]+)['"]/g)) {
    for (const name of exportedNames(resolveModule(file, m[1]!), readText)) names.add(name);
  }
  return [...names].sort();
}

/** The source file behind an entry of package.json's exports map: ./dist/X.js is ./src/X.ts. */
function entrySource(entry: string): string {
  type Target = string | { import?: string; default?: string };
  const pkg = JSON.parse(read('package.json')) as { exports: Record<string, Target> };
  const conditions = pkg.exports[entry];
  const target = typeof conditions === 'string' ? conditions : (conditions?.import ?? conditions?.default);
  if (!target) throw new Error(`package.json exports no ${entry}`);
  if (!/^\.\/dist\/.+\.js$/.test(target)) throw new Error(`${entry} points at ${target}, not ./dist/....js`);
  return path.join(ROOT, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

/** Markdown without fenced code blocks (their lines blanked, so line numbers stay). */
function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

const headings = (markdown: string) => [...prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]!);

const decode = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * The names a heading documents: its first word (`snapshot` in `snapshot(options?) → ...`) and
 * every identifier inside its code spans (`SocketOwner` in "#### `SocketOwner`").
 */
function documentedNames(heading: string): string[] {
  const names = [/^(?:class\s+)?([A-Za-z_$][\w$]*)/.exec(decode(heading))?.[1]];
  for (const m of heading.matchAll(/`([^`]+)`/g)) names.push(...(m[1]!.match(/[A-Za-z_$][\w$]*/g) ?? []));
  return names.filter((n): n is string => n !== undefined);
}

/**
 * GitHub's anchor for a heading: its rendered text (links as their text, HTML tags dropped,
 * entities decoded) lowercased, punctuation dropped, spaces made hyphens.
 */
function slug(heading: string): string {
  const text = decode(heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]*>/g, '').replace(/`/g, ''));
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor of a markdown file, numbered as GitHub numbers repeated headings. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings(markdown)) {
    const base = slug(h);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets of a markdown file's prose (inline code left out): `[text](target)` and images. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

const DATE = /\b\d{4}-\d{2}-\d{2}\b/g;
const ISSUE = /\bissues?\s+#?\d+|(?:^|[^\w&])#\d+\b/gim;

describe('the export parser', () => {
  const files: Record<string, string> = {
    '/m/index.ts': [
      "export { plain, original as Renamed } from './a.js';",
      "export type { Shape, Base as Alias } from './b.js';",
      "export { type Options } from './c.js';",
      'export async function run() {}',
      'export function* helper() {}',
      'export class TheClass {}',
      'export const VALUE = 1;',
      'export interface Kind {}',
      "export * from './more.js';",
      "export * as inner from './c.js';",
      '// export function commented() {}',
      '/* export const hidden = 2; */',
      'const local = 3;',
    ].join('\n'),
    '/m/more.ts': 'export type Starred = number;\nexport { local as starred };',
  };
  const fake = (file: string) => files[file] ?? '';

  it('reads braces with renames and types, declarations and export *', () => {
    expect(exportedNames('/m/index.ts', fake)).toEqual([
      'Alias', 'Kind', 'Options', 'Renamed', 'Shape', 'Starred', 'TheClass', 'VALUE', 'helper', 'inner', 'plain', 'run', 'starred',
    ]);
  });
});

describe('README.md', () => {
  it(`is at most ${README_LIMIT} bytes`, () => {
    expect(statSync(path.join(ROOT, 'README.md')).size).toBeLessThanOrEqual(README_LIMIT);
  });

  it('keeps the two set-up commands', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
  });
});

describe('docs/api.md', () => {
  const documented = new Set(headings(read('docs/api.md')).flatMap(documentedNames));

  /** Every code entry of package.json's exports, with one export each must have (a check that the parse found it). */
  const KNOWN: Record<string, string> = { '.': 'snapshot', './prometheus': 'registerSockscopeMetrics', './otel': 'observeSockets' };
  const entries = Object.keys((JSON.parse(read('package.json')) as { exports: object }).exports).filter((e) => e !== './package.json');

  it('knows every entry of package.json\'s exports', () => {
    expect(entries).toEqual(Object.keys(KNOWN));
  });

  it.each(entries)('names every export of the %s entry in a heading', (entry) => {
    const known = KNOWN[entry]!;
    const file = entrySource(entry);
    expect(existsSync(file), `${file} (from package.json's exports)`).toBe(true);
    const names = exportedNames(file);
    expect(names).toContain(known);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });
});

describe.each(DOCS)('%s', (doc) => {
  const text = read(doc);

  it('links only to files and anchors that exist', () => {
    const broken: string[] = [];
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file ? path.resolve(path.dirname(path.join(ROOT, doc)), decodeURIComponent(file)) : path.join(ROOT, doc);
      if (!existsSync(resolved)) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${target}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('holds no issue numbers', () => {
    expect(prose(text).match(ISSUE) ?? []).toEqual([]);
  });

  if (doc === 'docs/benchmark.md') {
    it('dates one run only', () => {
      expect(new Set(text.match(DATE))).toHaveProperty('size', 1);
    });
  } else {
    it('holds no dates', () => {
      expect(text.match(DATE) ?? []).toEqual([]);
    });
  }
});

describe('docs/benchmark.md', () => {
  it('is what the bench renders from bench/results/latest.json', async () => {
    const page: string = new URL('../../bench/report/benchmark-doc.mjs', import.meta.url).href;
    const { renderBenchmarkDoc } = await import(page);
    const results = JSON.parse(read('bench/results/latest.json'));
    expect(read('docs/benchmark.md')).toBe(renderBenchmarkDoc(results));
  });
});
