/** The shapes the emulator core hands to the webhook module (reference §11). */

/** Which platform message committed the change. */
export type WebhookMessage = 'Create' | 'Update' | 'Delete';

/**
 * One attribute value of the changed record, in the core's stored encoding: strings for text and GUIDs,
 * numbers for integers, decimals, money, option values and DateTime (epoch ms), booleans for Boolean.
 */
export interface WebhookAttribute {
  readonly name: string;
  /** The attribute's `AttributeType` (`String`, `Lookup`, `Picklist`, `DateTime`, `Money`, …). */
  readonly type: string;
  readonly value: string | number | boolean | null;
  /** Lookups: the referenced table's logical name. */
  readonly target?: string | undefined;
}

/** A committed Create/Update/Delete, reported by the core after commit. */
export interface RecordChangedEvent {
  readonly message: WebhookMessage;
  /** Logical name, e.g. `contact`. */
  readonly entity: string;
  readonly id: string;
  /** Create: every value set; Update: the values the request set; Delete: none. */
  readonly attributes: readonly WebhookAttribute[];
  /**
   * Update: the columns the platform set with it (a recomputed primary name, modifiedon, modifiedby,
   * modifiedonbehalfby), which the stage-40 Target carries after the request's values, as in Microsoft's
   * example body; the parent (stage 30) context's Target has only the request's values.
   */
  readonly platformAttributes?: readonly WebhookAttribute[] | undefined;
  /** The systemuser whose request made the change. */
  readonly userId: string;
  /** The table's primary key column (async steps' post image carries it next to the primary name). */
  readonly primaryIdAttribute?: string | undefined;
  /** The table's primary name column and its value after the change (async steps' post image). */
  readonly primaryName?: { readonly attribute: string; readonly value: string | null } | undefined;
  /** When the change was committed (epoch ms); defaults to now. */
  readonly at?: number | undefined;
}

/** A `serviceendpoints` row. */
export interface WebhookEndpoint {
  readonly id: string;
  /** 8 = Webhook; other contracts are not delivered. */
  readonly contract: number;
  readonly url: string;
  /** 4 Webhook Key, 5 Http Header, 6 Http Query String. */
  readonly authtype: number;
  readonly authvalue: string | null;
}

/** An `sdkmessageprocessingsteps` row, with its message and entity filter already resolved. */
export interface WebhookStep {
  readonly id: string;
  readonly name?: string | null | undefined;
  /** `Create`, `Update` or `Delete` (the sdkmessage's name). */
  readonly message: string;
  /** The filter's primary entity logical name; `null` = every entity. */
  readonly entity: string | null;
  /** Comma-separated attribute names (Update only); empty or null = any change. */
  readonly filteringAttributes: string | null;
  /** 40 = PostOperation; other stages are not delivered by the emulator. */
  readonly stage: number;
  /** 0 synchronous, 1 asynchronous. */
  readonly mode: number;
  /** The serviceendpoint the step invokes. */
  readonly endpointId: string;
  /** statecode 0 (Enabled); disabled steps are skipped. */
  readonly enabled: boolean;
  /** asyncautodelete: an asynchronous step's system job is deleted when it succeeds. */
  readonly asyncAutoDelete?: boolean | undefined;
}

export interface WebhookRegistrations {
  readonly endpoints: readonly WebhookEndpoint[];
  readonly steps: readonly WebhookStep[];
}

/** The organisation the emulator pretends to be (context ids and the `x-ms-dynamics-organization` header). */
export interface WebhookOrganization {
  readonly id: string;
  readonly name: string;
  /** Host name, e.g. `127.0.0.1:8081` (Dataverse sends `<org>.crm.dynamics.com`). */
  readonly host: string;
  readonly businessUnitId: string;
}

/** How one step's delivery of one change ended; asynchronous steps record it as a system job. */
export interface DeliveryOutcome {
  readonly event: RecordChangedEvent;
  readonly step: WebhookStep;
  readonly endpointId: string;
  readonly correlationId: string;
  readonly operationId: string;
  readonly startedAt: number;
  readonly completedAt: number;
  /** POSTs made: 2 when the first answer was 502/503/504. */
  readonly attempts: number;
  /** Undefined when the endpoint answered 2xx. */
  readonly error?: string | undefined;
}
