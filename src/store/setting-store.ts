/**
 * Small key/value settings that outlive a process: the hashed API key, whether the sync is enabled, whether
 * the initial load finished. Values are opaque strings; a key is created by its first `setSetting`. Part of
 * `Store` (store.ts).
 */
export interface SettingStore {
  /** Undefined when the key was never set. */
  getSetting(key: string): Promise<string | undefined>;
  /** Creates or overwrites; last write wins across processes. */
  setSetting(key: string, value: string): Promise<void>;
}
