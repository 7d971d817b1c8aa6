import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { analyze } from '../index.js';
import { InputError } from '../model/errors.js';
import { writeEvidencePcapng } from '../present/evidence-pcapng.js';
import { renderHtml } from '../present/html-report.js';
import { renderMarkdown } from '../present/markdown-report.js';
import { EXIT, action } from './run-action.js';

interface ReportOptions {
  readonly html?: string;
  readonly markdown?: string;
  readonly evidence?: string;
  readonly inside?: string;
  readonly outside?: string;
}

/** `natlens report BUNDLE|FILE... [--html F] [--markdown F] [--evidence F.pcapng] [--inside IF --outside IF]`. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the postmortem: a Markdown and/or self-contained HTML report, and an evidence pcapng for Wireshark')
    .argument('<inputs...>', 'a bundle directory, or capture and snapshot files')
    .option('--html <file>', 'write the HTML report (one self-contained file) here')
    .option('--markdown <file>', 'write the Markdown report here')
    .option('--evidence <file>', 'write the affected flows\' packets, with natlens\'s conclusions as packet comments, to this pcapng')
    .option('--inside <iface>', 'the gateway\'s inside interface (otherwise inferred from the snapshot)')
    .option('--outside <iface>', 'the gateway\'s outside interface (otherwise inferred from the snapshot)')
    .addHelpText('after', '\nExit status: 0 no error finding, 1 packets stop, 2 unusable input or usage.')
    .action(action((inputs: string[], opts: ReportOptions) => runReport(inputs, opts)));
}

export async function runReport(inputs: readonly string[], opts: ReportOptions): Promise<number> {
  const outputs = [opts.html, opts.markdown, opts.evidence].filter((x): x is string => typeof x === 'string');
  if (outputs.length === 0) {
    throw new InputError('usage', 'report', 'nothing to write: give at least one of --html FILE, --markdown FILE, --evidence FILE.pcapng');
  }
  // Refuse to overwrite an input with a report (an easy slip with tab completion).
  const given = new Set(inputs.map((p) => resolve(p)));
  for (const o of outputs) {
    if (given.has(resolve(o))) throw new InputError('usage', o, 'this output file is also an input; choose another name');
  }
  if (new Set(outputs.map((o) => resolve(o))).size !== outputs.length) {
    throw new InputError('usage', 'report', 'two outputs name the same file');
  }
  const analysis = await analyze(inputs, {
    ...(opts.inside !== undefined ? { inside: opts.inside } : {}),
    ...(opts.outside !== undefined ? { outside: opts.outside } : {}),
  });
  const now = new Date();
  const wrote: string[] = [];
  if (opts.markdown !== undefined) {
    const md = renderMarkdown(analysis, { now });
    await writeFile(opts.markdown, md);
    wrote.push(`Markdown report  ${opts.markdown} (${Buffer.byteLength(md)} bytes)`);
  }
  if (opts.html !== undefined) {
    const html = renderHtml(analysis, { now });
    await writeFile(opts.html, html);
    wrote.push(`HTML report      ${opts.html} (${Buffer.byteLength(html)} bytes)`);
  }
  if (opts.evidence !== undefined) {
    const { packets } = await writeEvidencePcapng(analysis, opts.evidence);
    wrote.push(`evidence pcapng  ${opts.evidence} (${packets} packet${packets === 1 ? '' : 's'}, with comments)`);
  }
  process.stdout.write(`${analysis.summary.sentence}\n${wrote.map((w) => `wrote ${w}\n`).join('')}`);
  const stop = analysis.summary.verdict === 'packets-stop' || analysis.findings.some((f) => f.severity === 'error');
  return stop ? EXIT.PACKETS_STOP : EXIT.OK;
}
