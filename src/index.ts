/**
 * The library API: analyze(paths, options) → Analysis. Every front end (CLI, TUI, reports, HTTP service)
 * calls this and nothing deeper.
 */
export type { Analysis } from './model/analysis.js';
