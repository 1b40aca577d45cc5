import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { PricingApi, UserApi } from './api/client';
import { SessionManager } from './auth/session';
import { safeStorage } from './app/theme';
import { appConfig } from './config';
import './styles.css';

const config = appConfig();
const userApi = new UserApi({ baseUrl: config.apiBaseUrl });
const pricingApi = new PricingApi({ baseUrl: config.apiBaseUrl });
const session = new SessionManager(userApi, {
  refreshLeadSeconds: config.refreshLeadSeconds,
  storage: safeStorage(),
  locks: typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : undefined,
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App services={{ config, userApi, pricingApi, session }} />
  </StrictMode>,
);
