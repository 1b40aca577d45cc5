// Loading, empty and error states shared by every screen.
import { errorMessage } from '../api/errors';

export function Skeleton({ width = '100%', height = '1em', label }: { width?: string; height?: string; label?: string }) {
  return (
    <span
      className="skeleton"
      style={{ width, height }}
      aria-hidden={label ? undefined : true}
      role={label ? 'status' : undefined}
      aria-label={label}
    />
  );
}

/** A block of skeleton lines standing in for content that is loading. */
export function SkeletonRows({ rows = 6, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div className="skeleton-rows" role="status" aria-label={label} aria-busy="true">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height="2.25rem" />
      ))}
    </div>
  );
}

export function ErrorState({ title = 'Something went wrong', error, onRetry }: {
  title?: string;
  error: unknown;
  onRetry?: () => void;
}) {
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title}</p>
      <p className="state-detail">{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, detail, action }: { title: string; detail?: string; action?: React.ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <p className="state-title">{title}</p>
      {detail && <p className="state-detail">{detail}</p>}
      {action}
    </div>
  );
}
