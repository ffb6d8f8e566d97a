import { emulatorFixtures } from '../emulator-fixtures.ts';
import { invalidArgument, notFound } from '../http/dataverse-error.ts';
import {
  jsonResponse,
  type EmulatorRequest,
  type EmulatorResponse,
  type Usage,
} from '../http/emulator-request.ts';
import { createFromValues, updateWithValues, type WriteContext } from '../records/record-writer.ts';
import type { EmulatorState } from '../state/emulator-state.ts';
import type { Row, Value } from '../state/row.ts';
import {
  payloadError,
  readParameters,
  recordOfParameter,
  type ActionDeps,
  type ParameterDeclaration,
} from './action-parameters.ts';
import { leadToAccount, leadToContact, leadToOpportunity, type AttributeMap } from './lead-mappings.ts';

const action = 'QualifyLead';

const parameters: Readonly<Record<string, ParameterDeclaration>> = {
  CreateAccount: { type: 'Edm.Boolean', required: true },
  CreateContact: { type: 'Edm.Boolean', required: true },
  CreateOpportunity: { type: 'Edm.Boolean', required: true },
  Status: { type: 'Edm.Int32', required: false },
  OpportunityCurrencyId: { type: 'entity', required: false },
  OpportunityCustomerId: { type: 'entity', required: false },
  SourceCampaignId: { type: 'entity', required: false },
  ProcessInstanceId: { type: 'entity', required: false },
  SuppressDuplicateDetection: { type: 'Edm.Boolean', required: false },
};

/** Lead statecode 1 (reference §10: 0 Open, 1 Qualified, 2 Disqualified). */
const qualified = 1;

/**
 * `POST leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead` (reference §10): creates the account (only when the
 * lead has a company name, as the platform does), contact and opportunity asked for from the lead's mapped
 * columns, each with `originatingleadid`, then sets the lead Qualified with statuscode = `Status` (default 3).
 * All of it is one atomic operation; inside a `$batch` changeset it joins the changeset.
 */
export function qualifyLead(
  deps: ActionDeps,
  request: EmulatorRequest,
  usage: Usage,
  leadId: string,
): EmulatorResponse {
  const { state } = deps;
  const input = readParameters(action, request.body, parameters);
  const leads = state.table('lead');
  const lead = leads.get(leadId);
  if (!lead) throw notFound('lead', leadId);
  const read = readerOf(state, 'lead', lead);
  if (read('statecode') !== 0)
    throw invalidArgument('The lead is closed. You cannot convert or qualify a lead that is already closed.');
  const reference = (name: string, allowed: readonly string[]) => {
    const value = input.get(name);
    return value === undefined || value === null
      ? undefined
      : recordOfParameter(state, action, name, value as Record<string, unknown>, allowed);
  };
  const currency = reference('OpportunityCurrencyId', ['transactioncurrency']);
  const customer = reference('OpportunityCustomerId', ['account', 'contact']);
  // The emulator has no campaign table: the reference is only checked for its shape.
  const campaign = input.get('SourceCampaignId') as Record<string, unknown> | null | undefined;
  if (campaign && typeof campaign['@odata.type'] !== 'string')
    throw payloadError(
      `The parameter 'SourceCampaignId' of the operation '${action}' needs an '@odata.type'.`,
    );

  const writer = (entity: string): WriteContext => ({
    state,
    fls: deps.fls,
    caller: request.caller,
    entity: state.catalog.entity(entity)!,
    table: state.table(entity),
  });
  const existing = (entity: string, id: Value) =>
    typeof id === 'string' && state.table(entity).get(id) ? id : undefined;

  const created = state.atomic(() => {
    const out: { entity: string; id: string }[] = [];
    const create = (entity: string, values: Record<string, Value>): string => {
      const context = writer(entity);
      const row = createFromValues(context, { ...values, originatingleadid: leadId });
      const id = row[context.table.pk] as string;
      out.push({ entity, id });
      return id;
    };
    // The lead's parent account/contact are the existing records chosen before qualifying (reference §10).
    let accountId = existing('account', read('parentaccountid'));
    let contactId = existing('contact', read('parentcontactid'));
    let newAccount: string | undefined;
    const companyName = read('companyname');
    if (input.get('CreateAccount') === true && typeof companyName === 'string' && companyName.trim() !== '')
      accountId = newAccount = create('account', mapped(read, leadToAccount, writer('account')));
    if (input.get('CreateContact') === true) {
      contactId = create('contact', {
        ...mapped(read, leadToContact, writer('contact')),
        ...(accountId ? { parentcustomerid: accountId, parentcustomeridtype: 'account' } : {}),
      });
      if (newAccount) {
        const accounts = writer('account');
        updateWithValues(accounts, accounts.table.get(newAccount)!, { primarycontactid: contactId });
      }
    }
    if (input.get('CreateOpportunity') === true) {
      const [customerEntity, customerId] = customer
        ? [customer.entity.logicalName, customer.id]
        : accountId
          ? ['account', accountId]
          : contactId
            ? ['contact', contactId]
            : [null, null];
      const values = mapped(read, leadToOpportunity, writer('opportunity'));
      create('opportunity', {
        ...values,
        name: values.name ?? read('fullname') ?? read('companyname'),
        customerid: customerId,
        customeridtype: customerEntity,
        parentaccountid: accountId ?? null,
        parentcontactid: contactId ?? null,
        transactioncurrencyid: currency?.id ?? values.transactioncurrencyid ?? emulatorFixtures.usdCurrencyId,
      });
    }
    const status = (input.get('Status') as number | null | undefined) ?? 3;
    updateWithValues(writer('lead'), lead, { statecode: qualified, statuscode: status });
    return out;
  });
  usage.rowsRead += 1;
  usage.rowsWritten += created.length + 1;
  return jsonResponse(
    200,
    JSON.stringify({
      '@odata.context': `${request.baseUrl}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)`,
      value: created.map(({ entity, id }) => ({
        '@odata.type': `#Microsoft.Dynamics.CRM.${entity}`,
        [state.catalog.entity(entity)!.primaryId]: id,
      })),
    }),
  );
}

type Reader = (name: string) => Value;

function readerOf(state: EmulatorState, entity: string, row: Row): Reader {
  const definition = state.catalog.entity(entity)!;
  return (name) => {
    const attribute = definition.byName.get(name);
    return attribute === undefined ? null : (row[attribute.index] ?? null);
  };
}

/**
 * Target column → the lead's value, for the map's columns that exist on both sides (custom ones may have been
 * deleted through the metadata API) and hold a value.
 */
function mapped(read: Reader, map: AttributeMap, target: WriteContext): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const [source, column] of map) {
    if (!target.entity.byName.has(column)) continue;
    const value = read(source);
    if (value !== null && value !== '') values[column] = value;
  }
  return values;
}
