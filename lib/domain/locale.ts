import * as z from 'zod';
import type { Provider } from './integration.ts';

/**
 * The language and time zone of what imhub writes on a platform, pure. An integration has both
 * (defaults below), and an approval or a notification may override them.
 */
export const locales = ['zh-CN', 'en-US'] as const;
export type Locale = (typeof locales)[number];

/** Feishu, DingTalk and WeCom are used by teams in China; Lark is Feishu's international edition. */
export const defaultLocales: Record<Provider, Locale> = { feishu: 'zh-CN', lark: 'en-US', dingtalk: 'zh-CN', wecom: 'zh-CN' };
export const defaultTimeZone = 'Asia/Shanghai';

export const localeSchema = z.enum(locales, { error: `locale must be one of ${locales.join(', ')}` });

/** An IANA zone name ("Asia/Shanghai", "Europe/Berlin", "UTC") that this runtime knows; offsets such as "+08:00" are not zones. */
export const isTimeZone = (value: string): boolean => {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
};

export const timeZoneSchema = z
  .string({ error: 'timeZone must be a string such as Asia/Shanghai' })
  .max(64, 'timeZone must be at most 64 characters')
  .refine(isTimeZone, 'timeZone must be an IANA time zone such as Asia/Shanghai, Europe/Berlin or UTC');

/** What a record carries, or inherits when it has none (records stored before locales existed). */
export interface LocaleSettings {
  locale: Locale;
  timeZone: string;
}

/** The settings of an integration: its own, else its platform's default locale and Asia/Shanghai. */
export const integrationLocale = (integration: { provider: Provider; locale?: Locale | undefined; timeZone?: string | undefined }): LocaleSettings => ({
  locale: integration.locale ?? defaultLocales[integration.provider],
  timeZone: integration.timeZone ?? defaultTimeZone,
});

const numberParts = (instant: Date, timeZone: string) => {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((candidate) => candidate.type === type)?.value ?? '';
  // "GMT" alone is UTC itself.
  const offset = part('timeZoneName') === 'GMT' ? 'GMT+0' : part('timeZoneName');
  return { year: part('year'), month: Number(part('month')), day: Number(part('day')), hour: part('hour'), minute: part('minute'), offset };
};

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * A time as a reader of `locale` in `timeZone` reads it: `2026-12-01 18:30 (GMT+8)` in English,
 * `2026年12月1日 18:30` in Chinese (China's own offset, GMT+8, goes without saying; any other is
 * shown: `2026年12月1日 11:30 (GMT+1)`). The one format of every time imhub puts on a platform.
 */
export function formatTime(at: string | Date, settings: LocaleSettings): string {
  const instant = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(instant.getTime())) return String(at);
  const { year, month, day, hour, minute, offset } = numberParts(instant, settings.timeZone);
  if (settings.locale === 'zh-CN') return `${year}年${month}月${day}日 ${hour}:${minute}${offset === 'GMT+8' ? '' : ` (${offset})`}`;
  return `${year}-${pad(month)}-${pad(day)} ${hour}:${minute} (${offset})`;
}
