/**
 * `npm run bench`: the benchmark table. The measurements (callback handling against the
 * platforms' SDKs, bundle size and cold start, calls per approval, fan-out, local throughput)
 * come with the benchmark issue; until then this says so instead of printing made-up numbers.
 */
process.stdout.write('imhub benchmarks: nothing yet (the benchmark suite is built in a later issue)\n');
