import { NavLink, Outlet, useNavigate } from 'react-router';
import { useServices, useSession } from '../app/services';
import { useTheme } from '../app/theme';

const THEME_LABELS = { system: 'System theme', light: 'Light theme', dark: 'Dark theme' } as const;
const THEME_ICONS = { system: '◐', light: '☀', dark: '☾' } as const;

export function Layout() {
  const session = useSession();
  const { session: manager } = useServices();
  const { preference, cycle } = useTheme();
  const navigate = useNavigate();

  const signOut = async () => {
    await manager.signOut();
    navigate('/signin', { replace: true });
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="Crypto Tracker home">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Crypto Tracker</span>
        </NavLink>
        <nav aria-label="Main" className="nav">
          <NavLink to="/" end>
            Markets
          </NavLink>
          {session.status === 'signedIn' && <NavLink to="/profile">Profile</NavLink>}
        </nav>
        <div className="topbar-actions">
          <button
            type="button"
            className="icon-button"
            onClick={cycle}
            aria-label={`${THEME_LABELS[preference]} (change theme)`}
            title={THEME_LABELS[preference]}
            data-theme-preference={preference}
          >
            <span aria-hidden="true">{THEME_ICONS[preference]}</span>
          </button>
          {session.status === 'signedIn' ? (
            <>
              <span className="user-name" data-testid="user-name">
                {session.user.displayName || session.user.email}
              </span>
              <button type="button" className="button button-quiet" onClick={() => void signOut()}>
                Sign out
              </button>
            </>
          ) : session.status === 'signedOut' ? (
            <>
              <NavLink to="/signin" className="button button-quiet">
                Sign in
              </NavLink>
              <NavLink to="/signup" className="button">
                Sign up
              </NavLink>
            </>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
