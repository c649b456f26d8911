import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8's collector, without starting node with --expose-gc (npm run bench runs plain tsx).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * The heap still referenced after a full collection, and the RSS: memory measured this way
 * counts what held work keeps alive, not garbage that a later collection would free.
 */
export function liveMemory(): { heapUsed: number; rss: number } {
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}
