// The registry client over real TLS: a loopback https registry with a throwaway self-signed certificate (made with
// the openssl CLI at test time; nothing is committed). Proves that a redirect from https to plain http is refused
// before any request is made, and that an https redirect on the same host is followed.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryFetcher } from '../../src/core/passport/remote.js';
import { SEED } from '../support/spawn.js';

describe('registry over https', () => {
  let server: Server;
  let base: string;
  let previous: Dispatcher;
  const hits: string[] = [];
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'passport-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const doc = JSON.parse(readFileSync(SEED, 'utf8'));
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      hits.push(req.url ?? '');
      const port = (server.address() as AddressInfo).port;
      if (req.url === '/api/v1/passport/downgrade') res.writeHead(302, { location: `http://127.0.0.1:${port}/api/v1/passport/downgrade-target` }).end();
      else if (req.url === '/api/v1/passport/moved') res.writeHead(301, { location: '/api/v2/passport/moved' }).end();
      else if (req.url === '/api/v2/passport/moved' || req.url === `/api/v1/passport/${doc.passport.unfragile.artifact.slug}`) {
        const body = structuredClone(doc);
        if (req.url.endsWith('/moved')) body.passport.unfragile.artifact.slug = 'moved';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    // Trust the throwaway certificate for this process's undici requests only.
    previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: readFileSync(cert) } }));
  });
  afterAll(async () => {
    setGlobalDispatcher(previous);
    server?.close();
  });

  it('fetches a passport over TLS', async () => {
    const p = await createRegistryFetcher({ baseUrl: base })('mistralai-mistral-small-3.1-24b-instruct');
    expect(p.slug).toBe('mistralai-mistral-small-3.1-24b-instruct');
  });

  it('refuses a redirect from https to http, even to the same host and port, without requesting it', async () => {
    await expect(createRegistryFetcher({ baseUrl: base })('downgrade')).rejects.toThrow(/from https to http; refused/);
    expect(hits).not.toContain('/api/v1/passport/downgrade-target');
  });

  it('follows an https redirect on the same host', async () => {
    const p = await createRegistryFetcher({ baseUrl: base })('moved');
    expect(p.slug).toBe('moved');
    expect(hits).toContain('/api/v2/passport/moved');
  });
});
