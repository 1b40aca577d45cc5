// Runtime configuration read from window.__CT_CONFIG__, which /config.js sets
// before the app starts. Missing or malformed values fall back to defaults so
// a broken config file degrades to "same origin, USD" instead of a blank page.

export interface AppConfig {
  /** Origin of the /<svc>-service/api routes; "" means the page's origin. */
  apiBaseUrl: string;
  /** Quote currency of the markets page. */
  quote: 'USD' | 'EUR' | 'BTC';
  /** Seconds before access-token expiry at which it is renewed. */
  refreshLeadSeconds: number;
}

declare global {
  interface Window {
    __CT_CONFIG__?: Partial<Record<keyof AppConfig, unknown>>;
  }
}

export const defaultConfig: AppConfig = { apiBaseUrl: '', quote: 'USD', refreshLeadSeconds: 60 };

export function parseConfig(raw: unknown): AppConfig {
  const config = { ...defaultConfig };
  if (typeof raw !== 'object' || raw === null) return config;
  const values = raw as Record<string, unknown>;
  if (typeof values.apiBaseUrl === 'string') config.apiBaseUrl = values.apiBaseUrl.replace(/\/+$/, '');
  if (values.quote === 'USD' || values.quote === 'EUR' || values.quote === 'BTC') config.quote = values.quote;
  const lead = Number(values.refreshLeadSeconds);
  if (Number.isFinite(lead) && lead >= 5 && lead <= 600) config.refreshLeadSeconds = lead;
  return config;
}

let current: AppConfig | undefined;

export function appConfig(): AppConfig {
  current ??= parseConfig(typeof window === 'undefined' ? undefined : window.__CT_CONFIG__);
  return current;
}

/** For tests: forget the cached configuration. */
export function resetConfigForTests(): void {
  current = undefined;
}
