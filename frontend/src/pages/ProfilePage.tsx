import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/errors';
import { useServices, useSession } from '../app/services';
import { MIN_PASSWORD_LENGTH } from './AuthPages';

export function ProfilePage() {
  const state = useSession();
  if (state.status !== 'signedIn') return null;
  return (
    <div className="page narrow">
      <h1>Profile</h1>
      <dl className="facts">
        <dt>Email</dt>
        <dd data-testid="profile-email">{state.user.email}</dd>
        <dt>Member since</dt>
        <dd>{state.user.createTime ? new Date(state.user.createTime).toLocaleDateString() : '—'}</dd>
      </dl>
      <DisplayNameForm current={state.user.displayName} />
      <PasswordForm />
    </div>
  );
}

function DisplayNameForm({ current }: { current: string }) {
  const { session, userApi } = useServices();
  const [name, setName] = useState(current);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      const user = await session.withAccessToken((token) => userApi.updateDisplayName(token, name.trim()));
      session.updateUser(user);
      setMessage({ ok: true, text: 'Display name saved.' });
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="name-title">
      <h2 id="name-title">Display name</h2>
      <label htmlFor="profile-name">Display name</label>
      <input id="profile-name" type="text" maxLength={100} value={name} onChange={(event) => setName(event.target.value)} />
      {message && (
        <p className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <button type="submit" className="button" disabled={busy || name.trim() === current}>
        {busy ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}

function PasswordForm() {
  const { session, userApi } = useServices();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (newPassword !== confirm) {
      setMessage({ ok: false, text: 'The new passwords do not match.' });
      return;
    }
    if (newPassword.length < MIN_PASSWORD_LENGTH) {
      setMessage({ ok: false, text: `Use at least ${MIN_PASSWORD_LENGTH} characters for the new password.` });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      await session.withAccessToken((token) => userApi.changePassword(token, currentPassword, newPassword));
      setCurrentPassword('');
      setNewPassword('');
      setConfirm('');
      setMessage({ ok: true, text: 'Password changed.' });
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <label htmlFor="current-password">Current password</label>
      <input id="current-password" type="password" autoComplete="current-password" required value={currentPassword}
        onChange={(event) => setCurrentPassword(event.target.value)} />
      <label htmlFor="new-password">New password</label>
      <input id="new-password" type="password" autoComplete="new-password" required minLength={MIN_PASSWORD_LENGTH}
        value={newPassword} onChange={(event) => setNewPassword(event.target.value)} />
      <label htmlFor="confirm-password">Confirm new password</label>
      <input id="confirm-password" type="password" autoComplete="new-password" required value={confirm}
        onChange={(event) => setConfirm(event.target.value)} />
      {message && (
        <p className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <button type="submit" className="button" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
