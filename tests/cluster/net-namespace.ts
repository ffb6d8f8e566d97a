import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A network namespace joined to this host by a veth pair (`ip netns` + veth, as root): a process started under
 * `wrapper` reaches the host only through `hostIp`, and `cut()` takes the link down — a network partition whose
 * TCP connections stay open, silent, and resume when `restore()` brings the link back.
 */
export interface NetNamespace {
  readonly name: string;
  /** The host side's address, where the namespace reaches this host. */
  readonly hostIp: string;
  /** The namespace side's address, where this host reaches processes in it. */
  readonly nsIp: string;
  /** The command prefix that runs a program inside the namespace. */
  readonly wrapper: readonly string[];
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Deletes the namespace and the veth pair; safe to call more than once and after a failed creation. */
  remove(): Promise<void>;
}

/** Why a network namespace cannot be made here (not root, no `ip`), or undefined when it can. */
export function netNamespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace (ip netns)';
  if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((path) => existsSync(path)))
    return 'needs the ip command (iproute2)';
  return undefined;
}

export async function createNetNamespace(): Promise<NetNamespace> {
  // Names from the pid: interface names have at most 15 characters, and parallel runs must not collide.
  const tag = String(process.pid);
  const subnet = `10.200.${(process.pid % 250) + 1}`;
  const name = `syncline-${tag}`;
  const hostLink = `slh${tag}`;
  const nsLink = `sln${tag}`;
  const hostIp = `${subnet}.1`;
  const nsIp = `${subnet}.2`;
  const ip = (...args: string[]) => run('ip', args);
  const inside = (...args: string[]) => run('ip', ['netns', 'exec', name, 'ip', ...args]);
  const remove = async () => {
    await ip('link', 'del', hostLink).catch(() => undefined);
    await ip('netns', 'del', name).catch(() => undefined);
  };
  await remove();
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink);
    await ip('link', 'set', nsLink, 'netns', name);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostLink);
    await ip('link', 'set', hostLink, 'up');
    await inside('addr', 'add', `${nsIp}/30`, 'dev', nsLink);
    await inside('link', 'set', nsLink, 'up');
    await inside('link', 'set', 'lo', 'up');
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    name,
    hostIp,
    nsIp,
    wrapper: ['ip', 'netns', 'exec', name],
    cut: async () => {
      await ip('link', 'set', hostLink, 'down');
    },
    restore: async () => {
      await ip('link', 'set', hostLink, 'up');
    },
    remove,
  };
}
