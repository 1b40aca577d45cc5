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

/**
 * Submit lifecycle shared by the sign-in and sign-up forms. `busy` stays set after a successful
 * call so the signed-in state does not race navigate() with a <Navigate> to the same place;
 * it is cleared only on failure so the user can retry.
 */
function useAuthSubmit() {
  const state = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const next = safeNext(params.get('next'));

  const run = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      navigate(next, { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
      setBusy(false);
    }
  };

  return { state, next, busy, error, setError, run, alreadySignedIn: state.status === 'signedIn' && !busy };
}

function AuthFormFooter({ error, busy, label, busyLabel }: {
  error: string | undefined;
  busy: boolean;
  label: string;
  busyLabel: string;
}) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="button button-wide" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
    </>
  );
}

export function SignInPage() {
  const { session } = useServices();
  const { state, next, busy, error, run, alreadySignedIn } = useAuthSubmit();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  if (alreadySignedIn) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => session.signIn(email.trim(), password));
  };

  return (
    <section className="auth-card" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {state.status === 'signedOut' && state.notice && (
        <p className="notice" role="status">
          {state.notice}
        </p>
      )}
      <form onSubmit={submit} noValidate={false}>
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
        <AuthFormFooter error={error} busy={busy} label="Sign in" busyLabel="Signing in…" />
      </form>
      <p className="muted">
        New here? <Link to={`/signup${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function SignUpPage() {
  const { session } = useServices();
  const { next, busy, error, setError, run, alreadySignedIn } = useAuthSubmit();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');

  if (alreadySignedIn) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setError('The passwords do not match.');
      return;
    }
    if (password.length < MIN_PASSWORD_LENGTH) {
      setError(`Use at least ${MIN_PASSWORD_LENGTH} characters for the password.`);
      return;
    }
    void run(() => session.signUp(email.trim(), password, displayName.trim()));
  };

  return (
    <section className="auth-card" aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
      <form onSubmit={submit}>
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
        <AuthFormFooter error={error} busy={busy} label="Sign up" busyLabel="Creating account…" />
      </form>
      <p className="muted">
        Already registered? <Link to="/signin">Sign in</Link>
      </p>
    </section>
  );
}
