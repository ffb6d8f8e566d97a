import type { CrmRowList } from '../api/types.ts';
import { useResource } from './use-resource.ts';

export interface Owner {
  readonly id: string;
  readonly name: string;
  readonly kind: 'user' | 'team';
}

/** The CRM users and teams a record can be assigned to, from the CRM mirror (B1.2). */
export function useOwners(): { owners: readonly Owner[]; error: unknown } {
  const users = useResource<CrmRowList>('/api/v1/crm/systemuser?limit=500');
  const teams = useResource<CrmRowList>('/api/v1/crm/team?limit=500');
  const text = (value: unknown, fallback: string) =>
    typeof value === 'string' && value !== '' ? value : fallback;
  const owners: Owner[] = [
    ...(users.data?.items ?? [])
      .filter((row) => !row.deleted && row.attributes.isdisabled !== true)
      .map((row) => ({ id: row.id, name: text(row.attributes.fullname, row.id), kind: 'user' as const })),
    ...(teams.data?.items ?? [])
      .filter((row) => !row.deleted)
      .map((row) => ({ id: row.id, name: text(row.attributes.name, row.id), kind: 'team' as const })),
  ];
  return { owners, error: users.error ?? teams.error };
}
