import { Link, Route, Switch, useRoute } from 'wouter';
import { useSession } from './auth/session.ts';
import { CampaignPage } from './pages/campaign-page.tsx';
import { CampaignsPage } from './pages/campaigns-page.tsx';
import { ConflictsPage } from './pages/conflicts-page.tsx';
import { DashboardPage } from './pages/dashboard-page.tsx';
import { ErrorsPage } from './pages/errors-page.tsx';
import { FieldsPage } from './pages/fields-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { NotificationsPage } from './pages/notifications-page.tsx';
import { PersonPage } from './pages/person-page.tsx';
import { PersonsPage } from './pages/persons-page.tsx';
import { paths } from './routes.ts';

const navigation = [
  { path: paths.dashboard, label: 'Dashboard', match: paths.dashboard },
  { path: paths.fields, label: 'Fields', match: paths.fields },
  { path: paths.errors, label: 'Errors', match: paths.errors },
  { path: paths.conflicts, label: 'Conflicts', match: paths.conflicts },
  { path: paths.persons, label: 'Persons', match: '/persons/*?' },
  { path: paths.campaigns, label: 'Campaigns', match: '/campaigns/*?' },
  { path: paths.notifications, label: 'Notifications', match: paths.notifications },
] as const;

function NavLink({ path, label, match }: { path: string; label: string; match: string }) {
  const [active] = useRoute(match);
  return (
    <Link
      href={path}
      className={active ? 'nav-link nav-active' : 'nav-link'}
      aria-current={active ? 'page' : undefined}
    >
      {label}
    </Link>
  );
}

/** The frame of every page: skip link, header with logout, navigation, and the routed page. */
export function Layout() {
  const { logout } = useSession();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Syncline</span>
        <span className="brand-sub">Dynamics 365 sync · admin console</span>
        <button type="button" className="button-quiet" onClick={logout}>
          Log out
        </button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {navigation.map((item) => (
            <li key={item.path}>
              <NavLink {...item} />
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Switch>
          <Route path={paths.dashboard} component={DashboardPage} />
          <Route path={paths.fields} component={FieldsPage} />
          <Route path={paths.errors} component={ErrorsPage} />
          <Route path={paths.conflicts} component={ConflictsPage} />
          <Route path={paths.persons} component={PersonsPage} />
          <Route path={paths.person}>{(params) => <PersonPage id={params.id} />}</Route>
          <Route path={paths.campaigns} component={CampaignsPage} />
          <Route path={paths.campaign}>{(params) => <CampaignPage id={params.id} />}</Route>
          <Route path={paths.notifications} component={NotificationsPage} />
          <Route component={NotFoundPage} />
        </Switch>
      </main>
    </div>
  );
}
