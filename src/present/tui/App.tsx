/**
 * The root: loads the analysis (off the render loop, reporting progress), then hands it to the Explorer;
 * unusable input is shown and ends the program with exit code 2, like the batch commands.
 */
import { useEffect, useState } from 'react';
import { useApp, useInput } from 'ink';
import type { Analysis, AnalyzeProgress } from '../../model/analysis.js';
import { TUI_EXIT, exitCodeFor } from './exit-code.js';
import { Explorer } from './Explorer.js';
import type { Screen } from './explorer-state.js';
import { LoadingView } from './LoadingView.js';
import { ErrorView } from './ErrorView.js';
import { useTerminalSize, type TerminalSize } from './use-terminal-size.js';

export type AnalysisSource =
  | { readonly analysis: Analysis }
  | { readonly load: (onProgress: (p: AnalyzeProgress) => void, signal: AbortSignal) => Promise<Analysis> };

export interface AppProps {
  readonly source: AnalysisSource;
  readonly paths: readonly string[];
  /** Called once with the exit code, before the app unmounts. */
  readonly onExit: (code: number) => void;
  readonly exportReports?: (a: Analysis) => Promise<readonly string[]>;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  readonly size?: TerminalSize;
  readonly initial?: Screen;
}

type Phase = { readonly kind: 'loading'; readonly progress: AnalyzeProgress | null } | { readonly kind: 'ready'; readonly analysis: Analysis } | { readonly kind: 'error'; readonly error: unknown };

export function App({ source, paths, onExit, exportReports, size, initial }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize(size);
  const [phase, setPhase] = useState<Phase>(() => ('analysis' in source ? { kind: 'ready', analysis: source.analysis } : { kind: 'loading', progress: null }));

  useEffect(() => {
    if (!('load' in source)) return;
    const ac = new AbortController();
    let last = 0;
    source
      .load((p) => {
        // Progress comes every ~64k packets; redraw at most ten times a second.
        const now = Date.now();
        if (now - last < 100 && p.phase === 'captures') return;
        last = now;
        if (!ac.signal.aborted) setPhase({ kind: 'loading', progress: p });
      }, ac.signal)
      .then(
        (analysis) => {
          if (!ac.signal.aborted) setPhase({ kind: 'ready', analysis });
        },
        (error: unknown) => {
          if (!ac.signal.aborted) setPhase({ kind: 'error', error });
        },
      );
    return () => ac.abort();
  }, [source]);

  const quit = (code: number) => {
    onExit(code);
    exit();
  };

  useEffect(() => {
    // Leave the message on the screen (the last frame stays) and end with exit code 2 (or 3 for a bug).
    if (phase.kind === 'error') quit(exitCodeFor(phase.error));
  }, [phase]);

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) quit(TUI_EXIT.OK);
    },
    { isActive: phase.kind === 'loading' },
  );

  switch (phase.kind) {
    case 'loading':
      return <LoadingView progress={phase.progress} paths={paths} width={columns} height={Math.max(3, rows - 1)} />;
    case 'error':
      return <ErrorView error={phase.error} width={columns} />;
    case 'ready':
      return (
        <Explorer
          analysis={phase.analysis}
          width={columns}
          height={rows}
          onQuit={quit}
          exportReports={exportReports ? () => exportReports(phase.analysis) : undefined}
          initial={initial}
        />
      );
  }
}
