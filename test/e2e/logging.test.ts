// MCP logging: log lines are mirrored to the client as notifications/message, and logging/setLevel is honoured.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { CLI, cleanEnv } from '../support/spawn.js';

type Msg = LoggingMessageNotification['params'];

describe('MCP logging', () => {
  let client: Client;
  const messages: Msg[] = [];
  let badFile: string;

  beforeAll(async () => {
    badFile = join(mkdtempSync(join(tmpdir(), 'passport-logging-')), 'broken.passport.json');
    writeFileSync(badFile, '{ "passport": ');
    client = new Client({ name: 'logging-test', version: '0' });
    // Registered before connecting: the load (and its warnings) starts as soon as the transport is up.
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push(n.params);
    });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--passports', badFile], env: cleanEnv(), stderr: 'pipe' }));
  });
  afterAll(async () => client?.close());

  const waitFor = async (pred: (m: Msg) => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const m = messages.find(pred);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no such log message; got ${JSON.stringify(messages)}`);
  };

  it('mirrors the startup lines: a warning for a bad passport file, then "loaded N passports"', async () => {
    const warn = await waitFor((m) => m.level === 'warning' && String(m.data).includes('broken.passport.json'));
    expect(warn.logger).toBe('passport-mcp');
    const info = await waitFor((m) => m.level === 'info' && /loaded 1 passport/.test(String(m.data)));
    expect(String(info.data)).toMatch(/skipped 1 source/);
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
