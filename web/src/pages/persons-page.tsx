import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { withQuery } from '../api/api-client.ts';
import type { Person } from '../api/types.ts';
import { Badge } from '../components/badge.tsx';
import { Clipped } from '../components/clipped.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Instant } from '../components/instant.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { PagedView } from '../components/paged-view.tsx';
import { formatValue, personName } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { personPath } from '../routes.ts';
import { FormField } from '../components/form-field.tsx';

const columns = [
  { label: 'Name' },
  { label: 'Email' },
  { label: 'Company' },
  { label: 'CRM' },
  { label: 'Owner' },
  { label: 'Updated' },
];

/** Persons of the marketing database: find one by email, or browse by CRM type. */
export function PersonsPage() {
  const [email, setEmail] = useState('');
  const [crmType, setCrmType] = useState('');
  const [query, setQuery] = useState({ email: '', crmType: '' });
  const list = usePagedList<Person>(withQuery('/api/v1/persons', { ...query, limit: 50 }));

  const search = (event: FormEvent) => {
    event.preventDefault();
    setQuery({ email: email.trim(), crmType });
    list.reload();
  };

  return (
    <>
      <PageTitle title="Persons" />
      <form className="toolbar" role="search" aria-label="Find persons" onSubmit={search}>
        <FormField label="Email" className="grow">
          {(id) => (
            <input
              id={id}
              type="search"
              inputMode="email"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              placeholder="exact address, any case"
            />
          )}
        </FormField>
        <FormField label="CRM type">
          {(id) => (
            <select id={id} value={crmType} onChange={(event) => setCrmType(event.target.value)}>
              <option value="">Any</option>
              <option value="lead">Lead</option>
              <option value="contact">Contact</option>
              <option value="none">Not in the CRM</option>
            </select>
          )}
        </FormField>
        <button type="submit">Search</button>
      </form>
      <PagedView list={list} what="persons" empty="No person matches.">
        {(items) => (
          <DataTable label="Persons" columns={columns}>
            {items.map((person) => (
              <tr key={person.id}>
                <td className="cell-text">
                  <Link href={personPath(person.id)}>
                    <Clipped text={personName(person)} />
                  </Link>
                </td>
                <td className="cell-text">
                  <Clipped text={formatValue(person.email)} />
                </td>
                <td className="cell-text">
                  <Clipped text={formatValue(person.company)} />
                </td>
                <td>
                  {person.crmType === null ? (
                    <span className="muted">not synced</span>
                  ) : (
                    <Badge tone={person.crmIsDeleted === true ? 'bad' : 'info'}>
                      {String(person.crmType)}
                      {person.crmIsDeleted === true ? ' (deleted)' : ''}
                    </Badge>
                  )}
                </td>
                <td className="cell-text">
                  <Clipped text={formatValue(person.crmOwnerName)} />
                </td>
                <td>
                  <Instant at={person.updatedAt} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </PagedView>
    </>
  );
}
