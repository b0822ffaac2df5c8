import { lstatSync, mkdtempSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConvscopeError } from '../errors.ts';

/**
 * The outputs of one run, written all or nothing. Each file or folder is first written under a
 * temporary name beside its target; `commit` renames them into place only once all are written,
 * and puts back what they replaced if a rename fails; `discard` removes the temporaries.
 * Errors name the caller's path, never a temporary one.
 *
 *   writeOutputs((set) => { set.file('grid.npy', npy); set.file('grid.png', png); });
 */
export class OutputSet {
  private staged: { target: string; tmp: string; folder: boolean }[] = [];

  file(path: string, data: Uint8Array | string): void {
    const tmp = siblingName(path, 'tmp');
    this.staged.push({ target: path, tmp, folder: false });
    try {
      writeFileSync(tmp, data, { flag: 'wx' });
    } catch (e) {
      throw writeError(path, e);
    }
  }

  /** A folder that replaces `path` whole: `fill` writes its files into the temporary folder it is given. */
  folder(path: string, fill: (dir: string) => void): void {
    let tmp: string;
    try {
      tmp = mkdtempSync(siblingName(path, 'tmp-'));
    } catch (e) {
      throw writeError(path, e);
    }
    this.staged.push({ target: path, tmp, folder: true });
    try {
      fill(tmp);
    } catch (e) {
      throw isSystemError(e) ? writeError(path, e) : e;
    }
  }

  commit(): void {
    const placed: { target: string; backup?: string; renamed: boolean }[] = [];
    let current = '';
    try {
      this.staged.forEach((s, i) => {
        current = s.target;
        // A folder cannot be renamed over a non-empty one; a file that later renames may have to
        // restore is kept aside. The last file needs neither: its rename replaces it atomically.
        const moveAside = exists(s.target) && (s.folder || i < this.staged.length - 1);
        const entry = { target: s.target, backup: moveAside ? siblingName(s.target, 'old') : undefined, renamed: false };
        if (entry.backup) renameSync(s.target, entry.backup);
        placed.push(entry);
        renameSync(s.tmp, s.target);
        entry.renamed = true;
      });
    } catch (e) {
      for (const p of placed.reverse()) {
        try {
          if (p.renamed) rmSync(p.target, { recursive: true, force: true });
          if (p.backup) renameSync(p.backup, p.target);
        } catch {
          // keep undoing the others; the error below names the output that failed
        }
      }
      this.discard();
      throw writeError(current, e);
    }
    for (const p of placed) if (p.backup) rmSync(p.backup, { recursive: true, force: true });
    this.staged = [];
  }

  discard(): void {
    for (const s of this.staged) rmSync(s.tmp, { recursive: true, force: true });
    this.staged = [];
  }
}

/** Runs `write` with a new OutputSet, then commits it; on any error nothing is left behind. */
export function writeOutputs(write: (set: OutputSet) => void): void {
  const set = new OutputSet();
  try {
    write(set);
    set.commit();
  } catch (e) {
    set.discard();
    throw e;
  }
}

/**
 * Checks, before any work, that `path` can become an output: its folder exists (none is created),
 * it is not a folder (for a file) or, for a folder output, it is absent, empty or a folder that
 * holds `folderMarker` (one this kind of output wrote before, which it may replace); and that the
 * folder accepts new files (tried with a temporary that is removed at once).
 */
export function checkOutputTarget(path: string, folderMarker?: string): void {
  const parent = dirname(resolve(path));
  if (!isDirectory(parent)) {
    throw exists(parent)
      ? new ConvscopeError('E_NOT_A_FILE', `${path}: ${parent} is not a folder`)
      : new ConvscopeError('E_NOT_FOUND', `${path}: the folder ${parent} does not exist`);
  }
  if (exists(path)) {
    const dir = isDirectory(path);
    if (folderMarker === undefined && dir) throw new ConvscopeError('E_NOT_A_FILE', `${path} is a folder; give a file name`);
    if (folderMarker !== undefined && !dir) throw new ConvscopeError('E_NOT_A_FILE', `${path} is a file; give a folder name`);
    if (folderMarker !== undefined && !canReplaceFolder(path, folderMarker)) {
      throw new ConvscopeError('E_IO', `${path} is a folder that holds other files (it has no ${folderMarker}); give a new or empty folder`);
    }
  }
  try {
    rmdirSync(mkdtempSync(siblingName(path, 'probe-')));
  } catch (e) {
    throw writeError(path, e);
  }
}

function canReplaceFolder(dir: string, marker: string): boolean {
  try {
    const entries = readdirSync(dir);
    return entries.length === 0 || entries.includes(marker);
  } catch {
    return false;
  }
}

function siblingName(path: string, tag: string): string {
  const name = `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.${tag}`;
  return join(dirname(path), name);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && !(e instanceof ConvscopeError);
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'it is a folder',
  ENOTDIR: 'part of the path is not a folder',
  ENOTEMPTY: 'a folder of that name is in the way',
  ENOENT: 'the folder does not accept new files',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  EXDEV: 'the temporary file landed on another device',
};

/** A file system error turned into one line that names the caller's path (not the temporary). */
export function writeError(path: string, e: unknown): ConvscopeError {
  if (e instanceof ConvscopeError) return e;
  const code = isSystemError(e) ? e.code ?? '' : '';
  const reason = REASONS[code] ?? (code ? `the system refused (${code})` : String((e as Error)?.message ?? e));
  return new ConvscopeError('E_IO', `${path}: cannot write it: ${reason}`);
}
