import { Link } from 'wouter';
import type { SyncNotificationPage, SyncPassList, SyncStatus } from '../api/types.ts';
import { useSession } from '../auth/session.ts';
import { Badge, type BadgeTone } from '../components/badge.tsx';
import { BarChart } from '../components/bar-chart.tsx';
import { Clipped } from '../components/clipped.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Instant } from '../components/instant.tsx';
import { NotificationDelivery } from '../components/notification-delivery.tsx';
import { Loadable } from '../components/loadable.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import { formatCount, formatDuration } from '../format.ts';
import { useAction } from '../hooks/use-action.ts';
import { useResource } from '../hooks/use-resource.ts';
import { paths } from '../routes.ts';
import { hourlyThroughput, writtenRecords } from '../throughput.ts';
import { describeInitialLoadTotal } from '../crm-counts.ts';
import { BacklogTable } from './backlog-table.tsx';
import { LatencyPanel } from './latency-panel.tsx';

const stateTone: Record<SyncStatus['state'], BadgeTone> = {
  idle: 'good',
  running: 'info',
  disabled: 'warn',
  failed: 'bad',
};

/** B6.5, B8.1, B8.2, B2.8: is it running, how far behind and how fast, what happened lately, and the two controls. */
export function DashboardPage() {
  const { api } = useSession();
  const status = useResource<SyncStatus>('/api/v1/sync/status', 3000);
  const passes = useResource<SyncPassList>('/api/v1/sync/passes?limit=200', 5000);
  const notifications = useResource<SyncNotificationPage>('/api/v1/notifications?limit=5', 10_000);
  const { busy: running, message, run } = useAction();
  const busy = running !== undefined;
  const toggle = (enabled: boolean) =>
    run('toggle', async () => {
      const next = await api.post<SyncStatus>(enabled ? '/api/v1/sync/enable' : '/api/v1/sync/disable');
      status.set(next);
      return enabled
        ? 'The sync is enabled: changes that accumulated are applied by the next pass.'
        : 'The sync is disabled: passes stop at the next safe boundary; flow actions and backfills go on.';
    });
  const runPass = () =>
    run('pass', async () => {
      await api.post('/api/v1/sync/passes');
      status.reload();
      passes.reload();
      return 'A pass was requested; it starts as soon as no other pass is running.';
    });

  return (
    <>
      <PageTitle title="Dashboard">
        <button type="button" className="button-primary" onClick={() => void runPass()} disabled={busy}>
          Run a pass now
        </button>
      </PageTitle>
      <StatusMessage message={message} />
      <Loadable resource={status} what="the sync status">
        {(current) => (
          <>
            <section className="card" aria-labelledby="sync-heading">
              <div className="card-head">
                <h2 id="sync-heading">Sync</h2>
                <Badge tone={stateTone[current.state]}>{current.state}</Badge>
              </div>
              <div className="switch-row">
                <button
                  type="button"
                  role="switch"
                  className="switch"
                  aria-checked={current.enabled}
                  aria-labelledby="sync-enabled-label"
                  disabled={busy}
                  onClick={() => void toggle(!current.enabled)}
                >
                  <span className="switch-knob" />
                </button>
                <span id="sync-enabled-label">Sync enabled</span>
                <span className="muted">{current.enabled ? 'on' : 'off'}</span>
              </div>
              <dl className="facts">
                <div>
                  <dt>Passes completed</dt>
                  <dd data-testid="passes-completed">{formatCount(current.passes.completed)}</dd>
                </div>
                <div>
                  <dt>Last pass started</dt>
                  <dd>
                    <Instant at={current.passes.lastStartedAt} />
                  </dd>
                </div>
                <div>
                  <dt>Last pass finished</dt>
                  <dd>
                    <Instant at={current.passes.lastFinishedAt} />
                  </dd>
                </div>
                <div>
                  <dt>Next pass</dt>
                  <dd>
                    {current.enabled ? (
                      <Instant at={current.nextPassAt} />
                    ) : (
                      <span className="muted">paused</span>
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Sync errors</dt>
                  <dd data-testid="error-count">
                    {formatCount(current.errors.open)} open{' '}
                    <span className="muted small">
                      ({formatCount(current.errors.total)} kept, {current.errors.retentionDays} days)
                    </span>
                  </dd>
                </div>
                {current.flowActions === undefined ? null : (
                  <div>
                    <dt>Flow-action writes, 24 h</dt>
                    <dd>
                      {formatCount(current.flowActions.syncedLast24h)}{' '}
                      <span className="muted small">
                        ({formatCount(current.flowActions.syncedLastHour)} last hour)
                      </span>
                    </dd>
                  </div>
                )}
              </dl>
              {current.passes.lastError === null ? null : (
                <p className="banner banner-error">
                  Last pass failed: <Clipped text={current.passes.lastError} />
                </p>
              )}
            </section>

            <section className="card" aria-labelledby="progress-heading">
              <h2 id="progress-heading">Initial load and backfills</h2>
              <ProgressBar
                label="Initial load"
                value={current.initialLoad.processed}
                max={current.initialLoad.total}
                done={current.initialLoad.done}
              />
              <p className="muted small" data-testid="initial-load-total">
                {describeInitialLoadTotal(current.initialLoad)}
                {current.initialLoad.totalCountedAt === null ? null : (
                  <>
                    {' '}
                    Asked <Instant at={current.initialLoad.totalCountedAt} />.
                  </>
                )}
              </p>
              {current.initialLoad.entities.length === 0 ? null : (
                <details>
                  <summary>Per table</summary>
                  {current.initialLoad.entities.map((entity) => (
                    <ProgressBar
                      key={entity.entity}
                      label={entity.entity}
                      value={entity.processed}
                      max={entity.total}
                      done={entity.done}
                    />
                  ))}
                </details>
              )}
              {current.backfills.length === 0 ? (
                <p className="muted">No backfill is queued or running.</p>
              ) : (
                current.backfills.map((backfill) => (
                  <ProgressBar
                    key={backfill.id}
                    label={`Backfill ${backfill.entity}: ${backfill.attributes.join(', ')} (${backfill.status})`}
                    value={backfill.processed}
                    max={backfill.total}
                    done={backfill.status === 'done'}
                  />
                ))
              )}
            </section>

            <section className="card" aria-labelledby="backlog-heading">
              <h2 id="backlog-heading">Backlog per entity</h2>
              <BacklogTable entities={current.entities} />
            </section>

            <section className="card" aria-labelledby="latency-heading" data-testid="latency">
              <h2 id="latency-heading">Latency, last hour</h2>
              <LatencyPanel latency={current.latency} />
            </section>
          </>
        )}
      </Loadable>

      <section className="card" aria-labelledby="throughput-heading">
        <h2 id="throughput-heading">Throughput, last 24 hours</h2>
        <Loadable resource={passes} what="the pass history">
          {(history) => <Throughput passes={history} />}
        </Loadable>
      </section>

      <section className="card" aria-labelledby="notifications-heading">
        <div className="card-head">
          <h2 id="notifications-heading">Latest notifications</h2>
          <Link href={paths.notifications}>All notifications</Link>
        </div>
        <Loadable resource={notifications} what="notifications">
          {(page) =>
            page.items.length === 0 ? (
              <p className="muted">No notifications yet.</p>
            ) : (
              <ul className="plain-list">
                {page.items.map((notification) => (
                  <li key={notification.id} className="notification-line">
                    <Badge tone={notification.type.includes('fail') ? 'bad' : 'info'}>
                      {notification.type}
                    </Badge>
                    <span className="wrap">{notification.message}</span>
                    <span>
                      <NotificationDelivery delivery={notification.delivery} compact />{' '}
                      <Instant at={notification.at} />
                    </span>
                  </li>
                ))}
              </ul>
            )
          }
        </Loadable>
      </section>
    </>
  );
}

function Throughput({ passes }: { passes: SyncPassList }) {
  const buckets = hourlyThroughput(passes.items);
  const total = buckets.reduce((sum, bucket) => sum + bucket.toCrm + bucket.fromCrm, 0);
  const hour = (date: Date) => date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return (
    <>
      <BarChart
        description={`${formatCount(total)} records written in the last 24 hours by the last ${passes.items.length} passes, per hour.`}
        bars={buckets.map((bucket, index) => ({
          label: index % 3 === 2 ? hour(bucket.start) : '',
          value: bucket.toCrm + bucket.fromCrm,
          title: `${hour(bucket.start)}: ${formatCount(bucket.fromCrm)} from the CRM, ${formatCount(bucket.toCrm)} to the CRM`,
        }))}
      />
      <h3>Recent passes</h3>
      <DataTable
        label="Recent passes"
        columns={[
          { label: 'Started' },
          { label: 'Trigger' },
          { label: 'Status' },
          { label: 'Duration' },
          { label: 'From CRM', number: true },
          { label: 'To CRM', number: true },
          { label: 'Error' },
        ]}
      >
        {passes.items.slice(0, 8).map((pass) => {
          const written = writtenRecords(pass);
          return (
            <tr key={pass.id}>
              <td>
                <Instant at={pass.startedAt} />
              </td>
              <td>{pass.trigger}</td>
              <td>
                <Badge
                  tone={pass.status === 'succeeded' ? 'good' : pass.status === 'failed' ? 'bad' : 'info'}
                >
                  {pass.status}
                </Badge>
              </td>
              <td>
                {pass.finishedAt === null
                  ? '…'
                  : formatDuration((Date.parse(pass.finishedAt) - Date.parse(pass.startedAt)) / 1000)}
              </td>
              <td className="number">{formatCount(written.fromCrm)}</td>
              <td className="number">{formatCount(written.toCrm)}</td>
              <td className="cell-text">{pass.error === null ? '' : <Clipped text={pass.error} />}</td>
            </tr>
          );
        })}
      </DataTable>
      {passes.items.length === 0 ? <p className="muted">No pass has run yet.</p> : null}
    </>
  );
}
