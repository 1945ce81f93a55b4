// `passport-mcp trust pin ISSUER [--yes] [--replace]`, `trust list [--json]`, `trust remove ISSUER`: pinning an
// issuer's Ed25519 key fetched from {registry}/trust-passport-public-key. Nothing is pinned without the user
// seeing the key's fingerprint and origin and saying yes (on a terminal, or with --yes); a key that differs from
// the pinned one is refused loudly unless --replace. The server trusts pins next to --trust-key (core/app.ts).
import type { AppContext } from '../core/app.js';
import { USER_AGENT } from '../core/version.js';
import { UserInputError } from '../core/errors.js';
import type { Pin } from '../core/registry/pins.js';
import type { CommandIO } from './io.js';

/** `trust pin` found a different key than the pinned one and kept the pin. */
export const EXIT_KEY_CHANGED = 4;

const USAGE = 'usage: passport-mcp trust pin ISSUER [--yes] [--replace] | trust list [--json] | trust remove ISSUER';

export async function trustCommand(app: AppContext, io: CommandIO): Promise<number> {
  const [sub, ...rest] = app.config.args;
  switch (sub) {
    case 'pin':
      return pin(app, io, one(rest, 'pin'));
    case 'list':
      if (rest.length) throw new UserInputError(USAGE);
      return list(app, io);
    case 'remove':
      return remove(app, io, one(rest, 'remove'));
    default:
      throw new UserInputError(sub ? `unknown trust command "${sub.slice(0, 40)}"; ${USAGE}` : USAGE);
  }
}

function one(args: string[], what: string): string {
  if (args.length !== 1) throw new UserInputError(`trust ${what} takes one ISSUER (the name passports carry in signedBy, e.g. unfragile.ai); ${USAGE}`);
  return args[0]!;
}

