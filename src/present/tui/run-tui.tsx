/**
 * Entry of `natlens tui`: loaded by the CLI with import() only when the UI runs, so batch, report and
 * service modes never load ink or React.
 */
import { InputError } from '../../model/errors.js';
import type { Analysis } from '../../model/analysis.js';
import { loadAnalysis, readSavedAnalysis, type LoadOptions } from './load-analysis.js';
import { exportReports } from './export-reports.js';
import type { AnalysisSource } from './App.js';

export interface TuiStreams {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
}

/** Run the explorer until the user quits; resolves with the exit code (0 quit, 2 unusable input, shown in the UI). */
export async function runTui(paths: readonly string[], opts: LoadOptions, streams: TuiStreams = { stdin: process.stdin, stdout: process.stdout }): Promise<number> {
  if (!streams.stdin.isTTY || !streams.stdout.isTTY) {
    throw new InputError('usage', 'tui', 'the terminal UI needs an interactive terminal; for a pipe or a file use `natlens analyze` (text, json or md)');
  }
  // ink renders nothing but the last frame when it believes it runs in CI (is-in-ci reads CI at import
  // time). An interactive terminal is not a CI log, whatever the environment says.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];

  // A saved analysis opens at once; a bad one is reported before the UI starts (exit 2).
  const saved = readSavedAnalysis(paths);
  const source: AnalysisSource = saved ? { analysis: saved } : { load: (onProgress, signal) => loadAnalysis(paths, opts, onProgress, signal) };
  const [{ render }, { App }] = await Promise.all([import('ink'), import('./App.js')]);

  let code = 0;
  const instance = render(
    <App
      source={source}
      paths={paths}
      onExit={(c) => {
        code = c;
      }}
      exportReports={(a: Analysis) => exportReports(a, saved ? [] : paths)}
    />,
    { stdin: streams.stdin, stdout: streams.stdout, exitOnCtrlC: false, patchConsole: true },
  );
  await instance.waitUntilExit();
  instance.cleanup();
  // Unusable input was shown by the UI (its last frame stays on the screen) in the batch commands' words.
  return code;
}
