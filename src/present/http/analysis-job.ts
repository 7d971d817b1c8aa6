import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Analysis, AnalyzeProgress } from '../../model/analysis.js';
import { isInputError } from '../../model/errors.js';
import { analyze } from '../../index.js';
import { bundleFiles } from '../../ingest/bundle-files.js';
import { renderHtml } from '../html-report.js';
import { renderMarkdown } from '../markdown-report.js';
import { writeEvidencePcapng } from '../evidence-pcapng.js';
import { escapeHtml } from '../escape-html.js';
import { writeFileAtomic } from './atomic-file.js';
import { analysisJson } from '../analysis-json.js';
import { analysisPaths } from './data-layout.js';
import type { AnalysisFailure } from './job-queue.js';
import type { JobOutcome, JobSpec } from './job-runner.js';

/**
 * The upload's files, relative to its folder, as bundle discovery reads them (bundle-files.ts: subfolders
 * included, an extracted tarball's wrapping folder and all): to name them when the analysis fails.
 */
export function uploadedFiles(inputDir: string): string[] {
  try {
    return bundleFiles(inputDir).files.map((f) => path.relative(inputDir, f));
  } catch {
    return [];
  }
}

/**
 * Server paths stay on the server: in a rendered text (JSON, Markdown, HTML), every path under the upload folder is
 * made relative to it (`incident/eth0.pcap`) and the folder itself becomes `.`, so what the user reads names what they
 * uploaded. Done on the text, in the encoding of that text (`encode`: JSON string escaping, HTML escaping), rather than
 * on a deep copy of the analysis, which for thousands of flows would double the job's peak memory.
 */
export function stripServerPaths(text: string, inputDir: string, encode: (s: string) => string = (s) => s): string {
  const dir = path.resolve(inputDir);
  return text.replaceAll(encode(dir + path.sep), '').replaceAll(encode(dir), '.');
}

const jsonEncode = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Each piece of text changed by `f` (a path never spans two pieces of the analysis's JSON: each holds whole strings). */
function* mapPieces(pieces: Iterable<string>, f: (p: string) => string): Generator<string> {
  for (const p of pieces) yield f(p);
}

/** An error as the user should read it: the file named relative to the upload, never a stack or a server path. */
export function describeFailure(e: unknown, inputDir: string, uploaded: readonly string[] = []): AnalysisFailure {
  const rel = (f: string): string => {
    const r = path.relative(inputDir, f);
    return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : path.basename(f);
  };
  // An error about the whole input (no capture among the files) names the upload's files instead of a folder.
  const names = uploaded.length > 6 ? `${uploaded.slice(0, 6).join(', ')}, … (${uploaded.length} files)` : uploaded.join(', ');
  const isUploadItself = (f: string): boolean =>
    f === '' ||
    f.split(' ').every((p) => {
      const abs = path.resolve(p);
      return abs === path.resolve(inputDir) || (abs.startsWith(path.resolve(inputDir) + path.sep) && !uploaded.includes(rel(p)));
    });
  const scrub = (s: string): string => s.split(path.resolve(inputDir) + path.sep).join('');
  if (isInputError(e)) {
    if (isUploadItself(e.file)) {
      return { code: e.code, file: null, message: `the upload (${names || 'no files'}): ${scrub(e.message)} [${e.code}]` };
    }
    const file = rel(e.file);
    const where = e.line !== undefined ? `${file}:${e.line}` : e.offset !== undefined ? `${file} (byte offset ${e.offset})` : file;
    return {
      code: e.code,
      file,
      ...(e.offset !== undefined ? { offset: e.offset } : {}),
      ...(e.line !== undefined ? { line: e.line } : {}),
      message: `${where ? `${where}: ` : ''}${scrub(e.message)} [${e.code}]`,
    };
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string') {
    const file = rel(err.path);
    return { code: 'io', file, message: `${file}: cannot read (${err.code}) [io]` };
  }
  return { code: 'internal', file: null, message: `internal error: ${scrub(e instanceof Error ? e.message : String(e))}` };
}

/**
 * One analysis, start to end: analyze the upload, then store the JSON result, both reports and the evidence pcapng
 * in the analysis folder. Runs inside the worker thread. Bad input is an outcome (failed, naming the file), not a throw.
 */
export async function runAnalysisJob(job: JobSpec, onProgress: (p: AnalyzeProgress) => void = () => undefined): Promise<JobOutcome> {
  const paths = analysisPaths(path.dirname(path.dirname(job.dir)), job.id);
  let analysis: Analysis;
  try {
    analysis = await analyze([job.inputDir], { ...job.options, onProgress });
  } catch (e) {
    return { ok: false, error: describeFailure(e, job.inputDir, uploadedFiles(job.inputDir)) };
  }
  // The evidence writer reads the captures again, so it gets the real paths; its comments hold no paths.
  const evidenceTmp = `${paths.evidence}.tmp`;
  let evidencePackets: number;
  try {
    evidencePackets = (await writeEvidencePcapng(analysis, evidenceTmp)).packets;
    await rename(evidenceTmp, paths.evidence);
  } catch (e) {
    await rm(evidenceTmp, { force: true });
    return { ok: false, error: describeFailure(e, job.inputDir, uploadedFiles(job.inputDir)) };
  }
  await writeFileAtomic(paths.reportMd, stripServerPaths(renderMarkdown(analysis), job.inputDir));
  // HTML escaping leaves a path unchanged unless it holds & < > " ' — stripped in both forms to be sure.
  await writeFileAtomic(paths.reportHtml, stripServerPaths(stripServerPaths(renderHtml(analysis), job.inputDir, escapeHtml), job.inputDir));
  // The result goes last. Compact: with thousands of flows, indentation alone would add tens of MB. The API splices
  // this file into its answer as it is, so it must stay exactly one JSON value.
  // Written a flow at a time (analysis-json.ts): a hundred thousand flows make more text than one string can hold.
  await writeFileAtomic(paths.result, mapPieces(analysisJson(analysis), (p) => stripServerPaths(p, job.inputDir, jsonEncode)));
  return {
    ok: true,
    summary: {
      verdict: analysis.summary.verdict,
      sentence: stripServerPaths(analysis.summary.sentence, job.inputDir),
      flows: analysis.summary.flows,
      findings: analysis.findings.length,
      topCheck: analysis.findings[0]?.check ?? null,
      evidencePackets,
    },
  };
}
