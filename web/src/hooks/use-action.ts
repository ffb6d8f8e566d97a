import { useState } from 'react';
import { describeError } from '../api/api-error.ts';

export type ActionMessage = { readonly tone: 'good' | 'bad'; readonly text: string } | undefined;

/**
 * Runs one operator action at a time: `busy` names the running one (buttons disable themselves), and its
 * outcome — the success text `work` returns, or the API's error — becomes `message`.
 */
export function useAction(after?: () => void) {
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<ActionMessage>(undefined);
  const run = async (name: string, work: () => Promise<string>, failurePrefix = '') => {
    setBusy(name);
    setMessage(undefined);
    try {
      setMessage({ tone: 'good', text: await work() });
    } catch (error) {
      setMessage({ tone: 'bad', text: `${failurePrefix}${describeError(error)}` });
    } finally {
      setBusy(undefined);
      after?.();
    }
  };
  return { busy, message, setMessage, run };
}
