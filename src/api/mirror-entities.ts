import type { MirrorReadStore } from '../store/mirror-store.ts';

/** The one-way CRM entities every installation mirrors (B1.2). */
export const builtInMirrorEntities: readonly string[] = ['account', 'systemuser', 'team', 'opportunity'];

/**
 * The built-ins, always (an empty mirror is still a known entity), plus every custom entity the sync has
 * written rows of.
 */
export async function mirroredEntities(
  mirror: Pick<MirrorReadStore, 'listMirrorEntities'>,
): Promise<readonly string[]> {
  const stored = await mirror.listMirrorEntities();
  return [...new Set([...builtInMirrorEntities, ...stored])];
}
