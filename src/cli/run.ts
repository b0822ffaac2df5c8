import { packageVersion } from '../package-root.ts';

import { UsageError } from './errors.ts';

import { commands } from './commands/index.ts';

function help(): string {
  const lines = ['convscope: see inside convolutional networks (Keras HDF5 models, WebAssembly SIMD engine)', '', 'Usage: convscope <command> [options]', '', 'Commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', 'Run `convscope <command> --help` for a command\'s options.');
  return lines.join('\n');
}

/** Runs one CLI invocation and returns the exit code; every failure becomes one line on stderr. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(packageVersion());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`convscope: unknown command '${name}'; valid commands: ${commands.map((c) => c.name).join(', ') || '(none yet)'}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`convscope ${name}: ${message}`);
    if (process.env.CONVSCOPE_DEBUG && error instanceof Error) console.error(error.stack);
    return error instanceof UsageError ? 2 : 1;
  }
}