async function pin(app: AppContext, io: CommandIO, issuerArg: string): Promise<number> {
  const { config } = app;
  const { checkIssuer, pinToKey, readPins, updatePins, pinsPath, PinsError } = await import('../core/registry/pins.js');
  const issuer = checkIssuer(issuerArg);
  if (config.offline) {
    throw new UserInputError(
      `trust pin needs the network: it fetches the key from ${config.registryUrl}/trust-passport-public-key. Run it without --offline (and without PASSPORT_MCP_OFFLINE).`,
    );
  }
  // Read the pins first: a corrupt file is reported before anything is fetched, and never overwritten.
  const pins = await readPins(config.configDir);
  const existing = pins.find((p) => p.issuer === issuer);
  const existingKey = existing ? pinToKey(existing) : undefined;

  const { createRegistryHttp } = await import('../core/registry/http.js');
  const { fetchIssuerKey, PublicKeyError } = await import('../core/registry/public-key.js');
  const http = createRegistryHttp({ baseUrl: config.registryUrl, apiKey: config.registryApiKey, userAgent: USER_AGENT });
  const fetched = await fetchIssuerKey(http, issuer, { timeoutMs: Math.max(config.registryTimeoutMs, 10_000) });
  if (fetched.namedIssuer !== undefined && fetched.namedIssuer !== issuer) {
    throw new PublicKeyError(
      `the key at ${fetched.origin} says it is the key of "${fetched.namedIssuer.slice(0, 80)}", not of "${issuer}"; nothing was pinned`,
    );
  }
  const fp = fetched.key.fingerprint;
  const show = (s: string) => (config.json ? io.err(s) : io.out(s));
  show(`Issuer:      ${issuer}\nFingerprint: ${fp}\nFrom:        ${fetched.origin}\n`);

  if (existingKey && existingKey.fingerprint === fp) {
    if (config.json) io.out(`${JSON.stringify({ issuer, fingerprint: fp, origin: fetched.origin, pinned: true, changed: false })}\n`);
    else io.out(`Already pinned: this is the key pinned for ${issuer} on ${existing!.pinnedAt}. Nothing changed.\n`);
    return 0;
  }
  if (existingKey && !config.replace) {
    // Security: a changed key is what an attacker who took over the registry (or the network) would serve.
    io.err(
      `passport-mcp: THE KEY CHANGED. The registry now serves a different key for ${issuer} than the one pinned.\n` +
        `  pinned:   ${existingKey.fingerprint} (pinned ${existing!.pinnedAt} from ${existing!.origin})\n` +
        `  now:      ${fp} (from ${fetched.origin})\n` +
        `The pin was kept: passports are still checked against the pinned key only. If ${issuer} really rotated its key\n` +
        `(confirm it through a channel other than this registry), run: passport-mcp trust pin ${issuer} --replace\n`,
    );
    return EXIT_KEY_CHANGED;
  }
  if (existingKey) show(`This REPLACES the key pinned for ${issuer}: ${existingKey.fingerprint}\n`);

  if (!config.yes) {
    if (!io.ask) {
      io.err(
        `passport-mcp: not pinned: nothing can be confirmed because stdin is not a terminal. Check the fingerprint above ` +
          `against one ${issuer} publishes elsewhere, then pass --yes to pin it.\n`,
      );
      return 1;
    }
    const answer = (await io.ask(`Trust this key for passports signed by ${issuer}? [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      io.err('Not pinned.\n');
      return 1;
    }
  }
  const entry = { issuer, key: Buffer.from(fetched.key.raw).toString('base64'), fingerprint: fp, origin: fetched.origin, pinnedAt: new Date().toISOString() };
  // Written against the pins as they are now, not as read before the fetch and the question: a pin another command
  // added meanwhile is kept, and one that changed this issuer's pin meanwhile stops this one.
  await updatePins(config.configDir, (current) => {
    const now = current.find((p) => p.issuer === issuer);
    if (now?.fingerprint !== existing?.fingerprint) {
      throw new PinsError(
        `the pin for ${issuer} changed while this command ran (now ${now?.fingerprint ?? 'none'}); nothing was written. Run the command again.`,
      );
    }
    return [...current.filter((p) => p.issuer !== issuer), entry];
  });
  if (config.json)
    io.out(`${JSON.stringify({ issuer, fingerprint: fp, origin: fetched.origin, pinned: true, changed: true, replaced: existingKey?.fingerprint ?? null })}\n`);
  else io.out(`Pinned ${fp} for ${issuer} in ${pinsPath(config.configDir)}. The server trusts it from its next start.\n`);
  return 0;
}

async function list(app: AppContext, io: CommandIO): Promise<number> {
  const { pinToKey, readPins, pinsPath } = await import('../core/registry/pins.js');
  const pins = await readPins(app.config.configDir);
  for (const p of pins) pinToKey(p); // a pin that does not hold together is reported, not listed as trusted
  if (app.config.json) {
    io.out(
      `${JSON.stringify({ pins: pins.map(({ issuer, fingerprint, origin, pinnedAt }) => ({ issuer, fingerprint, origin, pinned_at: pinnedAt })) }, null, 2)}\n`,
    );
    return 0;
  }
  if (!pins.length) {
    io.out(`No pinned issuer keys (${pinsPath(app.config.configDir)}). Pin one with: passport-mcp trust pin ISSUER\n`);
    return 0;
  }
  io.out(`${pins.length} pinned issuer key${pins.length === 1 ? '' : 's'} (${pinsPath(app.config.configDir)}):\n`);
  for (const p of pins) io.out(`  ${p.issuer}  ${p.fingerprint}\n    from ${p.origin}, pinned ${p.pinnedAt}\n`);
  return 0;
}

async function remove(app: AppContext, io: CommandIO, issuerArg: string): Promise<number> {
  const { checkIssuer, updatePins } = await import('../core/registry/pins.js');
  const issuer = checkIssuer(issuerArg);
  let gone: Pin | undefined;
  await updatePins(app.config.configDir, (pins) => {
    gone = pins.find((p) => p.issuer === issuer);
    if (!gone) throw new UserInputError(`no key is pinned for ${issuer} (see passport-mcp trust list)`);
    return pins.filter((p) => p.issuer !== issuer);
  });
  io.out(`Removed the pin for ${issuer} (${gone!.fingerprint}).\n`);
  return 0;
}
