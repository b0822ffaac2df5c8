import { ConvscopeError } from '../errors.ts';

/** Exit codes: 0 success, 1 an error the user can fix, 2 a command line that does not parse, 70 a convscope bug (EX_SOFTWARE). */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

const SYSTEM_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
};

/**
 * The one line `convscope COMMAND: ...` a failure prints, and its exit code. Everything a user can
 * fix is a ConvscopeError (or a file system error); anything else (a TypeError, a RangeError, a
 * wasm trap, a plain Error) is a convscope bug. `args` are the
 * command's arguments: a message that starts with the command's name is not prefixed twice,
 * unless that name is one of the arguments (a file called `gradcam`).
 */
export function describeFailure(command: string | undefined, error: unknown, args: readonly string[] = []): { message: string; exitCode: number } {
  const prefix = command ? `convscope ${command}: ` : 'convscope: ';
  if (error instanceof ConvscopeError) {
    return { message: prefix + withoutCommandName(error.message, command, args), exitCode: error.code === 'E_USAGE' ? EXIT_USAGE : EXIT_ERROR };
  }
  const system = systemErrorLine(error);
  if (system) return { message: prefix + system, exitCode: EXIT_ERROR };
  const text = error instanceof Error ? error.message : String(error);
  return {
    message: `${prefix}internal error: ${text.split('\n')[0]} (please report; CONVSCOPE_DEBUG=1 shows the stack)`,
    exitCode: EXIT_INTERNAL,
  };
}

function withoutCommandName(message: string, command: string | undefined, args: readonly string[]): string {
  const head = /^([\w-]+): /.exec(message)?.[1];
  if (!command || !head || head.toLowerCase() !== command.toLowerCase() || args.includes(head)) return message;
  return message.slice(head.length + 2);
}

/** fs errors (`ENOENT: no such file or directory, open 'x'`) as `x: no such file`. */
function systemErrorLine(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  const reason = SYSTEM_REASONS[code] ?? `the system refused (${code})`;
  return path ? `${path}: ${reason}` : reason;
}
