import type { SyncAdmin, SyncStatus } from '../engine/engine.ts';
import type { FlowActions, FlowActionStats } from './flow-service.ts';

/** The status of interfaces.md §4 plus flow-action throughput, counted apart from passes (B6.5, B7.4). */
export type SyncStatusWithFlows = SyncStatus & { readonly flowActions: FlowActionStats };

/**
 * The engine's administration port with `flowActions` added to every status it answers (status, enable,
 * disable). Everything else goes straight through.
 */
export function withFlowStatus(admin: SyncAdmin, flows: Pick<FlowActions, 'stats'>): SyncAdmin {
  const withFlows = async (status: SyncStatus): Promise<SyncStatus> => {
    const extended: SyncStatusWithFlows = { ...status, flowActions: await flows.stats() };
    return extended;
  };
  return {
    status: async () => withFlows(await admin.status()),
    setEnabled: async (enabled) => withFlows(await admin.setEnabled(enabled)),
    requestPass: () => admin.requestPass(),
    listPasses: (page) => admin.listPasses(page),
    resync: (target) => admin.resync(target),
    preview: () => admin.preview(),
    listFields: () => admin.listFields(),
    saveFields: (selection) => admin.saveFields(selection),
    listErrors: (query) => admin.listErrors(query),
    retryError: (id) => admin.retryError(id),
    listConflicts: (query) => admin.listConflicts(query),
    listNotifications: (page) => admin.listNotifications(page),
  };
}
