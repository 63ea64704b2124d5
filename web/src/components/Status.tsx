import type { ReactNode } from "react";
import type { UseQueryResult } from "@tanstack/react-query";
import { errorMessage } from "../api/problem";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state-box" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state-box" role="status">
      {children}
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state-box error" role="alert">
      <strong>Could not load this.</strong> {errorMessage(error)}
      {onRetry && (
        <>
          {" "}
          <button type="button" className="link" onClick={onRetry}>
            Retry
          </button>
        </>
      )}
    </div>
  );
}

/** The refusal of an action (a form sent, a button pressed): the API's problem+json detail, if it failed. */
export function ActionError({ failed, error, prefix = "" }: { failed: boolean; error: unknown; prefix?: string }) {
  if (!failed) return null;
  return (
    <div className="alert" role="alert">
      {prefix}
      {errorMessage(error)}
    </div>
  );
}

/** Loading, error and empty states for a query, and its data to `children` once it has some. */
export function QueryView<T>({
  query,
  isEmpty,
  empty = "Nothing matches these filters.",
  loading,
  children,
}: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loading?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading label={loading} />;
  if (query.isError) return <ErrorBox error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}
