import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

// Every filter lives in the URL search params, so a view can be shared by copying its address.
// A schema names each param and its default; a list default ([]) makes the param multi-valued (?state=TX&state=CA).

export type ParamSchema = Record<string, string | string[]>;
export type ParamValues<S extends ParamSchema> = { [K in keyof S]: S[K] extends string[] ? string[] : string };

export function readParams<S extends ParamSchema>(params: URLSearchParams, schema: S): ParamValues<S> {
  const values: Record<string, string | string[]> = {};
  for (const [key, fallback] of Object.entries(schema)) {
    if (Array.isArray(fallback)) {
      const all = params.getAll(key).flatMap((value) => value.split(",")).filter(Boolean);
      values[key] = all.length ? all : fallback;
    } else {
      values[key] = params.get(key) ?? fallback;
    }
  }
  return values as ParamValues<S>;
}

/** Writes the changes over `current`, leaving out values equal to their defaults so addresses stay short. */
export function writeParams<S extends ParamSchema>(
  current: URLSearchParams,
  schema: S,
  changes: Partial<ParamValues<S>>,
): URLSearchParams {
  const next = new URLSearchParams(current);
  for (const [key, value] of Object.entries(changes) as [string, string | string[] | undefined][]) {
    next.delete(key);
    if (value === undefined) continue;
    const fallback = schema[key];
    if (Array.isArray(value)) {
      const same = Array.isArray(fallback) && fallback.length === value.length && fallback.every((v, i) => v === value[i]);
      if (!same) for (const item of value) next.append(key, item);
    } else if (value !== fallback && value !== "") {
      next.set(key, value);
    }
  }
  return next;
}

export function useUrlState<S extends ParamSchema>(
  schema: S,
): [ParamValues<S>, (changes: Partial<ParamValues<S>>, options?: { replace?: boolean }) => void] {
  const [params, setParams] = useSearchParams();
  // The schema is a constant per view; its JSON keeps the memo stable when callers write it inline.
  const schemaKey = JSON.stringify(schema);
  const values = useMemo(() => readParams(params, schema), [params, schemaKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const update = useCallback(
    (changes: Partial<ParamValues<S>>, options?: { replace?: boolean }) => {
      setParams((current) => writeParams(current, schema, changes), { replace: options?.replace ?? false });
    },
    [setParams, schemaKey], // eslint-disable-line react-hooks/exhaustive-deps
  );
  return [values, update];
}
