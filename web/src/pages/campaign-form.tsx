import {
  filterOperators,
  type CampaignDefinition,
  type CampaignFilter,
  type CampaignStep,
  type CampaignTrigger,
  type CrmType,
  type PersonValue,
} from '../api/flow-types.ts';
import type { PersonField } from '../api/types.ts';
import { OwnerSelect } from '../components/owner-select.tsx';
import type { Owner } from '../hooks/use-owners.ts';
import { FormField } from '../components/form-field.tsx';

const operatorNames: Record<CampaignFilter['operator'], string> = {
  equals: 'equals',
  'not-equals': 'does not equal',
  contains: 'contains',
  'is-empty': 'is empty',
  'is-not-empty': 'is not empty',
};

const takesValue = (operator: CampaignFilter['operator']) =>
  operator === 'equals' || operator === 'not-equals' || operator === 'contains';

/** Form text → the field's value type: "true" for a boolean field, a number for a numeric one. */
function toValue(text: string, field: PersonField | undefined): PersonValue {
  if (field?.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (field?.type === 'integer' || field?.type === 'number') {
    const number = Number(text);
    return text.trim() !== '' && Number.isFinite(number) ? number : text;
  }
  return text;
}

const toText = (value: PersonValue | undefined) =>
  value === undefined || value === null ? '' : String(value);

function newStep(action: CampaignStep['action']): CampaignStep {
  if (action === 'sync-to-crm') return { action, syncAs: 'lead' };
  if (action === 'change-owner') return { action, ownerId: '' };
  return { action, subject: '', dueInDays: 5 };
}

/** The editable parts of a campaign: name, on/off, trigger, filters and steps. */
export function CampaignForm({
  draft,
  onChange,
  fields,
  owners,
}: {
  draft: CampaignDefinition;
  onChange: (draft: CampaignDefinition) => void;
  fields: readonly PersonField[];
  owners: readonly Owner[];
}) {
  const fieldNamed = (name: string) => fields.find((field) => field.name === name);
  const writable = fields.filter((field) => !field.readOnly);
  const setTrigger = (trigger: CampaignTrigger) => onChange({ ...draft, trigger });
  const setFilter = (index: number, filter: CampaignFilter) =>
    onChange({ ...draft, filters: draft.filters.map((old, at) => (at === index ? filter : old)) });
  const setStep = (index: number, step: CampaignStep) =>
    onChange({ ...draft, steps: draft.steps.map((old, at) => (at === index ? step : old)) });
  const fieldOptions = fields.map((field) => (
    <option key={field.name} value={field.name}>
      {field.name}
    </option>
  ));

  return (
    <>
      <div className="form-grid">
        <FormField label="Name" className="grow">
          {(id) => (
            <input
              id={id}
              value={draft.name}
              onChange={(event) => onChange({ ...draft, name: event.target.value })}
              required
              maxLength={200}
            />
          )}
        </FormField>
        <label className="inline-check">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(event) => onChange({ ...draft, enabled: event.target.checked })}
          />
          Enabled
        </label>
      </div>

      <fieldset>
        <legend>Trigger</legend>
        <div className="form-grid">
          <FormField label="When">
            {(id) => (
              <select
                id={id}
                value={draft.trigger.type}
                onChange={(event) => {
                  const type = event.target.value as CampaignTrigger['type'];
                  setTrigger(
                    type === 'field-changed' ? { type, field: writable[0]?.name ?? 'email' } : { type },
                  );
                }}
              >
                <option value="person-created">a person is created</option>
                <option value="field-changed">a field's value changes</option>
                <option value="added-through-api">a person is added through the API</option>
                <option value="crm-type-changed">the CRM type changes (linked, qualified)</option>
                <option value="crm-deleted">the CRM record is deleted</option>
              </select>
            )}
          </FormField>
          {draft.trigger.type === 'field-changed'
            ? (() => {
                const trigger = draft.trigger;
                const field = fieldNamed(trigger.field);
                const optional = (text: string) => (text === '' ? undefined : toValue(text, field));
                return (
                  <>
                    <FormField label="Field">
                      {(id) => (
                        <select
                          id={id}
                          value={trigger.field}
                          onChange={(event) =>
                            setTrigger({ type: 'field-changed', field: event.target.value })
                          }
                        >
                          {fieldOptions}
                        </select>
                      )}
                    </FormField>
                    <FormField label="From (optional)">
                      {(id) => (
                        <input
                          id={id}
                          value={toText(trigger.from)}
                          onChange={(event) => {
                            const { from: _from, ...rest } = trigger;
                            const from = optional(event.target.value);
                            setTrigger(from === undefined ? rest : { ...rest, from });
                          }}
                        />
                      )}
                    </FormField>
                    <FormField label="To (optional)">
                      {(id) => (
                        <input
                          id={id}
                          value={toText(trigger.to)}
                          onChange={(event) => {
                            const { to: _to, ...rest } = trigger;
                            const to = optional(event.target.value);
                            setTrigger(to === undefined ? rest : { ...rest, to });
                          }}
                        />
                      )}
                    </FormField>
                  </>
                );
              })()
            : null}
          {draft.trigger.type === 'crm-type-changed'
            ? (() => {
                const trigger = draft.trigger;
                const typeSelect = (key: 'from' | 'to', label: string) => (
                  <FormField label={label}>
                    {(id) => (
                      <select
                        id={id}
                        value={trigger[key] === undefined ? 'any' : (trigger[key] ?? 'none')}
                        onChange={(event) => {
                          const { [key]: _old, ...rest } = trigger;
                          const text = event.target.value;
                          const value: CrmType | undefined =
                            text === 'any' ? undefined : text === 'none' ? null : (text as CrmType);
                          setTrigger(value === undefined ? rest : { ...rest, [key]: value });
                        }}
                      >
                        <option value="any">any</option>
                        <option value="none">none (not linked)</option>
                        <option value="lead">lead</option>
                        <option value="contact">contact</option>
                      </select>
                    )}
                  </FormField>
                );
                return (
                  <>
                    {typeSelect('from', 'From')}
                    {typeSelect('to', 'To')}
                  </>
                );
              })()
            : null}
        </div>
        {draft.trigger.type === 'crm-type-changed' ? (
          <p className="muted">
            From lead to contact is a lead qualified in the CRM. Changes the sync makes fire too; a campaign's
            own steps never fire it again.
          </p>
        ) : null}
      </fieldset>

      <fieldset>
        <legend>Filters (all must match)</legend>
        {draft.filters.length === 0 ? (
          <p className="muted">No filter: every person that fires the trigger.</p>
        ) : null}
        {draft.filters.map((filter, index) => (
          <div className="form-grid repeat-row" key={index}>
            <FormField label="Field">
              {(id) => (
                <select
                  id={id}
                  value={filter.field}
                  onChange={(event) => setFilter(index, { ...filter, field: event.target.value })}
                >
                  {fieldOptions}
                </select>
              )}
            </FormField>
            <FormField label="Condition">
              {(id) => (
                <select
                  id={id}
                  value={filter.operator}
                  onChange={(event) => {
                    const operator = event.target.value as CampaignFilter['operator'];
                    setFilter(
                      index,
                      takesValue(operator)
                        ? { field: filter.field, operator, value: filter.value ?? '' }
                        : { field: filter.field, operator },
                    );
                  }}
                >
                  {filterOperators.map((operator) => (
                    <option key={operator} value={operator}>
                      {operatorNames[operator]}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
            {takesValue(filter.operator) ? (
              <FormField label="Value" className="grow">
                {(id) => (
                  <input
                    id={id}
                    value={toText(filter.value)}
                    onChange={(event) =>
                      setFilter(index, {
                        ...filter,
                        value: toValue(event.target.value, fieldNamed(filter.field)),
                      })
                    }
                  />
                )}
              </FormField>
            ) : null}
            <button
              type="button"
              className="button-small"
              aria-label={`Remove filter ${index + 1}`}
              onClick={() => onChange({ ...draft, filters: draft.filters.filter((_, at) => at !== index) })}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          onClick={() =>
            onChange({
              ...draft,
              filters: [
                ...draft.filters,
                { field: writable[0]?.name ?? 'email', operator: 'equals', value: '' },
              ],
            })
          }
        >
          Add filter
        </button>
      </fieldset>

      <fieldset>
        <legend>Flow steps (in order)</legend>
        {draft.steps.map((step, index) => (
          <div className="form-grid repeat-row" key={index}>
            <span className="step-number" aria-hidden="true">
              {index + 1}.
            </span>
            <FormField label="Action">
              {(id) => (
                <select
                  id={id}
                  value={step.action}
                  onChange={(event) => setStep(index, newStep(event.target.value as CampaignStep['action']))}
                >
                  <option value="sync-to-crm">Sync Person to Microsoft</option>
                  <option value="change-owner">Change Owner in Microsoft</option>
                  <option value="create-task">Create Task in Microsoft</option>
                </select>
              )}
            </FormField>
            <StepSettings step={step} owners={owners} onChange={(next) => setStep(index, next)} />
            <button
              type="button"
              className="button-small"
              aria-label={`Remove step ${index + 1}`}
              onClick={() => onChange({ ...draft, steps: draft.steps.filter((_, at) => at !== index) })}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          onClick={() => onChange({ ...draft, steps: [...draft.steps, newStep('sync-to-crm')] })}
        >
          Add step
        </button>
      </fieldset>
    </>
  );
}

function StepSettings({
  step,
  owners,
  onChange,
}: {
  step: CampaignStep;
  owners: readonly Owner[];
  onChange: (step: CampaignStep) => void;
}) {
  if (step.action === 'sync-to-crm') {
    return (
      <>
        <FormField label="Sync as">
          {(id) => (
            <select
              id={id}
              value={step.syncAs}
              onChange={(event) => onChange({ ...step, syncAs: event.target.value as 'lead' | 'contact' })}
            >
              <option value="lead">lead</option>
              <option value="contact">contact</option>
            </select>
          )}
        </FormField>
        <OwnerSelect
          label="Owner"
          owners={owners}
          value={step.ownerId ?? ''}
          optional
          onChange={(ownerId) => {
            const { ownerId: _old, ...rest } = step;
            onChange(ownerId === '' ? rest : { ...rest, ownerId });
          }}
        />
      </>
    );
  }
  if (step.action === 'change-owner') {
    return (
      <OwnerSelect
        label="New owner"
        owners={owners}
        value={step.ownerId}
        optional={false}
        onChange={(ownerId) => onChange({ ...step, ownerId })}
      />
    );
  }
  return (
    <>
      <FormField label="Subject" className="grow">
        {(id) => (
          <input
            id={id}
            value={step.subject}
            onChange={(event) => onChange({ ...step, subject: event.target.value })}
            required
          />
        )}
      </FormField>
      <FormField label="Description" className="grow">
        {(id) => (
          <input
            id={id}
            value={step.description ?? ''}
            maxLength={2000}
            onChange={(event) => {
              const { description: _old, ...rest } = step;
              onChange(event.target.value === '' ? rest : { ...rest, description: event.target.value });
            }}
          />
        )}
      </FormField>
      <FormField label="Due in days" className="narrow">
        {(id) => (
          <input
            id={id}
            type="number"
            min={0}
            value={step.dueInDays ?? ''}
            onChange={(event) => {
              const { dueInDays: _old, ...rest } = step;
              const days = Number.parseInt(event.target.value, 10);
              onChange(Number.isFinite(days) ? { ...rest, dueInDays: days } : rest);
            }}
          />
        )}
      </FormField>
    </>
  );
}
