/**
 * Well-known identities and ids of the emulated organisation (interfaces.md §7). Tests and demo mode import
 * these instead of discovering them; they never change between runs or seeds.
 */
export const emulatorFixtures = {
  defaultSyncToken: 'emulator-sync-token',
  defaultAdminToken: 'emulator-admin-token',
  organizationId: '4faf1f34-f06d-e511-80d0-00155db07cb1',
  organizationName: 'syncline-emulator',
  tenantId: '7a3b9c2d-0e1f-4a5b-8c6d-7e8f9a0b1c2d',
  businessUnitId: 'ded5a64f-f06d-e511-80d0-00155db07cb1',
  /** The sync user: an application user, subject to field-level security. */
  syncUserId: 'd96e9f55-f06d-e511-80d0-00155db07cb1',
  syncUserApplicationId: '51f81489-12ee-4a9e-aaae-a2591f45987d',
  /** A System Administrator (a person working in the CRM, in tests). */
  adminUserId: 'a1a1a1a1-0000-4000-8000-000000000001',
  salesUserIds: [
    'b2b2b2b2-0000-4000-8000-000000000001',
    'b2b2b2b2-0000-4000-8000-000000000002',
    'b2b2b2b2-0000-4000-8000-000000000003',
  ],
  salesTeamId: 'c3c3c3c3-0000-4000-8000-000000000001',
  usdCurrencyId: 'e4e4e4e4-0000-4000-8000-000000000001',
  /** Dataverse's own System Administrator field security profile id (reference §8). */
  systemAdministratorProfileId: '572329c1-a042-4e22-be47-367c6374ea45',
  /** The profile the sync user is in; it grants nothing on `contact.new_creditscore`. */
  syncProfileId: 'f5f5f5f5-0000-4000-8000-000000000001',
  sdkMessageIds: {
    Create: '9ebdbb1b-ea3e-db11-86a7-000a3a5473e8',
    Update: '20bebb1b-ea3e-db11-86a7-000a3a5473e8',
    Delete: '21bebb1b-ea3e-db11-86a7-000a3a5473e8',
  },
  /**
   * The bulk messages' `sdkmessages` rows (emulator ids). Their `sdkmessagefilters` rows say on which tables
   * they are available (`PUT /_emulator/bulk` removes them per table).
   */
  bulkMessageIds: {
    CreateMultiple: '6a1e0c52-7d1b-4c6e-9f3a-0b6f2c1d9e01',
    UpdateMultiple: '6a1e0c52-7d1b-4c6e-9f3a-0b6f2c1d9e02',
  },
} as const;

/**
 * The systemuser id of the `index`-th application user (`--token a,b,…`, interfaces.md §3): the first is the sync
 * user of `syncUserId`; each further one an application user of its own, with the sync user's field security
 * profile and its own service-protection limits (they are per user).
 */
export function syncUserIdAt(index: number): string {
  if (index === 0) return emulatorFixtures.syncUserId;
  return `d96e9f55-f06d-e511-80d0-${(0x00155db07cb1 + index).toString(16).padStart(12, '0')}`;
}

/** The Entra ID application (client) id of the `index`-th application user. */
export function syncUserApplicationIdAt(index: number): string {
  if (index === 0) return emulatorFixtures.syncUserApplicationId;
  return `51f81489-12ee-4a9e-aaae-${(0xa2591f45987d + index).toString(16).padStart(12, '0')}`;
}
