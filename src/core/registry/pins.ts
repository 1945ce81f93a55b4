// Pinned issuer keys: `trust pin` stores the key the registry served, after the user saw its fingerprint, in
// {configDir}/pins.json; the server trusts them next to --trust-key. The file is private (0600, directory 0700),
// written atomically (temp file + rename, so two writers or a crash never leave half a file), never read or
// written through a symlink, and every key in it is re-validated on read: a corrupt or tampered file is a clear
// error, never a crash and never a trusted key. A change (pin, remove) is a read-modify-write under a lock file, so
// two commands run at once each keep the other's pin instead of the last write silently winning.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { readRegularFile, SafeReadError } from '../safe-file.js';
import { decodeUtf8, parseStrictJson } from '../strict-json.js';
import { trustedKeyFromRaw, type TrustedKey } from '../passport/trust.js';

export const PINS_FILE = 'pins.json';
const MAX_PINS_BYTES = 1024 * 1024;
const MAX_PINS = 1000;
/** An issuer name: what passports carry in `signedBy`; no whitespace, control, invisible characters, `=` or `,`
 * (which would break `ISSUER=KEY` lists). */
export const ISSUER_PATTERN = /^[^\s\p{Cc}\p{Cf}=,]{1,256}$/u;

export interface Pin {
  issuer: string;
  /** The raw 32-byte key, standard base64. */
  key: string;
  /** SHA256:<base64url> of the raw key, as shown when it was pinned. */
  fingerprint: string;
  /** The URL the key was fetched from. */
  origin: string;
  /** ISO time of pinning. */
  pinnedAt: string;
}

/** The pins file is unreadable, corrupt, unsafe, or cannot be written; the message says what to do. */
export class PinsError extends ConfigError {}

export function pinsPath(configDir: string): string {
  return path.join(configDir, PINS_FILE);
}

export function checkIssuer(issuer: string): string {
  if (!ISSUER_PATTERN.test(issuer))
    throw new PinsError(`"${issuer.slice(0, 60)}" is not a valid issuer name (as in a passport's signedBy: no spaces, "=" or ",")`);
  return issuer;
}

/** A pin's key as a trusted key (`key_source: pinned`); throws PinsError when the pin does not hold together. */
export function pinToKey(pin: Pin): TrustedKey {
  const raw = Buffer.from(pin.key, 'base64');
  if (raw.toString('base64') !== pin.key) throw new PinsError(`the pin for ${pin.issuer} holds a key that is not canonical base64`);
  let key: TrustedKey;
  try {
    key = trustedKeyFromRaw(pin.issuer, raw, 'pinned');
  } catch (err) {
    throw new PinsError(`the pin for ${pin.issuer} holds an unusable key: ${(err as Error).message}`);
  }
  // Security: the fingerprint the user approved must be the key's; a mismatch means the file was edited.
  if (key.fingerprint !== pin.fingerprint)
    throw new PinsError(`the pin for ${pin.issuer} has fingerprint ${pin.fingerprint.slice(0, 60)}, but its key's is ${key.fingerprint}`);
  return key;
}

function corrupt(file: string, why: string): PinsError {
  return new PinsError(`the pins file ${file} is unusable (${why}); fix it, or delete it and pin again with "passport-mcp trust pin ISSUER"`);
}

