import { Link } from 'wouter';
import type { Campaign, CampaignPage } from '../api/flow-types.ts';
import { Badge } from '../components/badge.tsx';
import { Clipped } from '../components/clipped.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Loadable } from '../components/loadable.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { formatValue } from '../format.ts';
import { useResource } from '../hooks/use-resource.ts';
import { campaignPath, newCampaignPath } from '../routes.ts';

export function describeTrigger(campaign: Campaign): string {
  const trigger = campaign.trigger;
  if (trigger.type === 'person-created') return 'A person is created';
  if (trigger.type === 'added-through-api') return 'A person is added through the API';
  if (trigger.type === 'crm-deleted') return 'The CRM record is deleted';
  if (trigger.type === 'crm-type-changed') {
    const type = (value: unknown) => (value === null ? 'none' : String(value));
    const from = trigger.from === undefined ? '' : ` from ${type(trigger.from)}`;
    const to = trigger.to === undefined ? '' : ` to ${type(trigger.to)}`;
    return `CRM type changes${from}${to}`;
  }
  const from = trigger.from === undefined ? '' : ` from ${formatValue(trigger.from)}`;
  const to = trigger.to === undefined ? '' : ` to ${formatValue(trigger.to)}`;
  return `${trigger.field} changes${from}${to}`;
}

const stepNames = {
  'sync-to-crm': 'Sync Person to Microsoft',
  'change-owner': 'Change Owner',
  'create-task': 'Create Task',
} as const;

const columns = [
  { label: 'Name' },
  { label: 'State' },
  { label: 'Trigger' },
  { label: 'Filters', number: true },
  { label: 'Steps' },
];

/** B7.5: trigger campaigns, which run flow actions automatically. */
export function CampaignsPage() {
  const campaigns = useResource<CampaignPage>('/api/v1/campaigns?limit=200');
  return (
    <>
      <PageTitle title="Campaigns">
        <Link href={newCampaignPath} className="button button-primary">
          New campaign
        </Link>
      </PageTitle>
      <p className="muted">
        A trigger campaign runs its flow steps in real time for every person that fires its trigger and passes
        its filters.
      </p>
      <Loadable resource={campaigns} what="the campaigns">
        {(list) =>
          list.items.length === 0 ? (
            <p className="empty">No campaign yet.</p>
          ) : (
            <DataTable label="Campaigns" columns={columns}>
              {list.items.map((campaign) => (
                <tr key={campaign.id}>
                  <td className="cell-text">
                    <Link href={campaignPath(campaign.id)}>
                      <Clipped text={campaign.name} />
                    </Link>
                  </td>
                  <td>
                    <Badge tone={campaign.enabled ? 'good' : 'neutral'}>
                      {campaign.enabled ? 'on' : 'off'}
                    </Badge>
                  </td>
                  <td className="cell-text">
                    <Clipped text={describeTrigger(campaign)} />
                  </td>
                  <td className="number">{campaign.filters.length}</td>
                  <td className="cell-text">
                    <Clipped text={campaign.steps.map((step) => stepNames[step.action]).join(' → ')} />
                  </td>
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loadable>
    </>
  );
}
