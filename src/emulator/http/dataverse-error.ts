/**
 * Errors the emulator answers with, in Dataverse's shape `{"error":{"code":"0x…","message":"…"}}`
 * (reference §5). These are the emulated service's codes, not Syncline's own registry
 * (src/errors/codes.ts): a client must see exactly what the real Web API sends.
 */
export class DataverseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'DataverseError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  toBody(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The codes in use, with where their text comes from (reference §5 table). */
export const dataverseCodes = {
  /** Not found (docs + capture). */
  objectDoesNotExist: '0x80040217',
  /** Alternate-key / primary-key collision and `If-None-Match: *` on an existing row. */
  duplicateRecord: '0x80040237',
  /** Stale ETag (live code; docs show an empty code). */
  concurrencyVersionMismatch: '0x80060882',
  /** OData errors: unknown property or segment, bad query syntax, unsupported query options. */
  odataError: '0x80060888',
  stringTooLong: '0x80044331',
  optionOutOfRange: '0x8004431A',
  requiredFieldMissing: '0x80040200',
  invalidArgument: '0x80040203',
  pluginRule: '0x80040265',
  privilegeDenied: '0x80040220',
  securedFieldUpdate: '0x8004f507',
  expiredVersionStamp: '0x80044352',
  /** Emulator choice: Dataverse's 401 body is not documented. */
  unauthorized: '0x80048306',
  /** Payload the OData reader rejects: malformed JSON, a value of the wrong type. */
  badPayload: '0x80048d19',
  methodNotAllowed: '0x80060888',
  /** SdkEntityDoesNotSupportMessage: a message (e.g. UpdateMultiple) the table does not support. */
  messageNotSupported: '0x80040800',
  internal: '0x80040216',
} as const;

export const notFound = (entity: string, id: string): DataverseError =>
  new DataverseError(404, dataverseCodes.objectDoesNotExist, `${entity} With Id = ${id} Does Not Exist`);

export const odataError = (message: string, status = 400): DataverseError =>
  new DataverseError(status, dataverseCodes.odataError, message);

export const unknownProperty = (name: string, entity: string): DataverseError =>
  odataError(`Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${entity}'.`);

export const segmentNotFound = (segment: string): DataverseError =>
  odataError(`Resource not found for the segment '${segment}'.`, 404);

export const duplicateKey = (): DataverseError =>
  new DataverseError(
    412,
    dataverseCodes.duplicateRecord,
    'A record with matching key values already exists.',
  );

export const versionMismatch = (): DataverseError =>
  new DataverseError(
    412,
    dataverseCodes.concurrencyVersionMismatch,
    "The version of the existing record doesn't match the RowVersion property provided.",
  );

export const invalidArgument = (message: string): DataverseError =>
  new DataverseError(400, dataverseCodes.invalidArgument, message);

/** Dataverse wraps OData reader failures in this text (observed on the live service). */
export const badPayload = (entitySet: string, detail: string): DataverseError =>
  new DataverseError(
    400,
    dataverseCodes.badPayload,
    `Error identified in Payload provided by the user for Entity :'${entitySet}', For more information on this ` +
      `error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ----> ` +
      `InnerException : Microsoft.OData.ODataException: ${detail}`,
  );
