import { emulatorFixtures as f, syncUserApplicationIdAt, syncUserIdAt } from '../emulator-fixtures.ts';
import { metadataId } from '../metadata/metadata-id.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row, Value } from '../state/row.ts';
import type { Table } from '../state/table.ts';
import {
  cities,
  companySuffixes,
  companyWords,
  firstNames,
  jobTitles,
  lastNames,
  products,
  streets,
} from './demo-names.ts';
import { SeedRandom } from './seed-random.ts';

export interface SeedOptions {
  readonly seed: 'demo' | 'empty';
  readonly contacts?: number;
  readonly leads?: number;
  readonly accounts?: number;
  /** Application users to create (`--token a,b`): the sync user and the others (default 1). */
  readonly syncUsers?: number;
}

/** Demo sizes when no flag says otherwise: small enough to read in a second, large enough to page. */
export const demoDefaults = { contacts: 50, leads: 30, accounts: 10 } as const;

/** `new_subscription` rows the demo seed makes for `contacts` contacts (one per five). */
export const demoSubscriptions = (contacts: number): number => Math.ceil(contacts / 5);

const day = 86_400_000;
/** Demo rows are created in the year before this instant (fixed, so the data set is deterministic). */
const epoch = Date.UTC(2025, 0, 1);

/**
 * Fills the state with the organisation (business unit, currency, users, team, field security, SDK
 * messages) and, for `demo`, the business data of interfaces.md §7. Rows are built directly, not through
 * the record writer: seeding 1,000,000 contacts must take seconds.
 */
export function seedState(state: EmulatorState, options: SeedOptions): void {
  const random = new SeedRandom(20250101);
  const pending = new Map<string, Row[]>();
  const ins: Insert = (entity, values, createdOn = epoch, owner = [f.adminUserId, 'systemuser']) => {
    let rows = pending.get(entity);
    if (!rows) pending.set(entity, (rows = []));
    rows.push(buildRow(state, state.table(entity), values, createdOn, owner));
  };
  seedOrganization(state, ins, options.syncUsers ?? 1);
  if (options.seed === 'demo') seedBusinessData(random, options, ins);
  // Bulk-loading per table sorts the keys once: far cheaper than 1,000,000 random index inserts.
  for (const [entity, rows] of pending) state.table(entity).load(rows);
}

