import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  nextPreference,
  readPreference,
  resolveTheme,
  THEME_KEY,
  type Theme,
  type ThemePreference,
} from '../lib/theme';

interface ThemeContextValue {
  preference: ThemePreference;
  theme: Theme;
  cycle: () => void;
}

const ThemeContext = createContext<ThemeContextValue>({ preference: 'system', theme: 'light', cycle: () => {} });

const darkQuery = '(prefers-color-scheme: dark)';

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia(darkQuery).matches;
}

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [preference, setPreference] = useState<ThemePreference>(() => readPreference(safeStorage()));
  const [systemDark, setSystemDark] = useState(systemPrefersDark);

  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return;
    const query = window.matchMedia(darkQuery);
    const onChange = () => setSystemDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);

  const theme = resolveTheme(preference, systemDark);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);

  const cycle = useCallback(() => {
    setPreference((current) => {
      const next = nextPreference(current);
      const storage = safeStorage();
      if (next === 'system') storage?.removeItem(THEME_KEY);
      else storage?.setItem(THEME_KEY, next);
      return next;
    });
  }, []);

  const value = useMemo(() => ({ preference, theme, cycle }), [preference, theme, cycle]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeContextValue {
  return useContext(ThemeContext);
}

/** localStorage, or undefined where it is blocked (private modes, sandboxed frames). */
export function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
