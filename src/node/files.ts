import { openSync, fstatSync, readFileSync, closeSync, statSync, constants } from 'node:fs';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';

/**
 * Reads a regular file whole. Pipes, devices, sockets and folders are refused before a byte is
 * read (a named pipe or /dev/zero would hang or grow without end), and so is a file larger than
 * the memory limit. The file is opened without blocking and checked through its descriptor, so
 * what is checked is what is read.
 */
export function readRegularFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ConvscopeError('E_NOT_A_FILE', `${path}: is a folder, not a file`);
    if (!stat.isFile()) throw new ConvscopeError('E_NOT_A_FILE', `${path}: is not a regular file (a pipe, a device or a socket); give a file`);
    checkMemory(stat.size, path);
    return readFileSync(fd);
  } catch (e) {
    throw e instanceof ConvscopeError ? e : fileError(path, e);
  } finally {
    closeSync(fd);
  }
}

/** Whether a path is a folder; a path that does not exist is 'no such file or folder'. */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    throw fileError(path, e);
  }
}

/** A file system error as one line that names the user's path. */
export function fileError(path: string, error: unknown): ConvscopeError {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return new ConvscopeError('E_NOT_FOUND', `${path}: no such file or folder`);
  if (code === 'ENOTDIR') return new ConvscopeError('E_NOT_FOUND', `${path}: no such file or folder (a part of the path is a file)`);
  if (code === 'EISDIR') return new ConvscopeError('E_NOT_A_FILE', `${path}: is a folder, not a file`);
  if (code === 'EACCES' || code === 'EPERM') return new ConvscopeError('E_IO', `${path}: permission denied`);
  if (code === 'ENAMETOOLONG') return new ConvscopeError('E_IO', `${path}: the name is too long`);
  if (code === 'ELOOP') return new ConvscopeError('E_IO', `${path}: too many symbolic links`);
  return new ConvscopeError('E_IO', `${path}: cannot read it (${code ?? (error as Error).message})`);
}
