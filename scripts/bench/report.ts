import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of the table: a measurement of imhub next to the same measurement of a peer, from the same run. */
export interface Row {
  id: string;
  measure: string;
  unit: string;
  ours: number;
  peer: number;
  /** Which way is better, so that the ratio reads right. */
  better: 'higher' | 'lower';
  /** What the peer is, in a few words. */
  peerIs: string;
  /** How the numbers were made, where the measure alone does not say. */
  note?: string;
}

/** What each suite hands back: its rows, and everything it measured for the JSON file. */
export interface SuiteResult {
  rows: Row[];
  details: unknown;
}

/** Two significant digits below 0.1×, so that 11 calls against 3,603 does not read as 0.00×. */
function ratio(ours: number, peer: number): string {
  if (peer === 0) return ours === 0 ? '1.00×' : '∞';
  const value = ours / peer;
  if (value >= 100) return `${Math.round(value).toLocaleString('en-US')}×`;
  return `${value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2)}×`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(magnitude >= 10 ? 1 : 2);
}

/** A Markdown table (readable as it is in a terminal, pasteable into docs), then the notes by row id. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['#', 'measure', 'ours', 'peer', 'unit', 'ours/peer', 'better', 'peer is'];
  const cells = rows.map((row) => [row.id, row.measure, formatNumber(row.ours), formatNumber(row.peer), row.unit, ratio(row.ours, row.peer), row.better, row.peerIs]);
  const numeric = new Set([2, 3, 5]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const line = (values: readonly string[]) =>
    `| ${values.map((value, column) => (numeric.has(column) ? value.padStart(widths[column]!) : value.padEnd(widths[column]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (numeric.has(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.id}: ${row.note}`);
  return [line(header), rule, ...cells.map(line), '', 'Notes:', ...notes].join('\n');
}

/** Writes the whole run to `.bench/results-<time>.json` and `.bench/latest.json`; returns the first path. */
export function writeResults(root: string, results: { startedAt: Date } & Record<string, unknown>): string {
  const folder = join(root, '.bench');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `results-${results.startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(folder, 'latest.json'), text);
  return file;
}