function seedBusinessData(random: SeedRandom, options: SeedOptions, ins: Insert): void {
  const counts = {
    accounts: options.accounts ?? demoDefaults.accounts,
    contacts: options.contacts ?? demoDefaults.contacts,
    leads: options.leads ?? demoDefaults.leads,
  };
  const owners: [string, string][] = [
    ...f.salesUserIds.map((id): [string, string] => [id, 'systemuser']),
    [f.salesTeamId, 'team'],
  ];
  const created = () => {
    const at = epoch - random.int(1, 365) * day + random.int(0, 86_399) * 1000;
    return at;
  };
  const address = (i: number) => {
    const [city, region, country] = random.pick(cities);
    return {
      address1_line1: `${(i % 9000) + 100} ${random.pick(streets)}`,
      address1_city: city,
      address1_stateorprovince: region,
      address1_postalcode: String(10000 + random.int(0, 89999)),
      address1_country: country,
    };
  };

  const accountIds: string[] = [];
  for (let i = 0; i < counts.accounts; i++) {
    const id = random.guid();
    accountIds.push(id);
    ins(
      'account',
      {
        accountid: id,
        name: `${random.pick(companyWords)} ${random.pick(companySuffixes)} ${i + 1}`,
        accountnumber: `ACC-${String(i + 1).padStart(7, '0')}`,
        ...address(i),
        telephone1: `+1-555-${String(1000000 + i).slice(-7)}`,
        websiteurl: `https://www.company${i + 1}.example.com`,
        industrycode: random.int(1, 33),
        sic: String(random.int(1000, 9999)),
        revenue: random.int(1, 5000) * 10000,
        numberofemployees: random.int(5, 50000),
        accountcategorycode: random.int(1, 2),
        customertypecode: random.pick([3, 3, 3, 8, 5]),
        transactioncurrencyid: f.usdCurrencyId,
      },
      created(),
      random.pick(owners),
    );
  }

  const contactIds: string[] = [];
  for (let i = 0; i < counts.contacts; i++) {
    const id = random.guid();
    contactIds.push(id);
    const first = random.pick(firstNames);
    const last = random.pick(lastNames);
    const withAccount = accountIds.length > 0 && random.chance(0.9);
    ins(
      'contact',
      {
        contactid: id,
        firstname: first,
        lastname: last,
        emailaddress1: `${first}.${last}.${i + 1}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
        jobtitle: random.pick(jobTitles),
        telephone1: `+1-555-${String(2000000 + i).slice(-7)}`,
        mobilephone: random.chance(0.5) ? `+1-556-${String(3000000 + i).slice(-7)}` : null,
        ...address(i),
        parentcustomerid: withAccount ? random.pick(accountIds) : null,
        parentcustomeridtype: withAccount ? 'account' : null,
        preferredcontactmethodcode: random.int(1, 5),
        leadsourcecode: random.int(1, 10),
        donotemail: random.chance(0.05),
        donotbulkemail: random.chance(0.1),
        donotphone: random.chance(0.05),
        new_synctomkto: !random.chance(0.05),
        new_tier: random.chance(0.7) ? 100000000 + random.int(0, 3) : null,
        new_creditscore: random.chance(0.85) ? random.int(300, 850) : null,
        new_interests: random.chance(0.3) ? String(100000000 + random.int(0, 3)) : null,
        statecode: random.chance(0.05) ? 1 : 0,
      },
      created(),
      random.pick(owners),
    );
  }

  for (let i = 0; i < counts.leads; i++) {
    const first = random.pick(firstNames);
    const last = random.pick(lastNames);
    const status = random.pick([1, 1, 2]);
    ins(
      'lead',
      {
        leadid: random.guid(),
        subject: `Interested in ${random.pick(products)}`,
        firstname: first,
        lastname: last,
        emailaddress1: `lead.${first}.${last}.${i + 1}@example.org`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
        companyname: `${random.pick(companyWords)} ${random.pick(companySuffixes)}`,
        jobtitle: random.pick(jobTitles),
        telephone1: `+1-557-${String(4000000 + i).slice(-7)}`,
        ...address(i),
        leadsourcecode: random.int(1, 10),
        leadqualitycode: random.int(1, 3),
        revenue: random.int(1, 500) * 10000,
        numberofemployees: random.int(1, 5000),
        industrycode: random.int(1, 33),
        new_synctomkto: !random.chance(0.1),
        new_tier: random.chance(0.5) ? 100000000 + random.int(0, 3) : null,
        statuscode: status,
        transactioncurrencyid: f.usdCurrencyId,
      },
      created(),
      random.pick(owners),
    );
  }

  const opportunities = Math.max(3, Math.ceil(counts.accounts * 1.5));
  for (let i = 0; i < opportunities && (accountIds.length > 0 || contactIds.length > 0); i++) {
    const toContact = contactIds.length > 0 && (accountIds.length === 0 || i % 2 === 1);
    ins(
      'opportunity',
      {
        opportunityid: random.guid(),
        name: `${random.pick(products)} ${i + 1}`,
        customerid: toContact ? random.pick(contactIds) : random.pick(accountIds),
        customeridtype: toContact ? 'contact' : 'account',
        estimatedvalue: random.int(1, 200) * 1000,
        closeprobability: random.int(10, 90),
        estimatedclosedate: epoch + random.int(10, 180) * day,
        opportunityratingcode: random.int(1, 3),
        transactioncurrencyid: f.usdCurrencyId,
      },
      created(),
      random.pick(owners),
    );
  }

  const subscriptions = demoSubscriptions(contactIds.length);
  for (let i = 0; i < subscriptions; i++) {
    ins(
      'new_subscription',
      {
        new_subscriptionid: random.guid(),
        new_name: `SUB-${String(i + 1).padStart(7, '0')}`,
        new_contactid: random.pick(contactIds),
        new_plan: 100000000 + random.int(0, 2),
        new_startdate: epoch - random.int(1, 700) * day,
        new_monthlyfee: random.pick([19, 49, 199]),
        transactioncurrencyid: f.usdCurrencyId,
      },
      created(),
      random.pick(owners),
    );
  }

  for (let i = 0; i < Math.min(20, contactIds.length); i++) {
    ins(
      'task',
      {
        activityid: random.guid(),
        subject: `Follow up call ${i + 1}`,
        regardingobjectid: contactIds[i],
        regardingobjecttypecode: 'contact',
        scheduledend: epoch + random.int(1, 30) * day,
      },
      created(),
      random.pick(owners),
    );
  }
}

type Insert = (
  entity: string,
  values: Record<string, Value>,
  createdOn?: number,
  owner?: [string, string],
) => void;

function seedOrganization(state: EmulatorState, ins: Insert, syncUsers: number): void {
  ins('businessunit', { businessunitid: f.businessUnitId, name: f.organizationName });
  ins('transactioncurrency', {
    transactioncurrencyid: f.usdCurrencyId,
    currencyname: 'US Dollar',
    isocurrencycode: 'USD',
    currencysymbol: '$',
    exchangerate: 1,
  });
  const user = (id: string, first: string, last: string, email: string, extra: Record<string, Value> = {}) =>
    ins('systemuser', {
      systemuserid: id,
      firstname: first,
      lastname: last,
      internalemailaddress: email,
      domainname: email,
      businessunitid: f.businessUnitId,
      isdisabled: false,
      accessmode: 0,
      ...extra,
    });
  for (let i = 0; i < syncUsers; i += 1) {
    user(
      syncUserIdAt(i),
      '# Syncline',
      i === 0 ? 'Sync' : `Sync ${i + 1}`,
      `syncline-sync${i === 0 ? '' : i + 1}@emulator.example`,
      {
        accessmode: 4,
        applicationid: syncUserApplicationIdAt(i),
        domainname: `${syncUserApplicationIdAt(i)}@emulator.example`,
      },
    );
  }
  user(f.adminUserId, 'Emulator', 'Admin', 'admin@emulator.example', { title: 'System Administrator' });
  const sales = [
    ['Sam', 'Seller'],
    ['Rita', 'Rep'],
    ['Max', 'Manager'],
  ];
  f.salesUserIds.forEach((id, i) =>
    user(id, sales[i][0], sales[i][1], `${sales[i][0].toLowerCase()}@emulator.example`, {
      title: 'Salesperson',
    }),
  );
  ins('team', {
    teamid: f.salesTeamId,
    name: 'Sales Team',
    teamtype: 0,
    businessunitid: f.businessUnitId,
    administratorid: f.adminUserId,
    emailaddress: 'sales-team@emulator.example',
  });

  ins('fieldsecurityprofile', {
    fieldsecurityprofileid: f.systemAdministratorProfileId,
    name: 'System Administrator',
    description: 'Full access to every secured column.',
  });
  ins('fieldsecurityprofile', {
    fieldsecurityprofileid: f.syncProfileId,
    name: 'Marketing Integration',
    description: 'Profile of the Syncline application user.',
  });
  for (const entity of state.catalog.entities.values()) {
    for (const attribute of entity.attributes.filter((a) => a.secured)) {
      const grant = (profile: string, value: number) =>
        ins('fieldpermission', {
          fieldpermissionid: guidFrom(`${profile}/${entity.logicalName}/${attribute.logicalName}`),
          entityname: entity.logicalName,
          attributelogicalname: attribute.logicalName,
          canread: value,
          cancreate: value,
          canupdate: value,
          canreadunmasked: 0,
          fieldsecurityprofileid: profile,
        });
      grant(f.systemAdministratorProfileId, 4);
      grant(f.syncProfileId, 0);
    }
  }
  ins('systemuserprofiles', {
    systemuserprofileid: guidFrom('admin-profile'),
    systemuserid: f.adminUserId,
    fieldsecurityprofileid: f.systemAdministratorProfileId,
  });
  for (let i = 0; i < syncUsers; i += 1) {
    ins('systemuserprofiles', {
      systemuserprofileid: guidFrom(i === 0 ? 'sync-profile' : `sync-profile-${i + 1}`),
      systemuserid: syncUserIdAt(i),
      fieldsecurityprofileid: f.syncProfileId,
    });
  }

  for (const [name, id] of Object.entries(f.sdkMessageIds)) {
    ins('sdkmessage', { sdkmessageid: id, name });
    for (const entity of state.catalog.entities.values()) {
      ins('sdkmessagefilter', {
        sdkmessagefilterid: guidFrom(`filter/${name}/${entity.logicalName}`),
        sdkmessageid: id,
        primaryobjecttypecode: entity.logicalName,
      });
    }
  }
  for (const [name, id] of Object.entries(f.bulkMessageIds)) ins('sdkmessage', { sdkmessageid: id, name });
  for (const values of bulkMessageFilters(state)) ins('sdkmessagefilter', values);
}

/**
 * The `sdkmessagefilters` rows of CreateMultiple and UpdateMultiple: one per table and message, except on the
 * tables `state.bulk.unavailableOn` names. The bulk actions look these rows up, so the query a client makes
 * ("is UpdateMultiple available for contact?") and the actions' answers always agree.
 */
function bulkMessageFilters(state: EmulatorState): Record<string, Value>[] {
  const unavailable = new Set(state.bulk.unavailableOn);
  return Object.entries(f.bulkMessageIds).flatMap(([name, id]) =>
    [...state.catalog.entities.values()]
      .filter((entity) => !unavailable.has(entity.logicalName))
      .map((entity) => ({
        sdkmessagefilterid: guidFrom(`filter/${name}/${entity.logicalName}`),
        sdkmessageid: id,
        primaryobjecttypecode: entity.logicalName,
      })),
  );
}

/**
 * Brings the bulk messages' `sdkmessagefilters` rows in line with `state.bulk` after it changed
 * (`PUT /_emulator/bulk`): removes the rows of tables that lost the messages, adds those of tables that gained
 * them. Each change is an ordinary versioned write (change tracking sees it).
 */
export function syncBulkMessageFilters(state: EmulatorState): void {
  const table = state.table('sdkmessagefilter');
  const wanted = new Map(bulkMessageFilters(state).map((values) => [values.sdkmessagefilterid, values]));
  const bulkIds = new Set<Value>(Object.values(f.bulkMessageIds));
  const messageIndex = table.entity.byName.get('sdkmessageid')!.index;
  for (const [id, row] of [...table.rows]) {
    if (bulkIds.has(row[messageIndex]) && !wanted.has(id)) table.remove(id, state.nextVersion());
  }
  for (const [id, values] of wanted) {
    if (!table.get(id as string))
      table.put(buildRow(state, table, values, epoch, [f.adminUserId, 'systemuser']));
  }
}

/** A deterministic GUID for organisation rows whose ids tests may want to predict. */
export function guidFrom(text: string): string {
  return metadataId('seed', text);
}

function buildRow(
  state: EmulatorState,
  table: Table,
  values: Record<string, Value>,
  createdOn: number,
  owner: [string, string],
): Row {
  const entity = table.entity;
  const row: Row = new Array(entity.columnCount).fill(null);
  for (const attribute of entity.attributes) {
    if (attribute.defaultValue !== undefined) row[attribute.index] = attribute.defaultValue;
  }
  for (const key in values) {
    const attribute = entity.byName.get(key);
    if (!attribute) throw new Error(`Seed: ${entity.logicalName} has no attribute ${key}`);
    row[attribute.index] = values[key];
  }
  const set = (name: string, value: Value) => {
    const attribute = entity.byName.get(name);
    if (attribute && (row[attribute.index] === null || name === 'versionnumber'))
      row[attribute.index] = value;
  };
  if (entity.computedName) {
    row[entity.byName.get(entity.primaryName)!.index] =
      entity.computedName.from
        .map((n) => row[entity.byName.get(n)!.index])
        .filter((v) => v)
        .join(' ') || null;
  }
  const state0 = entity.byName.get('statecode');
  if (state0) {
    set('statecode', 0);
    const defaultStatus = state0.options?.find((o) => o.value === row[state0.index])?.defaultStatus ?? null;
    set('statuscode', defaultStatus);
  }
  set('createdon', createdOn);
  set('modifiedon', Math.min(epoch, createdOn + ((createdOn / 1000) % 30) * day));
  set('createdby', f.adminUserId);
  set('modifiedby', f.adminUserId);
  set('ownerid', owner[0]);
  set('owneridtype', owner[1]);
  set('owningbusinessunit', f.businessUnitId);
  set('versionnumber', state.nextVersion());
  return row;
}
