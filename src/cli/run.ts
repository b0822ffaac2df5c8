import { packageVersion } from '../package-root.ts';
import type { Command } from './command.ts';
import { commands } from './commands/index.ts';
import { describeFailure, EXIT_USAGE } from './failure.ts';
import { applyGlobalOptions, globalOptionsHelp } from './global-options.ts';

function help(available: Command[]): string {
  const lines = ['convscope: see inside convolutional networks (Keras HDF5 models, WebAssembly SIMD engine)', '', 'Usage: convscope <command> [options]', '', 'Commands:'];
  for (const c of available) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', globalOptionsHelp, '', 'Run `convscope help <command>` or `convscope <command> --help` for a command\'s options.');
  lines.push('Exit codes: 0 done, 1 an error in the files or values given, 2 a command line that does not parse, 70 a convscope bug.');
  return lines.join('\n');
}

function unknownCommand(name: string, available: Command[]): string {
  return `convscope: unknown command '${name}'; valid commands: ${available.map((c) => c.name).join(', ') || '(none yet)'}`;
}

/**
 * Runs one CLI invocation and returns the exit code; every failure becomes one line on stderr
 * (a usage error is followed by the command's usage). `available` is the command list (tests
 * give their own).
 */
export async function runCli(argv: string[], available: Command[] = commands): Promise<number> {
  const named = available.find((c) => c.name === argv.find((a) => !a.startsWith('-')));
  let name: string | undefined;
  let rest: string[] = [];
  try {
    [name, ...rest] = applyGlobalOptions(argv);
  } catch (error) {
    return fail(named?.name, error, argv);
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      console.log(help(available));
      return 0;
    }
    const command = available.find((c) => c.name === topic);
    if (!command) {
      console.error(unknownCommand(topic, available));
      return EXIT_USAGE;
    }
    console.log(command.usage);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(packageVersion());
    return 0;
  }
  const command = available.find((c) => c.name === name);
  if (!command) {
    console.error(unknownCommand(name, available));
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    return fail(name, error, rest);
  }
}

function fail(command: string | undefined, error: unknown, args: string[]): number {
  const { message, exitCode } = describeFailure(command, error, args);
  console.error(message);
  if (process.env.CONVSCOPE_DEBUG && error instanceof Error) console.error(error.stack);
  return exitCode;
}
