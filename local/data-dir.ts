/**
 * The data folder: one runtime per folder (runtime.pid), `--reset`, and its permissions:
 * the folder and everything in it is the user's alone (folders 0700, files 0600), as it
 * holds the development key and every stored event. A folder made by an older version
 * (0755/0644) is tightened at start.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { RuntimeStartError } from "./errors.js";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The emulators' folders: fauxqs's SQLite file, dynalite's LevelDB. */
export const EMULATOR_DIRS = ["sqs", "dynamodb"] as const;

/**
 * Takes the folder (creating it 0700, tightening it and the emulators' folders), or
 * RuntimeStartError when it is not writable or another live runtime holds it. Returns
 * the release.
 */
export function lockDataDir(dataDir: string): () => void {
  try {
    makeDirs(dataDir);
    chmodSync(dataDir, PRIVATE_DIR_MODE);
    const probe = join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, "", { mode: PRIVATE_FILE_MODE });
    rmSync(probe);
  } catch (error) {
    throw new RuntimeStartError(
      `data folder ${dataDir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass --data-dir <folder> or --memory`,
    );
  }
  const lock = join(dataDir, "runtime.pid");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8").trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new RuntimeStartError(
        `data folder ${dataDir} is in use by another EventFlow runtime (pid ${pid}); stop it, or pass --data-dir <other folder> or --memory`,
      );
    }
  }
  writePrivateFile(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
}

/** Empties the emulators' folders (--reset); only after lockDataDir. */
export function resetDataDir(dataDir: string): void {
  for (const sub of EMULATOR_DIRS) rmSync(join(dataDir, sub), { recursive: true, force: true });
}

/**
 * The emulators' folders created 0700 before the emulators open them, and everything
 * already in the data folder tightened: folders 0700, files 0600 (symbolic links are left
 * alone, and not followed).
 */
export function tightenDataDir(dataDir: string): void {
  for (const sub of EMULATOR_DIRS) {
    const dir = join(dataDir, sub);
    if (!existsSync(dir)) mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  }
  const walk = (dir: string) => {
    chmodSync(dir, PRIVATE_DIR_MODE);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) chmodSync(path, PRIVATE_FILE_MODE);
    }
  };
  if (lstatSync(dataDir).isDirectory()) walk(dataDir);
}

/** A file only the user can read (created so, and tightened if it existed). */
export function writePrivateFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: PRIVATE_FILE_MODE });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync never returns on some
 * paths (measured: /proc/<new>), where a plain mkdir fails at once. Each level it
 * creates is 0700.
 */
function makeDirs(dir: string): void {
  const parent = dirname(dir);
  if (parent !== dir && !existsSync(parent)) makeDirs(parent);
  if (!existsSync(dir)) mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
