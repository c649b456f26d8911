import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/meta.ts';
import { consolePage } from '../../lib/console/page.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

const get = (path: string) => handler(apiEvent('GET', path), lambdaContext());

describe('the console pages served by the meta function', () => {
  it.each([
    ['/console', 'text/html'],
    ['/console/app.js', 'text/javascript'],
    ['/console/app.css', 'text/css'],
  ])('serves %s without a key, as %s, under a Content-Security-Policy of this origin only', async (path, type) => {
    const response = await get(path);
    expect(response.statusCode).toBe(200);
    expect(response.headers!['content-type']).toContain(type);
    const policy = String(response.headers!['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toMatch(/https?:/);
    expect(response.headers!['x-content-type-options']).toBe('nosniff');
  });

  it('has no inline script or style and loads nothing from another host (script, link, img)', async () => {
    const html = String((await get('/console')).body);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const references = [...html.matchAll(/<(script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"/g)].map((match) => match[2]!);
    expect(references.sort()).toEqual(['/console/app.css', '/console/app.js', 'data:,']);
    const script = String((await get('/console/app.js')).body);
    const css = String((await get('/console/app.css')).body);
    // The script builds no URL to another host and fetches only paths of this origin; the style imports nothing.
    expect(script).not.toMatch(/(?:src|href)\s*[:=]\s*['"]https?:/);
    expect(script).not.toMatch(/fetch\(\s*['"]https?:/);
    expect(css).not.toMatch(/url\(|@import|https?:/);
  });

  it('holds no secret: the page is the same for every caller and carries no key, token or credential', async () => {
    const html = String((await get('/console')).body);
    const script = String((await get('/console/app.js')).body);
    for (const text of [html, script]) {
      expect(text).not.toMatch(/imh_[A-Za-z0-9]{16}_/);
      expect(text).not.toMatch(/Bearer [A-Za-z0-9]/);
    }
    // The key typed in goes to sessionStorage (this tab) only, never to localStorage or a cookie.
    expect(script).not.toMatch(/localStorage\.setItem\(KEY_ITEM|document\.cookie/);
    expect(script).toContain('sessionStorage.setItem(KEY_ITEM');
  });

  it('serves a script that parses, small enough to load at once', async () => {
    const script = String((await get('/console/app.js')).body);
    expect(() => new Script(script)).not.toThrow();
    const bytes = Buffer.byteLength(script) + Buffer.byteLength(String((await get('/console/app.css')).body)) + Buffer.byteLength(String((await get('/console')).body));
    expect(bytes).toBeLessThan(200_000);
  });

  it('links the sandbox only to an http(s) URL, escaped into an attribute', () => {
    expect(consolePage({ sandboxUrl: 'http://127.0.0.1:8787/sandbox?a=1&b="x"' })).toContain('data-sandbox-url="http://127.0.0.1:8787/sandbox?a=1&amp;b=%22x%22"');
    expect(consolePage({ sandboxUrl: 'javascript:alert(1)' })).not.toContain('data-sandbox-url');
    expect(consolePage({})).not.toContain('data-sandbox-url');
  });
});
