// The benchmarks as a library: what `npm run bench` runs, for callers such as the end-to-end run.

export { type BenchArguments, parseBenchArguments, runBenchmarks } from "./cli";
