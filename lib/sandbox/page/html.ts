import { escapeHtml } from '../../html.ts';

/** HTML helpers of the sandbox page: escaping, the markdown the platforms accept, avatars. */

export const escape = escapeHtml;

/** A link a message carries, made safe: only http(s) targets are links, anything else stays text. */
export const link = (text: string, url: string) =>
  /^https?:\/\//i.test(url) ? `<a href="${escape(url)}" target="_blank" rel="noopener noreferrer">${escape(text)}</a>` : escape(text);

/** A value as text: strings as they are, anything else as compact JSON (never cut). */
const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value) ?? '');

/**
 * The markdown subset the four platforms' messages use, rendered safely (the text is escaped first,
 * then the few constructs are turned into tags): `#` headings, **bold**, *italic*, ~~strike~~,
 * `code`, [links](https://…), `>` quotes, `-`/`1.` lists, line breaks; WeCom's
 * `<font color="info|comment|warning">`, Feishu's `<at id=…></at>` and `<font color='red'>`,
 * DingTalk's and WeCom's `@id` and `<@id>` mentions. `nameOf` turns a platform user id into a name.
 */
export function markdown(source: unknown, nameOf: (id: string) => string = (id) => id): string {
  const lines = escape(asText(source)).split('\n');
  const html: string[] = [];
  let list: 'ul' | 'ol' | undefined;
  const close = () => {
    if (list) html.push(`</${list}>`);
    list = undefined;
  };
  for (const line of lines) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+\.\s+(.*)$/.exec(line);
    const quote = /^&gt;\s?(.*)$/.exec(line);
    if (bullet || numbered) {
      const kind = bullet ? 'ul' : 'ol';
      if (list !== kind) {
        close();
        html.push(`<${kind}>`);
        list = kind;
      }
      html.push(`<li>${inline((bullet ?? numbered)![1]!, nameOf)}</li>`);
      continue;
    }
    close();
    if (heading) html.push(`<p class="md-h${heading[1]!.length}">${inline(heading[2]!, nameOf)}</p>`);
    else if (quote) html.push(`<blockquote>${inline(quote[1]!, nameOf)}</blockquote>`);
    else if (/^(-{3,}|\*{3,})$/.test(line.trim())) html.push('<hr>');
    else if (line.trim() === '') html.push('<p class="gap"></p>');
    else html.push(`<p>${inline(line, nameOf)}</p>`);
  }
  close();
  return html.join('');
}

/** Inline constructs of one escaped line. */
function inline(line: string, nameOf: (id: string) => string): string {
  const unescape = (text: string) => text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  const colours: Record<string, string> = { info: 'green', comment: 'grey', warning: 'orange' };
  // [text](url): the url was escaped with the rest; unescaped to test and re-escaped by `link`. Each
  // link stands aside as a placeholder while the other constructs apply, so none reaches into its href.
  const links: string[] = [];
  const marked = line.replaceAll('\u0000', '').replace(/\[([^\]]*)\]\(([^)\s]+)\)/g, (_, text: string, url: string) => `\u0000${links.push(link(unescape(text), unescape(url))) - 1}\u0000`);
  return (
    marked
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
      .replace(/~~([^~]+)~~/g, '<s>$1</s>')
      .replace(/&lt;font color=(?:&quot;|&#39;)?(\w+)(?:&quot;|&#39;)?&gt;(.*?)&lt;\/font&gt;/g, (_, colour: string, text: string) => `<span class="font-${escape(colours[colour] ?? colour)}">${text}</span>`)
      .replace(/&lt;at (?:id|user_id)=(?:&quot;|&#39;)?([\w-]+)(?:&quot;|&#39;)?&gt;(?:[^&]*)&lt;\/at&gt;/g, (_, id: string) => `<span class="mention">@${escape(id === 'all' ? 'all' : nameOf(id))}</span>`)
      .replace(/&lt;@([\w-]+)&gt;/g, (_, id: string) => `<span class="mention">@${escape(nameOf(id))}</span>`)
      .replace(/\u0000(\d+)\u0000/g, (_, index: string) => links[Number(index)]!)
  );
}

/** Plain text with its line breaks kept. */
export const plain = (text: unknown) => escape(asText(text)).replace(/\n/g, '<br>');

/** A person's avatar without images: initials on a colour picked from the name (DingTalk shows a name's last two characters). */
export function avatar(name: string, style: 'round' | 'square' | 'dingtalk' = 'round'): string {
  const palette = ['#3370ff', '#00b386', '#ff7d00', '#7f3bf5', '#f54a45', '#1aa9a0', '#d136a0', '#4e6ef2'];
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  const chars = [...name.replace(/@.*$/, '')];
  // DingTalk writes a Chinese name's last two characters (张小明 → 小明), a Latin name's first two.
  const cjk = /\p{Script=Han}/u.test(name);
  const label = style !== 'dingtalk' ? (chars[0] ?? '?').toUpperCase() : cjk ? chars.slice(-2).join('') : `${(chars[0] ?? '?').toUpperCase()}${chars[1] ?? ''}`;
  return `<span class="avatar ${style}" style="background:${palette[hash % palette.length]}" aria-hidden="true">${escape(label)}</span>`;
}

/** "14:05:09" in the viewer's sense of the local machine's clock: the sandbox runs on the user's own computer. */
export const clock = (at: number) => new Date(at).toTimeString().slice(0, 8);

/** A short readable summary of a shape the page does not know, with the whole JSON one click away (never cut). */
export function unknownShape(what: string, value: unknown): string {
  const keys = value && typeof value === 'object' ? Object.keys(value).slice(0, 8).join(', ') : typeof value;
  return `<div class="unknown"><p>${escape(what)} <span class="muted">(the sandbox does not draw this kind; fields: ${escape(keys)})</span></p><details><summary>Show the JSON</summary><pre>${escape(JSON.stringify(value, null, 2))}</pre></details></div>`;
}
