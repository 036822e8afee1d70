// Atomic file replacement for runtimes with node:fs (Node ≥ 20.16, Deno, Bun): a reader, or a
// process that looks after a crash or a SIGKILL, finds either the old file or the new one,
// whole — never a missing or half-written file. The recipe of SQLite's and write-file-atomic's
// commits:
//   1. write the bytes to a temporary file in the target's own folder (same file system, so
//      the rename below is atomic): `.<name>.tmp-<host>-<pid>-<random>`, created exclusively;
//      it takes the mode of the file it replaces (new files: 0o666 less the umask)
//   2. fsync the temporary file (its data is on disk before its name is)
//   3. rename it over the target (atomic on POSIX and on NTFS via MoveFileEx)
//   4. fsync the folder, so the rename itself survives a power cut. Where a folder cannot be
//      opened or fsynced (Windows: EISDIR/EPERM/EACCES; some file systems: EINVAL/ENOTSUP),
//      this step is skipped: the rename is still atomic, only its durability over a power cut
//      is then the operating system's
// On any error the temporary file is removed and the target is left as it was.
// A killed process (SIGKILL, power cut) can leave its temporary file behind. The next
// successful write of the same target removes such leftovers: those of processes of this
// host that no longer run, and any older than an hour (a writer of another host sharing the
// folder, or a pid reused since). Nothing else ever removes them.
// A symbolic link at the target is followed: the file it points to is replaced, the link stays.
// A target that is not a regular file (/dev/stdout, a FIFO, a device) is written in place.
// Owner and group of a replaced file are not carried over (the new file is the writer's).
// The folder must be writable (the temporary file is created there): a writable file in a
// read-only folder is refused (EACCES) where an in-place write would have succeeded.
//
// node:fs is reached through process.getBuiltinModule at call time, never imported, so the
// browser bundle that exports this function does not import a node: module.

import { DescentError } from '../engine/errors.js';

type Fs = typeof import('node:fs');
type Path = typeof import('node:path');
type Os = typeof import('node:os');

interface Builtins { fs: Fs; path: Path; os: Os }

function builtins(what: string): Builtins {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== 'function') {
    throw new DescentError(`${what}: needs node:fs (Node ≥ 20.16, Deno or Bun); in a browser, save the bytes yourself`);
  }
  return {
    fs: get.call(proc, 'node:fs') as Fs,
    path: get.call(proc, 'node:path') as Path,
    os: get.call(proc, 'node:os') as Os,
  };
}

/** Temporary files older than this are removed whoever wrote them. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/** A short tag of this host, so that pid checks only judge temporary files of this machine. */
export function hostTag(os: Os = builtins('hostTag').os): string {
  let h = 0x811c9dc5;
  const name = os.hostname();
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

function randomTag(): string {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  const a = new Uint32Array(2);
  if (c?.getRandomValues) c.getRandomValues(a);
  else { a[0] = Math.random() * 2 ** 32; a[1] = Math.random() * 2 ** 32; }
  return a[0].toString(36) + a[1].toString(36);
}

/** The prefix of every temporary file of `name` (the target's base name). */
export function tempPrefix(name: string): string {
  return `.${name}.tmp-`;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'; // runs, but is someone else's
  }
}

/**
 * Remove the temporary files that killed writers of `target` left: those of this host whose
 * process no longer runs, and every one older than an hour. Best effort: errors are ignored.
 * Returns the names removed. writeFileAtomic calls it after each successful write.
 */
export function removeStaleTempFiles(target: string, now = Date.now()): string[] {
  const { fs, path, os } = builtins('removeStaleTempFiles');
  const dir = path.dirname(target);
  const prefix = tempPrefix(path.basename(target));
  const host = hostTag(os);
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const [tagHost, tagPid] = name.slice(prefix.length).split('-');
    const pid = Number(tagPid);
    const p = path.join(dir, name);
    try {
      const ours = tagHost === host && Number.isSafeInteger(pid) && pid > 0;
      const dead = ours && pid !== process.pid && !processRuns(pid);
      if (!dead && now - fs.lstatSync(p).mtimeMs <= STALE_TEMP_MS) continue;
      fs.unlinkSync(p);
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

function fsyncDir(fs: Fs, dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    if (!DIR_FSYNC_UNSUPPORTED.has((e as { code?: string }).code ?? '')) throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replace the file at `file` by `data` atomically and durably (see the top of this file):
 * readers and crash survivors see the old content or the new one, whole. Strings are written
 * as UTF-8. Node-like runtimes only (needs node:fs); synchronous.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  if (typeof file !== 'string' || file === '') throw new DescentError(`writeFileAtomic: the path must be a non-empty string, got ${JSON.stringify(file)}`);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new DescentError('writeFileAtomic: data must be a Uint8Array or a string');
  const { fs, path, os } = builtins('writeFileAtomic');
  let target = path.resolve(file);
  let mode: number | undefined;
  try {
    target = fs.realpathSync(target); // a link's file is replaced, the link stays
    const st = fs.statSync(target);
    if (st.isDirectory()) throw new DescentError(`writeFileAtomic: ${file} is a folder`);
    if (!st.isFile()) {
      // /dev/stdout, a FIFO, a device: nothing to replace, write into it as it is
      fs.writeFileSync(target, data);
      return;
    }
    mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof DescentError) throw e;
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  const dir = path.dirname(target);
  const tmp = path.join(dir, `${tempPrefix(path.basename(target))}${hostTag(os)}-${process.pid}-${randomTag()}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', mode ?? 0o666);
    if (mode !== undefined) fs.fchmodSync(fd, mode); // the umask does not apply to the old mode
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch { /* never created, or renamed */ }
    throw e;
  }
  fsyncDir(fs, dir);
  removeStaleTempFiles(target);
}
