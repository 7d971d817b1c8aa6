/**
 * The command-line options a worker thread inherits: this process's, less those a worker refuses.
 * `--input-type` (as in `node --input-type=module -e …`, how benchmarks and scripts run natlens) applies to
 * string input only, and a worker started with it dies at once ("--input-type can only be used with string
 * input"): every thread natlens starts would then quietly be missing.
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}
