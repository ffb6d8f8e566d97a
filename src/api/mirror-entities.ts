import type { Store } from '../store/store.ts';

/** The one-way CRM entities every installation mirrors (B1.2). */
export const builtInMirrorEntities: readonly string[] = ['account', 'systemuser', 'team', 'opportunity'];

/**
 * The built-ins, always (an empty mirror is still a known entity), plus every custom entity the sync has
 * written rows of.
 */
export async function mirroredEntities(store: Pick<Store, 'listMirrorEntities'>): Promise<readonly string[]> {
  const stored = await store.listMirrorEntities();
  return [...new Set([...builtInMirrorEntities, ...stored])];
}
