import { Command, Option } from 'commander';
import { analyze } from '../index.js';
import type { Analysis } from '../model/analysis.js';
import { renderText } from '../present/text-analysis.js';
import { renderMarkdown } from '../present/markdown-report.js';
import { analysisJson, writePieces } from '../present/analysis-json.js';
import { action, EXIT } from './run-action.js';
import { openTuiIfTerminal } from './tui-command.js';

export interface AnalyzeCliOptions {
  readonly format?: 'text' | 'json' | 'md';
  readonly inside?: string;
  readonly outside?: string;
  readonly exitZero?: boolean;
}

/** The exit code of an analysis: 0 no error finding, 1 packets stop. */
export function analysisExitCode(a: Analysis): number {
  return a.summary.verdict === 'packets-stop' ? EXIT.PACKETS_STOP : EXIT.OK;
}

export function renderAnalysis(a: Analysis, format: 'text' | 'md'): string {
  if (format === 'md') return renderMarkdown(a);
  return renderText(a, Math.max(80, Math.min(process.stdout.columns ?? 100, 160)));
}

/** Run the analysis and print it; the exit code says whether packets stop. */
export async function runAnalyze(paths: string[], opts: AnalyzeCliOptions): Promise<number> {
  const a = await analyze(paths, { inside: opts.inside, outside: opts.outside });
  const format = opts.format ?? 'text';
  const code = opts.exitZero ? EXIT.OK : analysisExitCode(a);
  // Known before the output goes: a reader that leaves early (| head) ends the process while it is written.
  process.exitCode = code;
  // JSON goes out a flow at a time: a hundred thousand flows make more text than one string can hold.
  if (format === 'json') await writePieces(process.stdout, analysisJson(a, 2));
  else process.stdout.write(renderAnalysis(a, format));
  return code;
}

export function analyzeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'md']).default('text'))
    .option('--inside <iface>', 'the interface facing the protected (VPC) network; inferred from the snapshot when omitted')
    .option('--outside <iface>', 'the interface facing outside (holding the EIPs); inferred from the snapshot when omitted')
    .option('--exit-zero', 'exit 0 even when packets stop (for demos and scripts that only want the report)');
}

export function registerAnalyze(program: Command): void {
  analyzeOptions(
    program
      .command('analyze')
      .description('Where does each flow stop, and why? Reads a bundle folder or capture + snapshot files.')
      .argument('<paths...>', 'a bundle folder, or capture files (pcap/pcapng, also gzip-compressed) and snapshot files (iptables-save -c, iptables -L -n -v, nft list ruleset, ipset save, sysctl, systemd-analyze cat-config sysctl.d, ip addr/route/rule/neigh, route -n, arp -n, conntrack -L/-S, tc -s qdisc, dmesg)')
      .addHelpText(
        'after',
        '\nExit codes: 0 no packets stop, 1 packets stop (an error finding), 2 unusable input or usage, 3 internal error.\n' +
          'Example: natlens analyze ./bundle --format json > analysis.json',
      ),
  ).action(action((paths: string[], opts: AnalyzeCliOptions) => runAnalyze(paths, opts)));
}

/**
 * `natlens BUNDLE…` without a subcommand: the terminal UI when a person is at a terminal, otherwise the
 * text diagnosis (as `natlens analyze` prints it), so pipes and CI logs get words, not escape codes.
 */
export function registerDefault(program: Command): void {
  analyzeOptions(
    program
      .command('open', { isDefault: true, hidden: true })
      .argument('[paths...]', 'a bundle folder, or capture and snapshot files'),
  ).action(
    action(async (paths: string[], opts: AnalyzeCliOptions, cmd: Command) => {
      if (!paths.length) {
        cmd.parent?.outputHelp({ error: true });
        return EXIT.INPUT;
      }
      const explicitFormat = cmd.getOptionValueSource('format') === 'cli';
      if (!explicitFormat) {
        const code = await openTuiIfTerminal(paths, { inside: opts.inside, outside: opts.outside });
        if (code !== null) return code;
      }
      return runAnalyze(paths, opts);
    }),
  );
  program.addHelpText(
    'after',
    '\nnatlens BUNDLE…  (no command) opens the terminal UI on a terminal, and prints the diagnosis (like `natlens analyze`) otherwise.\n' +
      'Exit codes: 0 no packets stop, 1 packets stop, 2 unusable input or usage, 3 internal error.',
  );
}
