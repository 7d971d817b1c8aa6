/**
 * The library API: analyze(paths, options) → Analysis. Every front end (CLI, TUI, reports, HTTP service)
 * calls this and nothing deeper.
 */
export { analyze } from './analyze.js';
export type { Analysis, AnalyzeOptions, AnalyzeProgress, Finding, Flow, Evidence } from './model/analysis.js';
export { InputError, isInputError } from './model/errors.js';
export { CHECK_IDS, DISPOSITIONS } from './model/analysis.js';
