import { randomBytes } from 'node:crypto';

/**
 * Analysis ids name folders in the data directory, so they are checked strictly before any path is built from one:
 * exactly 20 lowercase hex digits (80 random bits). Anything else — `..`, slashes, encoded dots, other lengths — is
 * simply not an id.
 */
const ID_PATTERN = /^[0-9a-f]{20}$/;

export function newAnalysisId(): string {
  return randomBytes(10).toString('hex');
}

export function isAnalysisId(s: string): boolean {
  return ID_PATTERN.test(s);
}
