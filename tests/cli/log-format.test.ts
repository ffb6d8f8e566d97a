import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';

/**
 * SYNCLINE_LOG_FORMAT in the real binary (interfaces.md §2): `syncline emulator` logs "emulator ready" at info
 * once it listens. Its stdout is a pipe here, not a terminal, so JSON is the default; `pretty` gives one
 * readable line per event; a wrong value stops the process with CONFIG_INVALID.
 */
async function readyLine(format: string | undefined): Promise<{ line: string; stdout: string[] }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SYNCLINE_LOG_LEVEL: 'info' };
  delete env.SYNCLINE_LOG_FORMAT;
  if (format !== undefined) env.SYNCLINE_LOG_FORMAT = format;
  const child = spawn(process.execPath, ['src/main.ts', 'emulator', '--port', '0', '--seed', 'empty'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stdout: string[] = [];
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stdout.join('\n')}`)));
      createInterface({ input: child.stdout! }).on('line', (text) => {
        stdout.push(text);
        if (text.includes('emulator ready')) resolve(text);
      });
    });
    return { line, stdout };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

test('not a terminal and no SYNCLINE_LOG_FORMAT → JSON lines', async () => {
  const { line } = await readyLine(undefined);
  const event = JSON.parse(line);
  assert.equal(event.msg, 'emulator ready');
  assert.equal(typeof event.url, 'string');
});

test('SYNCLINE_LOG_FORMAT=pretty → one readable line per event, no JSON', async () => {
  const { line, stdout } = await readyLine('pretty');
  assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: emulator ready · url=http:\/\/127\.0\.0\.1:\d+ /);
  assert.doesNotMatch(line, /[{}]/);
  for (const text of stdout) assert.throws(() => JSON.parse(text), `not JSON: ${text}`);
});

test('SYNCLINE_LOG_FORMAT=yaml → exit 1 with CONFIG_INVALID naming the setting', async () => {
  const child = spawn(process.execPath, ['src/main.ts', 'migrate'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, SYNCLINE_LOG_FORMAT: 'yaml', SYNCLINE_DB: 'sqlite::memory:' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = await once(child, 'exit');
  assert.notEqual(code, 0);
  assert.match(output, /CONFIG_INVALID/);
  assert.match(output, /SYNCLINE_LOG_FORMAT must be pretty or json/);
});
