/**
 * The command-line options natlens's worker threads run with: none. By default a worker inherits this
 * process's, and refuses many of them: `--input-type` (as in `node --input-type=module -e …`, how
 * benchmarks and scripts run natlens: "can only be used with string input") and every V8 option
 * (`--max-old-space-size`, `--cpu-prof`: "invalid execArgv flags"). A worker refused so dies at once or
 * is not made, and its work quietly moves back to the main thread. natlens's workers are plain compiled
 * modules that need none of them.
 */
export function workerExecArgv(): string[] {
  return [];
}
