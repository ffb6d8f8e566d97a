import type { EntityDefinition } from './entity-definition.ts';
import { MetadataHistory } from './metadata-history.ts';
import { account } from './entities/account.ts';
import { asyncoperation } from './entities/asyncoperation.ts';
import { contact } from './entities/contact.ts';
import { lead } from './entities/lead.ts';
import { businessunit, systemuser, team, transactioncurrency } from './entities/organization-entities.ts';
import {
  sdkmessage,
  sdkmessagefilter,
  sdkmessageprocessingstep,
  serviceendpoint,
} from './entities/plugin-entities.ts';
import { opportunity, task } from './entities/sales-entities.ts';
import { fieldpermission, fieldsecurityprofile, systemuserprofiles } from './entities/security-entities.ts';
import { newSubscription } from './entities/subscription.ts';

/**
 * The emulated organisation's tables. Built fresh per emulator instance because custom attributes can be
 * added at run time (definitions are mutable data, not module singletons shared between instances).
 */
export class Catalog {
  readonly entities = new Map<string, EntityDefinition>();
  readonly bySetName = new Map<string, EntityDefinition>();
  /** What changed when, for `RetrieveMetadataChanges` with a `ClientVersionStamp`. */
  readonly history = new MetadataHistory();
  private readonly define: () => EntityDefinition[];

  constructor(define: () => EntityDefinition[] = defaultEntities) {
    this.define = define;
    for (const entity of define()) {
      this.entities.set(entity.logicalName, entity);
      this.bySetName.set(entity.entitySetName, entity);
    }
  }

  /**
   * Puts every entity's attributes back to their definition (control API reset): custom attributes created
   * or deleted through the metadata API are forgotten. Entity objects stay the same, so tables keep them;
   * the tables must be empty (their rows' layout changes). Metadata version stamps issued before expire.
   */
  restoreDefinitions(): void {
    this.history.expireAll();
    for (const fresh of this.define()) {
      const entity = this.entities.get(fresh.logicalName);
      if (!entity) continue;
      entity.attributes.splice(0, entity.attributes.length, ...fresh.attributes);
      entity.byName.clear();
      for (const [name, attribute] of fresh.byName) entity.byName.set(name, attribute);
      entity.navigation.clear();
      for (const [name, navigation] of fresh.navigation) entity.navigation.set(name, navigation);
      entity.columnCount = fresh.columnCount;
      entity.changeTracking = fresh.changeTracking;
    }
  }

  entity(logicalName: string): EntityDefinition | undefined {
    return this.entities.get(logicalName);
  }

  entitySet(name: string): EntityDefinition | undefined {
    return this.bySetName.get(name);
  }
}

export function defaultEntities(): EntityDefinition[] {
  return [
    businessunit(),
    systemuser(),
    team(),
    transactioncurrency(),
    account(),
    contact(),
    lead(),
    opportunity(),
    task(),
    newSubscription(),
    fieldsecurityprofile(),
    fieldpermission(),
    systemuserprofiles(),
    serviceendpoint(),
    sdkmessage(),
    sdkmessagefilter(),
    sdkmessageprocessingstep(),
    asyncoperation(),
  ];
}
