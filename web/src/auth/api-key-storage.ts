/**
 * The API key lives in sessionStorage: it survives a reload but not the closing of the tab, and is never
 * written to localStorage, a cookie or a URL.
 */
const storageKey = 'syncline.apiKey';

export const storedApiKey = (): string | undefined => sessionStorage.getItem(storageKey) ?? undefined;
export const storeApiKey = (key: string): void => sessionStorage.setItem(storageKey, key);
export const forgetApiKey = (): void => sessionStorage.removeItem(storageKey);
