// App-wide services (API clients, session, configuration) handed down through
// React context, so tests can render any page with fakes.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { PricingApi, UserApi } from '../api/client';
import type { SessionManager, SessionState } from '../auth/session';
import type { AppConfig } from '../config';

export interface Services {
  config: AppConfig;
  userApi: UserApi;
  pricingApi: PricingApi;
  session: SessionManager;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside ServicesProvider');
  return services;
}

export function useSession(): SessionState {
  const { session } = useServices();
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.current,
  );
}
