import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The READMEs and docs/ hold together: every relative link reaches a file and, with a `#`, a heading
 * in it; every picture is one `npm run screenshots` makes; the two READMEs link each other and keep
 * the test command CI runs.
 */
const root = join(import.meta.dirname, '..', '..');
const markdown = ['README.md', 'README.zh-CN.md', ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('.md')).map((path) => join('docs', path))];
const withoutCode = (text: string) => text.replace(/```[\s\S]*?```/g, '');
/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replaceAll(' ', '-');
const anchorsOf = (path: string) => new Set([...withoutCode(readFileSync(join(root, path), 'utf8')).matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1]!)));
const screenshotScript = readFileSync(join(root, 'scripts', 'screenshots.ts'), 'utf8');

describe('the READMEs and docs/', () => {
  it.each(markdown)('%s: every relative link reaches its file and heading', (path) => {
    const broken: string[] = [];
    for (const [, link] of withoutCode(readFileSync(join(root, path), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(link!) || link === '…') continue;
      const [file, anchor] = link!.split('#') as [string, string | undefined];
      const target = file ? normalize(join(dirname(path), file)) : path;
      if (target.startsWith(join('docs', 'images'))) {
        // Made by `npm run screenshots`, and re-made whenever the pages change.
        if (!screenshotScript.includes(`'${relative(join('docs', 'images'), target)}'`)) broken.push(`${link} (no script makes it)`);
        continue;
      }
      if (!existsSync(join(root, target))) broken.push(link!);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${link} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });

  it('has the two READMEs link each other and keep the test command CI runs', () => {
    const english = readFileSync(join(root, 'README.md'), 'utf8');
    const chinese = readFileSync(join(root, 'README.zh-CN.md'), 'utf8');
    expect(english.split('\n').slice(0, 4).join('\n')).toContain('](README.zh-CN.md)');
    expect(chinese.split('\n').slice(0, 4).join('\n')).toContain('](README.md)');
    for (const readme of [english, chinese]) {
      expect(readme).toContain('npm ci && npm test');
      expect(readme).toContain('npm ci && npm start');
    }
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).toMatch(/^npm ci && npm test$/m);
  });

  it('names the same licence in LICENSE and package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });
});
