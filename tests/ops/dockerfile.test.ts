import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { dockerfileText, readImageSpec, repositoryRoot } from './dockerfile-image.ts';

// Issue 15, item 5: where no Docker daemon runs (as here), the image's exact command runs as a process with the
// image's environment, and the Dockerfile is linted. Where one runs: `docker build -t syncline .`.

const image = readImageSpec();

/** dockerfile-utils (the Docker language server's validator) with every optional rule raised to an error. */
function lint(text: string) {
  const error = ValidationSeverity.ERROR;
  return validate(text, {
    deprecatedMaintainer: error,
    directiveCasing: error,
    emptyContinuationLine: error,
    instructionCasing: error,
    instructionCmdMultiple: error,
    instructionEntrypointMultiple: error,
    instructionHealthcheckMultiple: error,
    instructionJSONInSingleQuotes: error,
    instructionWorkdirRelative: error,
  });
}

describe('the Dockerfile', () => {
  test('lints clean with dockerfile-utils', () => {
    const problems = lint(dockerfileText).map(
      (problem) => `line ${problem.range.start.line + 1}: ${problem.message}`,
    );
    assert.deepEqual(problems, []);
  });

  test('the linter does find problems (so a clean result means something)', () => {
    const broken = dockerfileText
      .replace(/^EXPOSE .*$/m, 'EXPOSE eighty')
      .replace(/^HEALTHCHECK --interval=\S+/m, 'HEALTHCHECK --interval=15');
    const messages = lint(broken).map((problem) => problem.message);
    assert.equal(messages.length, 2, messages.join('; '));
  });

  test('Node 24 slim, a non-root user, exec-form entrypoint `syncline start`, a health check on /health', () => {
    assert.ok(image.bases.length > 0);
    for (const base of image.bases) assert.equal(base, 'node:24-slim');
    assert.ok(image.user !== undefined && !['root', '0'].includes(image.user), `USER ${image.user}`);
    assert.deepEqual(image.entrypoint, ['node', 'bin/syncline.js'], 'ENTRYPOINT in exec form');
    assert.deepEqual(image.cmd, ['start'], 'CMD in exec form');
    assert.equal(image.workdir, '/app');
    assert.equal(image.env.SYNCLINE_HOST, '0.0.0.0', 'reachable from outside the container');
    assert.deepEqual(image.exposed, [image.env.SYNCLINE_PORT]);
    assert.ok(image.healthcheck?.command !== undefined, 'HEALTHCHECK CMD in exec form');
    assert.match(image.healthcheck.command.join(' '), /\/health\b/);
  });
});

describe('the image’s command, run as a process', () => {
  test('starts with the image’s ENV, answers /ready and /health and its HEALTHCHECK, and stops cleanly on SIGTERM', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'syncline-image-'));
    const port = await freePort();
    // The image's environment, with only what must differ on a shared machine: a database of this test's own
    // and free ports (the API, and demo mode's embedded emulator — no SYNCLINE_DYNAMICS_URL in the image).
    const environment = {
      ...withoutSynclineVariables(process.env),
      ...image.env,
      SYNCLINE_DB: `sqlite:${join(directory, 'syncline.db')}`,
      SYNCLINE_PORT: String(port),
      SYNCLINE_EMULATOR_PORT: String(await freePort()),
    };
    const [program, ...args] = [...image.entrypoint!, ...image.cmd!];
    assert.equal(program, 'node');
    // `node` is the image's Node 24; here, the one running this test (the machine's own may be older).
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, env: environment });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, 60_000, child, output);
      const ready = await fetch(`${base}/ready`);
      assert.equal(((await ready.json()) as { status: string }).status, 'ready');
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      assert.equal(await runHealthcheck(environment), 0, 'the HEALTHCHECK command passes');

      child.kill('SIGTERM');
      const [code, signal] = await Promise.race([
        exited,
        sleep(60_000, undefined, { ref: false }).then(() => {
          throw new Error('no exit within 60 s of SIGTERM');
        }),
      ]);
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, output.join(''));
      assert.equal(await runHealthcheck(environment), 1, 'the HEALTHCHECK command fails once it stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    }
  });
});

/** Runs the Dockerfile's HEALTHCHECK command as Docker would (its `node` = this test's); its exit code. */
async function runHealthcheck(environment: NodeJS.ProcessEnv): Promise<number | null> {
  const [program, ...args] = image.healthcheck!.command!;
  assert.equal(program, 'node');
  const check = spawn(process.execPath, args, { env: environment, stdio: 'ignore' });
  const [code] = (await once(check, 'exit')) as [number | null];
  return code;
}

function withoutSynclineVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SYNCLINE_')));
}

async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  child: ChildProcess,
  output: readonly string[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) assert.fail(`exited with ${child.exitCode}:\n${output.join('')}`);
    if (await condition().catch(() => false)) return;
    await sleep(200);
  }
  assert.fail(`not ready within ${timeoutMs} ms:\n${output.join('')}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
