import { badPayload, invalidArgument } from '../http/dataverse-error.ts';
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from '../http/emulator-request.ts';
import { firstOptionValue, labelText } from './attribute-body.ts';
import { assertCustomizer } from './attribute-writes.ts';
import type { Catalog } from './catalog.ts';

type Json = Record<string, unknown>;

/** Parameters Microsoft lists for the action that the emulator accepts without acting on them. */
const ignored = ['Description', 'SolutionUniqueName', 'Color', 'ExternalValue', 'IsHidden', 'ParentValues'];

/**
 * `POST InsertOptionValue` (Web API action reference): adds an option to a local Picklist or MultiSelectPicklist
 * option set → `200 {NewOptionValue}`. Administrators only, like the other metadata writes. The option is at once
 * in `Attributes` (with the casts' `OptionSet`), accepted by writes and reported by `RetrieveMetadataChanges`
 * as a changed option set. Without `Value` the next free value from 100,000,000 (the `new_` publisher's) is
 * used. Global option sets (`OptionSetName`) are not emulated; State/Status options have their own actions
 * (`InsertStatusValue`), not emulated either.
 */
export function insertOptionValue(catalog: Catalog, request: EmulatorRequest): EmulatorResponse {
  assertCustomizer(request.caller, 'Write');
  let body: unknown;
  try {
    body = JSON.parse(request.body ?? '');
  } catch (error) {
    throw badPayload('InsertOptionValue', `Invalid JSON. ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badPayload('InsertOptionValue', 'The request body must be a JSON object.');
  const params = body as Json;
  for (const name of Object.keys(params)) {
    const known = [
      'EntityLogicalName',
      'AttributeLogicalName',
      'OptionSetName',
      'Value',
      'Label',
      ...ignored,
    ];
    if (!known.includes(name) && !name.startsWith('@'))
      throw badPayload(
        'InsertOptionValue',
        `The parameter '${name}' in the request payload is not a valid parameter for the operation 'InsertOptionValue'.`,
      );
  }
  if (typeof params.OptionSetName === 'string' && params.OptionSetName !== '')
    throw invalidArgument(
      'The emulator has no global option sets: name EntityLogicalName and AttributeLogicalName.',
    );
  const entity = catalog.entity(String(params.EntityLogicalName ?? ''));
  if (!entity) throw invalidArgument(`Could not find entity '${String(params.EntityLogicalName ?? '')}'.`);
  const attribute = entity.byName.get(String(params.AttributeLogicalName ?? ''));
  if (!attribute)
    throw invalidArgument(
      `Could not find attribute '${String(params.AttributeLogicalName ?? '')}' on entity '${entity.logicalName}'.`,
    );
  if (attribute.type !== 'Picklist' && attribute.type !== 'MultiSelectPicklist')
    throw invalidArgument(
      `'${attribute.logicalName}' is a ${attribute.type} attribute; InsertOptionValue adds options to Picklist and MultiSelectPicklist attributes only.`,
    );
  const label = labelText(params.Label, 'Label');
  if (label === undefined) throw invalidArgument('Label is required.');
  const options = attribute.options ?? [];
  const used = new Set(options.map((option) => option.value));
  let value: number;
  if (params.Value === undefined || params.Value === null) {
    value = Math.max(firstOptionValue, ...options.map((option) => option.value + 1));
  } else if (
    typeof params.Value === 'number' &&
    Number.isInteger(params.Value) &&
    Math.abs(params.Value) <= 2147483647
  ) {
    value = params.Value;
  } else throw invalidArgument(`Value must be a whole number, not ${JSON.stringify(params.Value)}.`);
  if (used.has(value))
    throw invalidArgument(
      `The option value ${value} already exists in the option set of '${attribute.logicalName}'.`,
    );
  attribute.options = [...options, { value, label }];
  catalog.history.optionInserted(attribute.metadataId, value);
  return jsonResponse(
    200,
    JSON.stringify({
      '@odata.context': `${request.baseUrl}$metadata#Microsoft.Dynamics.CRM.InsertOptionValueResponse`,
      NewOptionValue: value,
    }),
  );
}
