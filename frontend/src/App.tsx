import { lazy, Suspense, useEffect, useState } from 'react';
import { createBrowserRouter, Link, RouterProvider, type RouteObject } from 'react-router';
import { ServicesProvider, type Services } from './app/services';
import { ThemeProvider } from './app/theme';
import { Layout } from './components/Layout';
import { RequireAuth } from './components/RequireAuth';
import { EmptyState, SkeletonRows } from './components/States';
import { SignInPage, SignUpPage } from './pages/AuthPages';
import { MarketsPage } from './pages/MarketsPage';
import { ProfilePage } from './pages/ProfilePage';

// The chart library is only needed on the asset page: a separate chunk keeps
// it out of the initial bundle.
const AssetPage = lazy(() => import('./pages/AssetPage'));

function NotFoundPage() {
  return (
    <div className="page">
      <EmptyState title="Page not found" detail="There is nothing at this address."
        action={<Link to="/" className="button">Go to the markets</Link>} />
    </div>
  );
}

/** Routes; portfolio and alert pages slot in here as further children. */
export const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, element: <MarketsPage /> },
      {
        path: 'markets/:symbol',
        element: (
          <Suspense fallback={<SkeletonRows rows={8} label="Loading chart" />}>
            <AssetPage />
          </Suspense>
        ),
      },
      { path: 'signin', element: <SignInPage /> },
      { path: 'signup', element: <SignUpPage /> },
      { path: 'profile', element: <RequireAuth><ProfilePage /></RequireAuth> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export function App({ services }: { services: Services }) {
  useEffect(() => {
    void services.session.restore();
    // Timers are throttled in background tabs; catch up when visible again.
    const onVisible = () => {
      if (document.visibilityState === 'visible') services.session.refreshIfDue();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [services]);

  const [router] = useState(() => createBrowserRouter(routes));
  return (
    <ServicesProvider services={services}>
      <ThemeProvider>
        <RouterProvider router={router} />
      </ThemeProvider>
    </ServicesProvider>
  );
}
