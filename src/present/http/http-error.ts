/**
 * A request the service refuses, as data: the HTTP status, a stable machine code and a message. Only the HTTP layer
 * turns it into a response (`{"error": {code, message}}`).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers (e.g. `WWW-Authenticate` on 401). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function isHttpError(e: unknown): e is HttpError {
  return e instanceof HttpError;
}
