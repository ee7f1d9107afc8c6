/**
 * Output files of every command (issue 13, DESIGN §7 "loses nothing"): `-o` (and `--save-latents`) are checked
 * before any work is done, and written through a temporary file in the target folder that is renamed over the
 * target only once complete, so a failed or cancelled run never leaves a half-written or clobbered file.
 *
 * Refused (CliUsageError, exit 2): an output that is one of the inputs (by real path or same inode, so
 * `clip x.mp4 -o ./x.mp4` or a symlink to x.mp4 cannot overwrite the source), an existing folder, a missing
 * parent folder, a parent that is not a folder, a parent the user cannot write to, an existing read-only file.
 */
import { accessSync, constants, existsSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { CliUsageError } from './command';

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // A file that does not exist yet: the real parent plus its name.
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

function sameFile(a: string, b: string): boolean {
  if (realOrResolved(a) === realOrResolved(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino; // hard links
  } catch {
    return false;
  }
}

/**
 * Checks an output path before any work; returns it resolved. `inputs` are every file the command reads
 * (the video, the YAML, weights, --inputs); `flag` names the option in messages.
 */
export function checkOutputPath(output: string, inputs: readonly string[], flag = '-o'): string {
  const path = resolve(output);
  const shown = `${flag} ${output}`;
  if (output === '' || output.endsWith('/') || output.endsWith('\\'))
    throw new CliUsageError(`${shown} names a folder; give a file name, e.g. ${join(output || '.', 'out')}`);
  for (const input of inputs)
    if (sameFile(path, input))
      throw new CliUsageError(
        `${shown} is the input ${input}; writing it would destroy the source. Choose another name.`,
      );
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isDirectory())
      throw new CliUsageError(`${shown} is a folder; give a file name, e.g. ${join(output, 'out')}`);
    if (!st.isFile()) throw new CliUsageError(`${shown} exists and is not a regular file`);
  }
  const parent = dirname(path);
  if (!existsSync(parent))
    throw new CliUsageError(`${shown}: the folder ${dirname(output)} does not exist; create it first`);
  if (!statSync(parent).isDirectory()) throw new CliUsageError(`${shown}: ${dirname(output)} is not a folder`);
  try {
    accessSync(parent, constants.W_OK | constants.X_OK);
  } catch {
    throw new CliUsageError(`${shown}: the folder ${dirname(output)} is not writable`);
  }
  if (existsSync(path))
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new CliUsageError(`${shown} exists and is read-only`);
    }
  return path;
}

/** A temporary name next to `path` (same folder, so the final rename is atomic on one file system). */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
}

/** Moves a finished temporary file over `path`; removes it on failure. */
export function commitTemporary(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes `bytes` to `path` through a temporary file in the same folder and a rename. */
export function writeOutputFile(path: string, bytes: Uint8Array): void {
  const tmp = temporaryPathFor(path);
  try {
    writeFileSync(tmp, bytes);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  commitTemporary(tmp, path);
}
