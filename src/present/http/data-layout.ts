import path from 'node:path';
import { isAnalysisId } from './analysis-id.js';

/**
 * Where everything lives in the data folder:
 *   <data>/analyses/<id>/meta.json        the record (status, uploads, summary, error), written atomically
 *   <data>/analyses/<id>/input/…          the uploaded files and extracted bundles
 *   <data>/analyses/<id>/result.json      the analyze JSON, report.html, report.md, evidence.pcapng
 *   <data>/staging/<id>/                  an upload still arriving; renamed into analyses/ when complete
 * A folder in analyses/ without meta.json is an interrupted hand-over and is removed on start.
 */
export interface AnalysisPaths {
  readonly dir: string;
  readonly input: string;
  readonly meta: string;
  readonly result: string;
  readonly reportHtml: string;
  readonly reportMd: string;
  readonly evidence: string;
}

export function analysesRoot(dataDir: string): string {
  return path.join(dataDir, 'analyses');
}

export function stagingRoot(dataDir: string): string {
  return path.join(dataDir, 'staging');
}

export function analysisPaths(dataDir: string, id: string): AnalysisPaths {
  // Ids are validated at the HTTP edge already; checked again here because a path is about to be built from one.
  if (!isAnalysisId(id)) throw new Error(`not an analysis id: ${JSON.stringify(id)}`);
  const dir = path.join(analysesRoot(dataDir), id);
  return {
    dir,
    input: path.join(dir, 'input'),
    meta: path.join(dir, 'meta.json'),
    result: path.join(dir, 'result.json'),
    reportHtml: path.join(dir, 'report.html'),
    reportMd: path.join(dir, 'report.md'),
    evidence: path.join(dir, 'evidence.pcapng'),
  };
}
