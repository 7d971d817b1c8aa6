/**
 * Bad input is data, not a crash (STYLE.md). Detection code throws `InputError` or returns
 * `InputWarning`s; only the CLI and HTTP layers turn them into words, exit codes and status codes.
 */

/** Stable codes: part of the JSON contract (`warnings[].code`) and of the CLI's exit-2 messages. */
export type InputErrorCode =
  | 'not-a-capture' // the file's first bytes are no pcap/pcapng magic
  | 'empty-file'
  | 'bad-block' // pcapng block with an impossible length or a broken trailer
  | 'bad-header' // pcap/pcapng header fields that cannot be right
  | 'unknown-link-type'
  | 'truncated' // a record/block cut short (fatal only when nothing before it was whole)
  | 'not-a-snapshot' // a file given explicitly that none of the snapshot parsers accepts
  | 'binary-file'
  | 'parse' // a line a parser recognised but could not read
  | 'io' // the file could not be read at all
  | 'usage' // command-line or API arguments that cannot work
  | 'no-captures'
  | 'no-input';

export interface InputWarning {
  readonly code: string;
  readonly file: string;
  /** Byte offset in `file` (captures). */
  readonly offset?: number;
  /** 1-based line in `file` (text snapshots). */
  readonly line?: number;
  readonly message: string;
}

export class InputError extends Error {
  readonly code: InputErrorCode;
  readonly file: string;
  readonly offset?: number;
  readonly line?: number;

  constructor(code: InputErrorCode, file: string, message: string, where: { offset?: number; line?: number } = {}) {
    super(message);
    this.name = 'InputError';
    this.code = code;
    this.file = file;
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.line !== undefined) this.line = where.line;
  }

  /** `file:offset N: message` or `file:LINE: message`, the form every error is shown in. */
  where(): string {
    if (this.line !== undefined) return `${this.file}:${this.line}`;
    if (this.offset !== undefined) return `${this.file} (byte offset ${this.offset})`;
    return this.file;
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}
