import { Link } from 'wouter';
import { PageTitle } from '../components/page-title.tsx';
import { paths } from '../routes.ts';

export function NotFoundPage() {
  return (
    <>
      <PageTitle title="Page not found" />
      <p>
        There is no such page. <Link href={paths.dashboard}>Go to the dashboard</Link>.
      </p>
    </>
  );
}
