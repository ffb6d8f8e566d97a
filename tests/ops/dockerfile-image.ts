import { readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

/** The repository root: the build context, and what the image's WORKDIR (/app) holds. */
export const repositoryRoot = new URL('../../', import.meta.url).pathname;

export const dockerfileText = readFileSync(new URL('Dockerfile', `file://${repositoryRoot}`), 'utf8');

/** What the image runs, read from the Dockerfile's final stage (the one `docker build` tags). */
export interface ImageSpec {
  /** Every stage's base image, in order. */
  readonly bases: readonly string[];
  readonly workdir: string | undefined;
  readonly user: string | undefined;
  /** ENV of the final stage, in order (later ones win). */
  readonly env: Readonly<Record<string, string>>;
  readonly exposed: readonly string[];
  /** ENTRYPOINT and CMD in exec (JSON) form; undefined when missing or in shell form. */
  readonly entrypoint: readonly string[] | undefined;
  readonly cmd: readonly string[] | undefined;
  /** HEALTHCHECK: its flags and its command in exec form (after `CMD`). */
  readonly healthcheck: { flags: Record<string, string>; command: readonly string[] | undefined } | undefined;
}

/** Parses the Dockerfile with dockerfile-ast (the parser of the Docker language server), not by hand. */
export function readImageSpec(text: string = dockerfileText): ImageSpec {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const lastFrom = froms.at(-1)?.getRange().start.line ?? 0;
  const final = dockerfile.getInstructions().filter((i) => i.getRange().start.line >= lastFrom);
  const last = (keyword: string): Instruction | undefined =>
    final.filter((i) => i.getKeyword() === keyword).at(-1);
  const env: Record<string, string> = {};
  for (const instruction of dockerfile.getENVs()) {
    if (instruction.getRange().start.line < lastFrom) continue;
    for (const property of instruction.getProperties()) env[property.getName()] = property.getValue() ?? '';
  }
  const healthcheck = dockerfile.getHEALTHCHECKs().find((i) => i.getRange().start.line >= lastFrom);
  return {
    bases: froms.map((from) => from.getImage() ?? ''),
    workdir: last('WORKDIR')?.getArgumentsContent() ?? undefined,
    user: last('USER')?.getArgumentsContent() ?? undefined,
    env,
    exposed: final
      .filter((i) => i.getKeyword() === 'EXPOSE')
      .flatMap((i) => i.getArguments().map((a) => a.getValue())),
    entrypoint: execForm(last('ENTRYPOINT')),
    cmd: execForm(last('CMD')),
    healthcheck:
      healthcheck === undefined
        ? undefined
        : {
            flags: Object.fromEntries(
              healthcheck.getFlags().map((flag) => [flag.getName(), flag.getValue() ?? '']),
            ),
            command: jsonArray(
              healthcheck.getArgumentsContent()?.replace(/^(--\S+\s+)*CMD\s+/, '') ?? undefined,
            ),
          },
  };
}

function execForm(instruction: Instruction | undefined): readonly string[] | undefined {
  return jsonArray(instruction?.getArgumentsContent() ?? undefined);
}

function jsonArray(text: string | undefined): readonly string[] | undefined {
  if (text === undefined || !text.trim().startsWith('[')) return undefined;
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) && value.every((part) => typeof part === 'string') ? value : undefined;
}
