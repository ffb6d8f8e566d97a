import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Where the artifacts of seeds with a violation go unless `--artifacts` says otherwise (gitignored). */
export const defaultArtifactsRoot = 'chaos-artifacts';

/**
 * The files of one seed, kept only when the seed has a violation or could not run. A violation may not
 * reproduce on replay (the product's timing varies), so everything needed to diagnose it is written while the
 * evidence exists: the full output of every process (written to files as it comes, in `logs/`), and what the
 * API and the emulator say once the checks have run. The seed writes into a hidden working directory under the
 * root and renames it to `seed-<backend>-<seed>` (with `-2`, `-3`, … if a replay's artifacts are already
 * there) when it keeps it; a clean seed's directory is removed.
 */
export class SeedArtifacts {
  readonly #root: string;
  readonly #name: string;
  readonly #working: string;
  #kept: string | undefined;

  private constructor(root: string, name: string, working: string) {
    this.#root = root;
    this.#name = name;
    this.#working = working;
  }

  static async create(root: string, backend: string, seed: number): Promise<SeedArtifacts> {
    const absolute = resolve(root);
    const name = `seed-${backend}-${seed}`;
    const working = join(absolute, `.${name}-${randomBytes(4).toString('hex')}.running`);
    await mkdir(join(working, 'logs'), { recursive: true });
    return new SeedArtifacts(absolute, name, working);
  }

  /** The file a process's stdout and stderr go to, interleaved as they come (`logs/<name>.log`). */
  logFile(name: string): string {
    return join(this.#working, 'logs', `${name}.log`);
  }

  /** The directory while the seed runs (before `keep`), or where it was kept. */
  get directory(): string {
    return this.#kept ?? this.#working;
  }

  /** Writes `relativePath` in the seed's directory: JSON for objects, the text itself for strings. */
  async write(relativePath: string, content: unknown): Promise<void> {
    const path = join(this.directory, relativePath);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(
      path,
      typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`,
      'utf8',
    );
  }

  /** Moves the working directory to its final name; returns that path. */
  async keep(): Promise<string> {
    if (this.#kept !== undefined) return this.#kept;
    let target = join(this.#root, this.#name);
    for (let suffix = 2; existsSync(target); suffix += 1)
      target = join(this.#root, `${this.#name}-${suffix}`);
    await rename(this.#working, target);
    this.#kept = target;
    return target;
  }

  /** A clean seed: its logs are of no use. */
  async discard(): Promise<void> {
    if (this.#kept === undefined) await rm(this.#working, { recursive: true, force: true });
  }
}
