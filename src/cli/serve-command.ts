import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { startServer } from '../present/http/server.js';
import { DEFAULT_TAR_LIMITS } from '../present/http/safe-tar.js';
import { EXIT, action } from './run-action.js';

interface ServeCliOptions {
  readonly host: string;
  readonly port: number;
  readonly data: string;
  readonly token?: string;
  readonly maxUploadMb: number;
  readonly maxUnpackedMb: number;
  readonly workers: number;
}

function integer(min: number, max: number): (v: string) => number {
  return (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`not a whole number: ${v}`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

/** `natlens serve [--host H] [--port P] [--data DIR] [--token T] [--max-upload-mb N] [--workers N]`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the upload service: a web page and an HTTP API that analyse uploaded captures and bundles')
    .option('--host <address>', 'address to listen on (a non-loopback one needs a token)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', integer(0, 65535), 8080)
    .option('--data <dir>', 'folder where uploads, results and reports are kept', './natlens-data')
    .option('--token <token>', 'require Authorization: Bearer <token> on /api (default: $NATLENS_TOKEN)')
    .option('--max-upload-mb <mb>', 'largest upload accepted, all files together', integer(1, 1 << 20), 512)
    .option('--max-unpacked-mb <mb>', 'largest a tarball may unpack to', integer(1, 1 << 22), DEFAULT_TAR_LIMITS.maxBytes / 2 ** 20)
    .option('--workers <n>', 'analyses run at the same time (each in its own thread)', integer(1, 256), Math.max(1, availableParallelism() - 1))
    .addHelpText('after', '\nStops on SIGINT/SIGTERM; analyses still queued or running then run again on the next start with the same --data.')
    .action(action((opts: ServeCliOptions) => runServe(opts)));
}

export async function runServe(opts: ServeCliOptions): Promise<number> {
  const token = opts.token ?? process.env.NATLENS_TOKEN ?? null;
  const log = (line: string): void => void process.stderr.write(`natlens serve: ${line}\n`);
  const srv = await startServer({
    dataDir: opts.data,
    host: opts.host,
    port: opts.port,
    token: token === '' ? null : token,
    maxUploadBytes: opts.maxUploadMb * 2 ** 20,
    workers: opts.workers,
    tarLimits: { ...DEFAULT_TAR_LIMITS, maxBytes: opts.maxUnpackedMb * 2 ** 20 },
    log,
  });
  const { requeued, removed, unreadable } = srv.recovery;
  if (requeued.length) log(`${requeued.length} interrupted analys${requeued.length === 1 ? 'is' : 'es'} queued again`);
  if (removed.length) log(`removed ${removed.length} unfinished upload${removed.length === 1 ? '' : 's'}`);
  for (const u of unreadable) log(`analyses/${u}/meta.json is unreadable: left as it is, not served`);
  process.stdout.write(`natlens serve: listening on ${srv.url} (data ${opts.data}, ${opts.workers} worker${opts.workers === 1 ? '' : 's'}${token ? ', token required' : ''})\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log('stopping');
  await srv.close();
  return EXIT.OK;
}
