import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { EXIT } from './run-action.js';
import { registerAnalyze, registerDefault } from './analyze-command.js';
import { registerPackets } from './packets-command.js';
import { registerReport } from './report-command.js';
import { registerRules } from './rules-command.js';
import { registerServe } from './serve-command.js';
import { registerTrace } from './trace-command.js';
import { registerTui } from './tui-command.js';

/** commander wiring only: argv → one call into the library → exit code. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('natlens')
    .description('Where do packets stop at a Linux NAT gateway? Reads captures + a state snapshot and names the cause, with proof.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerAnalyze(program);
  registerPackets(program);
  registerReport(program);
  registerRules(program);
  registerServe(program);
  registerTrace(program);
  registerTui(program);
  registerDefault(program);
  return program;
}

async function main(): Promise<void> {
  // A reader that stops early (`natlens analyze … | head`) closes the pipe: the rest of the output is not
  // wanted. End quietly with the exit code the command set, instead of dying on the write error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
  });
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every usage error exits 2.
      process.exitCode = e.exitCode === 0 ? EXIT.OK : EXIT.INPUT;
      return;
    }
    throw e;
  }
}

await main();
