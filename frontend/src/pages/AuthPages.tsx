import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { errorMessage } from '../api/errors';
import { useServices, useSession } from '../app/services';

/** Only same-app paths are followed after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

// Mirrors the user service's policy (10 code points); the server has the final word.
export const MIN_PASSWORD_LENGTH = 10;

export function SignInPage() {
  const { session } = useServices();
  const state = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const next = safeNext(params.get('next'));

  if (state.status === 'signedIn' && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.signIn(email.trim(), password);
      navigate(next, { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };

  return (
    <section className="auth-card" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {state.status === 'signedOut' && state.notice && (
        <p className="notice" role="status">
          {state.notice}
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate={false}>
        <label htmlFor="signin-email">Email</label>
        <input
          id="signin-email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="signin-password">Password</label>
        <input
          id="signin-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button button-wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        New here? <Link to={`/signup${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function SignUpPage() {
  const { session } = useServices();
  const state = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const next = safeNext(params.get('next'));

  if (state.status === 'signedIn' && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setError('The passwords do not match.');
      return;
    }
    if (password.length < MIN_PASSWORD_LENGTH) {
      setError(`Use at least ${MIN_PASSWORD_LENGTH} characters for the password.`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await session.signUp(email.trim(), password, displayName.trim());
      navigate(next, { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };

  return (
    <section className="auth-card" aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="signup-email">Email</label>
        <input id="signup-email" type="email" autoComplete="email" required value={email}
          onChange={(event) => setEmail(event.target.value)} />
        <label htmlFor="signup-name">Display name</label>
        <input id="signup-name" type="text" autoComplete="nickname" maxLength={100} value={displayName}
          onChange={(event) => setDisplayName(event.target.value)} />
        <label htmlFor="signup-password">Password</label>
        <input id="signup-password" type="password" autoComplete="new-password" required
          minLength={MIN_PASSWORD_LENGTH} aria-describedby="signup-password-hint" value={password}
          onChange={(event) => setPassword(event.target.value)} />
        <p id="signup-password-hint" className="hint">At least {MIN_PASSWORD_LENGTH} characters.</p>
        <label htmlFor="signup-confirm">Confirm password</label>
        <input id="signup-confirm" type="password" autoComplete="new-password" required value={confirm}
          onChange={(event) => setConfirm(event.target.value)} />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button button-wide" disabled={busy}>
          {busy ? 'Creating account…' : 'Sign up'}
        </button>
      </form>
      <p className="muted">
        Already registered? <Link to="/signin">Sign in</Link>
      </p>
    </section>
  );
}
