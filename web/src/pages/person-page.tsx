import { useState } from 'react';
import type { Person, PersonField, SyncConflictPage } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { Clipped } from '../components/clipped.tsx';
import { Instant } from '../components/instant.tsx';
import { Loadable } from '../components/loadable.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { formatValue, personName } from '../format.ts';
import { useResource } from '../hooks/use-resource.ts';
import { ActivityTimeline } from './activity-timeline.tsx';
import { ConflictTable } from './conflicts-page.tsx';
import { PersonActions } from './person-actions.tsx';

/** One person: the CRM link, the flow actions and resync, every field, the activity log (B6.4), conflicts. */
export function PersonPage({ id }: { id: string }) {
  const person = useResource<Person>(`/api/v1/persons/${encodeURIComponent(id)}`);
  const fields = useResource<PersonField[]>('/api/v1/person-fields');
  const conflicts = useResource<SyncConflictPage>(
    `/api/v1/sync/conflicts?personId=${encodeURIComponent(id)}&limit=20`,
  );
  // Bumped after an action, so the activity log is read again and shows the action's entry at once.
  const [round, setRound] = useState(0);
  const title = person.data === undefined ? 'Person' : personName(person.data);

  return (
    <>
      <PageTitle title={title} />
      <Loadable resource={person} what="the person">
        {(current) => (
          <>
            <p className="subtitle">
              <Clipped text={formatValue(current.email)} />
              {current.crmType === null ? (
                <Badge tone="neutral">not in the CRM</Badge>
              ) : (
                <Badge tone="info">CRM {String(current.crmType)}</Badge>
              )}
            </p>
            <div className="columns">
              <div className="stack">
                <CrmLink person={current} />
                <section className="card" aria-labelledby="activity-heading">
                  <h2 id="activity-heading">Activity log</h2>
                  <ActivityTimeline key={round} personId={current.id} />
                </section>
              </div>
              <PersonActions
                person={current}
                onChanged={() => {
                  person.reload();
                  setRound((value) => value + 1);
                }}
              />
            </div>
            <section className="card" aria-labelledby="fields-heading">
              <h2 id="fields-heading">Fields</h2>
              <Loadable resource={fields} what="the person fields">
                {(list) => <PersonFieldList person={current} fields={list} />}
              </Loadable>
            </section>
            <section className="card" aria-labelledby="conflicts-heading">
              <h2 id="conflicts-heading">Conflicts</h2>
              <Loadable resource={conflicts} what="the conflicts">
                {(page) =>
                  page.items.length === 0 ? (
                    <p className="muted">No conflicts for this person.</p>
                  ) : (
                    <ConflictTable items={page.items} showPerson={false} />
                  )
                }
              </Loadable>
            </section>
          </>
        )}
      </Loadable>
    </>
  );
}

/** Which CRM record the person is linked to (B3), its owner, and whether it was deleted there (B3.6). */
function CrmLink({ person }: { person: Person }) {
  const rows: [string, unknown][] = [
    ['Type', person.crmType],
    ['Lead id', person.crmLeadId],
    ['Contact id', person.crmContactId],
    ['Account id', person.crmAccountId],
    ['Owner', person.crmOwnerName],
    ['Owner email', person.crmOwnerEmail],
    ['Owner id', person.crmOwnerId],
    ['Created in the CRM', person.crmCreatedAt],
  ];
  return (
    <section className="card" aria-labelledby="crm-heading">
      <h2 id="crm-heading">CRM link</h2>
      {person.crmType === null ? (
        <p className="muted">
          This person is not linked to a CRM lead or contact. Use Sync Person to Microsoft.
        </p>
      ) : null}
      {person.crmIsDeleted === true ? (
        <p className="banner banner-error">
          The CRM record was deleted in the CRM; this person no longer syncs.
        </p>
      ) : null}
      <dl className="kv">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd className="cell-text">
              {label === 'Created in the CRM' && typeof value === 'string' ? (
                <Instant at={value} absolute />
              ) : (
                <span className="wrap">{formatValue(value)}</span>
              )}
            </dd>
          </div>
        ))}
      </dl>
      <p className="muted small">
        Created <Instant at={person.createdAt} />, updated <Instant at={person.updatedAt} />.
      </p>
    </section>
  );
}

function PersonFieldList({ person, fields }: { person: Person; fields: readonly PersonField[] }) {
  const shown = fields.filter((field) => !field.readOnly);
  return (
    <dl className="kv kv-columns">
      {shown.map((field) => (
        <div key={field.name}>
          <dt
            title={Object.entries(field.crm)
              .map(([entity, attribute]) => `${entity}: ${attribute}`)
              .join(', ')}
          >
            {field.name}
          </dt>
          <dd className="wrap">{formatValue(person[field.name])}</dd>
        </div>
      ))}
    </dl>
  );
}
