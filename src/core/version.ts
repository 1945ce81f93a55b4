// The package version, read from package.json (the one place it is written; manifest.json is checked against it
// by a test). package.json ships with the npm package and the .mcpb bundle, one level above dist/.
import { createRequire } from 'node:module';

export const PACKAGE_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The User-Agent every outgoing request sends (LLM upstreams and the registry). */
export const USER_AGENT = `passport-mcp/${PACKAGE_VERSION}`;
