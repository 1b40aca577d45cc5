import { useEffect, useMemo, useState } from 'react';
import type { StreamState } from '../app/usePriceStream';

const LABELS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Disconnected',
  stopped: 'Paused',
} as const;

/** Shows whether live prices are flowing, and a retry while they are not. */
export function ConnectionBadge({ stream }: { stream: StreamState }) {
  // Fixed when the status detail arrives, so the countdown runs down.
  const { detail } = stream;
  const retryAt = useMemo(
    () => (detail.retryInMs !== undefined ? Date.now() + detail.retryInMs : undefined),
    [detail],
  );
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (stream.status === 'live' || stream.status === 'stopped') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [stream.status]);

  const seconds = retryAt !== undefined ? Math.max(0, Math.ceil((retryAt - now) / 1000)) : undefined;
  return (
    <div className={`connection connection-${stream.status}`} role="status" aria-live="polite">
      <span className="connection-dot" aria-hidden="true" />
      <span>{LABELS[stream.status]}</span>
      {stream.status === 'reconnecting' && seconds !== undefined && seconds > 0 && (
        <span className="muted"> in {seconds}s</span>
      )}
      {(stream.status === 'reconnecting' || stream.status === 'failed') && (
        <button type="button" className="link-button" onClick={stream.reconnectNow}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
