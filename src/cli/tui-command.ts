import type { Command } from 'commander';
import { action } from './run-action.js';

export interface TuiCliOptions {
  readonly inside?: string;
  readonly outside?: string;
}

/**
 * Open the terminal UI. ink and React are loaded with import() here, only when the UI runs, so the batch
 * commands never pay for them.
 */
export async function runTuiCommand(paths: readonly string[], opts: TuiCliOptions): Promise<number> {
  const { runTui } = await import('../present/tui/run-tui.js');
  return runTui(paths, { ...(opts.inside !== undefined ? { inside: opts.inside } : {}), ...(opts.outside !== undefined ? { outside: opts.outside } : {}) });
}

/**
 * `natlens BUNDLE` without a subcommand: the terminal UI when a person is at a terminal (stdin and stdout
 * both TTYs), otherwise null — the caller then prints the text analysis, as `natlens analyze` would.
 */
export async function openTuiIfTerminal(paths: readonly string[], opts: TuiCliOptions, streams: { stdin: { isTTY?: boolean }; stdout: { isTTY?: boolean } } = process): Promise<number | null> {
  if (!streams.stdin.isTTY || !streams.stdout.isTTY) return null;
  return runTuiCommand(paths, opts);
}

export function registerTui(program: Command): void {
  program
    .command('tui')
    .description('explore the analysis in the terminal: verdict and findings, flows, each flow\'s packets on both interfaces, rules, inputs')
    .argument('<paths...>', 'a bundle folder, capture and snapshot files, or one saved `natlens analyze --format json` file')
    .option('--inside <iface>', 'the interface facing the protected (VPC) network; inferred from the snapshot when omitted')
    .option('--outside <iface>', 'the interface facing outside (holding the EIPs); inferred from the snapshot when omitted')
    .addHelpText('after', '\nKeys: ? shows them all; q quits (exit code 0). Unusable input exits 2. e writes HTML, Markdown and evidence pcapng reports beside the bundle.')
    .action(action((paths: string[], opts: TuiCliOptions) => runTuiCommand(paths, opts)));
}
