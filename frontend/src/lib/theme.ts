// Light/dark theme: follows the system unless the user picked one, which is
// remembered. The chosen theme is applied as <html data-theme="...">.

export type ThemePreference = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'ct.theme';

export function readPreference(storage: Pick<Storage, 'getItem'> | undefined): ThemePreference {
  const stored = storage?.getItem(THEME_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export function resolveTheme(preference: ThemePreference, systemPrefersDark: boolean): Theme {
  if (preference === 'system') return systemPrefersDark ? 'dark' : 'light';
  return preference;
}

/** The toggle cycles system → light → dark → system. */
export function nextPreference(preference: ThemePreference): ThemePreference {
  return preference === 'system' ? 'light' : preference === 'light' ? 'dark' : 'system';
}