async function checkDir(configDir: string): Promise<boolean> {
  let st;
  try {
    st = await lstat(configDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PinsError(`cannot read the config directory ${configDir}: ${(err as Error).message}`);
  }
  // Security: pins must not be read from or written to a directory somebody pointed elsewhere.
  if (st.isSymbolicLink())
    throw new PinsError(`the config directory ${configDir} is a symlink; pins are never read or written through one (use --config-dir with the real path)`);
  if (!st.isDirectory()) throw new PinsError(`the config path ${configDir} is not a directory`);
  return true;
}

/** The pins in {configDir}/pins.json, in file order; none when the file does not exist. Throws PinsError. */
export async function readPins(configDir: string): Promise<Pin[]> {
  if (!(await checkDir(configDir))) return [];
  const file = pinsPath(configDir);
  let bytes: Buffer;
  try {
    // Security: O_NOFOLLOW (a symlinked pins file is refused), size cap, no FIFO.
    bytes = await readRegularFile(file, {
      maxBytes: MAX_PINS_BYTES,
      noFollow: true,
      check: (st) => {
        // Security: a pins file others can write lets them choose which keys this user trusts (ssh refuses the
        // same). Checked on the opened file, so a swap after the check changes nothing.
        if (process.platform !== 'win32' && st.mode & 0o022) {
          throw corrupt(file, `it is writable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`);
        }
      },
    });
  } catch (err) {
    if (err instanceof PinsError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ELOOP') throw corrupt(file, 'it is a symlink; pins are never read through one');
    if (err instanceof SafeReadError) throw corrupt(file, err.message);
    throw new PinsError(`cannot read the pins file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseStrictJson(decodeUtf8(bytes), { maxBytes: MAX_PINS_BYTES, maxDepth: 8 });
  } catch (err) {
    throw corrupt(file, `not JSON: ${(err as Error).message}`);
  }
  const pins = (doc as { pins?: unknown } | null)?.pins;
  if (typeof doc !== 'object' || doc === null || (doc as { version?: unknown }).version !== 1 || !Array.isArray(pins)) {
    throw corrupt(file, 'expected { "version": 1, "pins": [...] }');
  }
  if (pins.length > MAX_PINS) throw corrupt(file, `${pins.length} pins, over ${MAX_PINS}`);
  const out: Pin[] = [];
  for (const [i, p] of pins.entries()) {
    const ok =
      typeof p === 'object' &&
      p !== null &&
      ['issuer', 'key', 'fingerprint', 'origin', 'pinnedAt'].every(
        (k) => typeof (p as Record<string, unknown>)[k] === 'string' && (p as Record<string, string>)[k]!.length <= 4096,
      );
    if (!ok) throw corrupt(file, `pins[${i}] needs string issuer, key, fingerprint, origin and pinnedAt`);
    const pin = p as Pin;
    if (!ISSUER_PATTERN.test(pin.issuer)) throw corrupt(file, `pins[${i}] has an invalid issuer`);
    if (out.some((o) => o.issuer === pin.issuer)) throw corrupt(file, `two pins for ${pin.issuer}`);
    out.push({ issuer: pin.issuer, key: pin.key, fingerprint: pin.fingerprint, origin: pin.origin, pinnedAt: pin.pinnedAt });
  }
  return out;
}

/** How long a change waits for another one to finish, and when a lock left by a crashed process is taken over. */
const LOCK_WAIT_MS = 10_000;
const STALE_LOCK_MS = 30_000;

/**
 * Changes the pins: `change` gets the pins as they are now (read under the lock) and returns the new list, or
 * throws to write nothing. Only one change runs at a time per config directory, across processes: the lock is
 * {configDir}/.pins.json.lock, created exclusively and removed when done; a lock older than STALE_LOCK_MS (a
 * crashed writer; a change holds it for milliseconds) is taken over. Returns the pins written.
 */
export async function updatePins(configDir: string, change: (current: Pin[]) => Pin[], opts: { waitMs?: number } = {}): Promise<Pin[]> {
  await ensureDir(configDir);
  const lock = path.join(configDir, `.${PINS_FILE}.lock`);
  const deadline = Date.now() + (opts.waitMs ?? LOCK_WAIT_MS);
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      // Security: O_EXCL|O_NOFOLLOW, as for the temporary file below.
      await (await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new PinsError(`cannot lock the pins file (${lock}): ${(err as Error).message}`);
    }
    const since = await stat(lock).then(
      (st) => st.mtimeMs,
      () => undefined,
    );
    if (since !== undefined && Date.now() - since > STALE_LOCK_MS) {
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new PinsError(
        `another passport-mcp is changing the pins (${lock} exists); nothing was written. Try again; if no other passport-mcp is running, remove that file.`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  try {
    const next = change(await readPins(configDir));
    await replacePins(configDir, next);
    return next;
  } finally {
    await rm(lock, { force: true }).catch(() => undefined);
  }
}

async function ensureDir(configDir: string): Promise<void> {
  try {
    // Security: a directory created here is private to the user.
    await mkdir(configDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PinsError(`cannot create the config directory ${configDir}: ${(err as Error).message}`);
  }
  await checkDir(configDir);
}

/** Every pin as a trusted key; throws PinsError on the first pin that does not hold together. */
export async function loadPinnedKeys(configDir: string): Promise<TrustedKey[]> {
  return (await readPins(configDir)).map(pinToKey);
}

/** Replaces the pins file with `pins`, atomically. Throws PinsError. A change to the pins goes through updatePins. */
export async function writePins(configDir: string, pins: readonly Pin[]): Promise<void> {
  await ensureDir(configDir);
  await replacePins(configDir, pins);
}

/** Writes a temporary file and renames it over pins.json (the directory is checked by the caller). */
async function replacePins(configDir: string, pins: readonly Pin[]): Promise<void> {
  const file = pinsPath(configDir);
  const tmp = path.join(configDir, `.${PINS_FILE}.${randomBytes(8).toString('hex')}.tmp`);
  const body = `${JSON.stringify({ version: 1, pins: [...pins].sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : 0)) }, null, 2)}\n`;
  try {
    // Security: O_EXCL|O_NOFOLLOW: the temporary name cannot be a pre-planted file or link; 0600 from the start.
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      await fh.writeFile(body, 'utf8');
      await fh.chmod(0o600); // whatever the umask
      await fh.sync();
    } finally {
      await fh.close();
    }
    // rename replaces pins.json itself (a link there is replaced, never followed) in one step.
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new PinsError(`cannot write the pins file ${file}: ${(err as Error).message}`);
  }
}
