// MCP logging: log lines are mirrored to the client as notifications/message, and logging/setLevel is honoured.
// The built server is spawned for the startup lines and setLevel; where --log-level starts is server behaviour
// and runs in process (test/support/in-process.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { startInProcess } from '../support/in-process.js';
import { CLI, cleanEnv } from '../support/spawn.js';

type Msg = LoggingMessageNotification['params'];

describe('MCP logging', () => {
  let client: Client;
  const messages: Msg[] = [];
  const waiters = new Set<() => void>();
  let badFile: string;

  beforeAll(async () => {
    badFile = join(mkdtempSync(join(tmpdir(), 'passport-logging-')), 'broken.passport.json');
    writeFileSync(badFile, '{ "passport": ');
    client = new Client({ name: 'logging-test', version: '0' });
    // Registered before connecting: the load (and its warnings) starts as soon as the transport is up.
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
      for (const w of waiters) w();
    });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--passports', badFile], env: cleanEnv(), stderr: 'pipe' }));
  });
  afterAll(async () => client?.close());

  /** Resolves with the first message matching `pred`, as soon as it arrives (bounded, for a clear failure). */
  const waitFor = (pred: (m: Msg) => boolean, ms = 15_000) =>
    new Promise<Msg>((resolve, reject) => {
      const check = () => {
        const m = messages.find(pred);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no such log message; got ${JSON.stringify(messages)}`));
      }, ms);
      waiters.add(check);
      check();
    });

  it('mirrors the startup lines: a warning for a bad passport file, then "loaded N passports"', async () => {
    const warn = await waitFor((m) => m.level === 'warning' && String(m.data).includes('broken.passport.json'));
    expect(warn.logger).toBe('passport-mcp');
    const info = await waitFor((m) => m.level === 'info' && /loaded 1 passport/.test(String(m.data)));
    expect(String(info.data)).toMatch(/skipped 1 source/);
  });

  it('sends no debug line to a client that never asked (the default --log-level is info)', async () => {
    await client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'before any setLevel' } });
    // stdio keeps order: a notification sent while handling the request arrives before its response.
    expect(messages.filter((m) => m.level === 'debug')).toEqual([]);
  });

  it('honours logging/setLevel: debug lines arrive only once the client asks for debug', async () => {
    const debugLines = () => messages.filter((m) => m.level === 'debug' && String(m.data).includes('choose_model_for_task'));
    const get = () => client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'describe a photo' } });

    await client.setLoggingLevel('info');
    await get();
    // stdio keeps order: a notification sent while handling the request arrives before its response.
    expect(debugLines()).toHaveLength(0);

    await client.setLoggingLevel('debug');
    await get();
    expect(debugLines()).toHaveLength(1);

    await client.setLoggingLevel('error');
    await get();
    expect(debugLines()).toHaveLength(1);
  });
});

describe('MCP logging: --log-level is where notifications start', () => {
  it('with --log-level debug, a client that never called logging/setLevel gets debug lines; with warning, no info', async () => {
    const run = async (level: string) => {
      const got: Msg[] = [];
      // In process: the same server and the same SDK Client, over the in-memory transport.
      const s = await startInProcess({
        args: ['--log-level', level],
        beforeConnect: (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void got.push(n.params)),
      });
      const c = s.client;
      try {
        // Reading a resource waits for the load, so the "loaded N passports" line has been sent before the answer.
        await c.listResources();
        await c.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'describe a photo' } });
        return got;
      } finally {
        await s.close();
      }
    };
    const debug = await run('debug');
    expect(debug.some((m) => m.level === 'debug' && String(m.data).includes('choose_model_for_task'))).toBe(true);
    const warning = await run('warning');
    expect(warning.filter((m) => m.level === 'debug' || m.level === 'info')).toEqual([]);
  });
});
