import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { Row } from "../lib/export";

// Every call the dashboard makes, as TanStack Query hooks. Paths and parameters are checked against the
// generated schema; rows are handed to the views as plain records keyed by canonical column names.

export interface List {
  data: Row[];
  meta: Record<string, unknown> & { count?: number; total?: number; next_cursor?: string | null; source?: unknown };
}

const STALE = 5 * 60_000; // a loaded eGRID release never changes; uploads invalidate explicitly

export type Level = "state" | "ba" | "subregion" | "nerc" | "us";
export const LEVELS: { value: Exclude<Level, "us">; label: string }[] = [
  { value: "state", label: "State" },
  { value: "subregion", label: "eGRID subregion" },
  { value: "ba", label: "Balancing authority" },
  { value: "nerc", label: "NERC region" },
];

export interface PlantFilters {
  year?: string;
  state?: string[];
  fuel?: string[];
  subregion?: string[];
  ba?: string[];
  nerc?: string[];
}

function filterParams(filters: PlantFilters): Record<string, string | number | string[]> {
  const params: Record<string, string | number | string[]> = {};
  if (filters.year) params.year = Number(filters.year);
  for (const key of ["state", "fuel", "subregion", "ba", "nerc"] as const) {
    const values = filters[key];
    if (values?.length) params[key] = values;
  }
  return params;
}

/** Every list of the API is {data, meta}. */
function asList(data: unknown): List {
  const list = data as Partial<List> | undefined;
  return { data: (list?.data ?? []) as Row[], meta: (list?.meta ?? {}) as List["meta"] };
}

export function useYears() {
  return useQuery({
    queryKey: ["years"],
    queryFn: async () => asList(unwrap(await api.GET("/api/v1/years"))),
    staleTime: STALE,
  });
}

export function useStates() {
  return useQuery({
    queryKey: ["states"],
    queryFn: async () => asList(unwrap(await api.GET("/api/v1/states"))),
    staleTime: Infinity,
  });
}

export function useTopPlants(filters: PlantFilters, metric: string, limit: number, enabled = true) {
  return useQuery({
    queryKey: ["plants-top", filters, metric, limit],
    queryFn: async () =>
      asList(
        unwrap(
          await api.GET("/api/v1/plants/top", {
            params: { query: { ...filterParams(filters), metric, limit } as never },
          }),
        ),
      ),
    staleTime: STALE,
    placeholderData: keepPreviousData,
    enabled: enabled && Boolean(filters.year),
  });
}

export interface PlantQuery extends PlantFilters {
  q?: string;
  sort?: string;
  cursor?: string;
  limit?: number;
  capacity_min?: string;
  capacity_max?: string;
}

function plantQuery(query: PlantQuery): Record<string, unknown> {
  const params: Record<string, unknown> = filterParams(query);
  if (query.q) params.q = query.q;
  if (query.sort) params.sort = query.sort;
  if (query.cursor) params.cursor = query.cursor;
  if (query.limit) params.limit = query.limit;
  if (query.capacity_min) params.capacity_min = Number(query.capacity_min);
  if (query.capacity_max) params.capacity_max = Number(query.capacity_max);
  return params;
}

export function usePlants(query: PlantQuery, enabled = true) {
  return useQuery({
    queryKey: ["plants", query],
    queryFn: async () => asList(unwrap(await api.GET("/api/v1/plants", { params: { query: plantQuery(query) as never } }))),
    staleTime: STALE,
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function usePlant(id: string, year?: string) {
  return useQuery({
    queryKey: ["plant", id, year],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/plants/{plant_id}", {
          params: { path: { plant_id: Number(id) }, query: (year ? { year: Number(year) } : {}) as never },
        }),
      ) as unknown as Row,
    staleTime: STALE,
  });
}

export function usePlantHistory(id: string) {
  return useQuery({
    queryKey: ["plant-history", id],
    queryFn: async () =>
      asList(unwrap(await api.GET("/api/v1/plants/{plant_id}/history", { params: { path: { plant_id: Number(id) } } }))),
    staleTime: STALE,
  });
}

export function usePlantGenerators(id: string, year?: string) {
  return useQuery({
    queryKey: ["plant-generators", id, year],
    queryFn: async () =>
      asList(
        unwrap(
          await api.GET("/api/v1/plants/{plant_id}/generators", {
            params: { path: { plant_id: Number(id) }, query: (year ? { year: Number(year) } : {}) as never },
          }),
        ),
      ),
    staleTime: STALE,
  });
}

export function useRegions(level: Level, year: string) {
  return useQuery({
    queryKey: ["regions", level, year],
    queryFn: async () =>
      asList(
        unwrap(
          await api.GET("/api/v1/regions/{level}", {
            params: { path: { level }, query: (year ? { year: Number(year) } : {}) as never },
          }),
        ),
      ),
    staleTime: STALE,
    placeholderData: keepPreviousData,
    enabled: Boolean(year),
  });
}

export function useAggregates(groupBy: string, year: string, metric: string[], filters: PlantFilters = {}, enabled = true) {
  return useQuery({
    queryKey: ["aggregates", groupBy, year, metric, filters],
    queryFn: async () =>
      asList(
        unwrap(
          await api.GET("/api/v1/aggregates", {
            params: { query: { ...filterParams(filters), group_by: groupBy, year: Number(year), metric } as never },
          }),
        ),
      ),
    staleTime: STALE,
    placeholderData: keepPreviousData,
    enabled: enabled && Boolean(year),
  });
}

export function useTrend(level: Level, code: string | null, metric: string) {
  return useQuery({
    queryKey: ["trends", level, code, metric],
    queryFn: async () =>
      asList(
        unwrap(
          await api.GET("/api/v1/trends", {
            params: { query: { level, metric, ...(code ? { code } : {}) } as never },
          }),
        ),
      ),
    staleTime: STALE,
    enabled: level === "us" || Boolean(code),
  });
}

/** A list endpoint of any level, one page, for the Data view. */
export function useLevelRows(path: DataPath, query: Record<string, unknown>) {
  return useQuery({
    queryKey: ["level-rows", path, query],
    queryFn: async () => asList(unwrap(await api.GET(path as "/api/v1/plants", { params: { query: query as never } }))),
    staleTime: STALE,
    placeholderData: keepPreviousData,
  });
}
export type DataPath = "/api/v1/plants" | "/api/v1/generators" | "/api/v1/units" | `/api/v1/regions/${Exclude<Level, never>}`;

// ---- admin ----

export const RUN_FINISHED = ["succeeded", "noop", "failed"];

export function useIngestions(poll: boolean) {
  return useQuery({
    queryKey: ["ingestions"],
    queryFn: async () => asList(unwrap(await api.GET("/api/v1/ingestions"))),
    refetchInterval: poll ? 1000 : false,
  });
}

export function useIngestion(id: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: ["ingestion", id],
    queryFn: async () => {
      const run = unwrap(await api.GET("/api/v1/ingestions/{run_id}", { params: { path: { run_id: Number(id) } } })) as Row;
      if (RUN_FINISHED.includes(String(run.status ?? ""))) {
        // the run list, the loaded years and every cached view now have news
        void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== "ingestion" });
      }
      return run;
    },
    enabled: id !== null,
    refetchInterval: (query) => {
      const status = String((query.state.data as Row | undefined)?.status ?? "");
      return RUN_FINISHED.includes(status) ? false : 700;
    },
  });
}

export function useUpload() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (file: File) => {
      const body = new FormData();
      body.append("file", file);
      // multipart: the form is sent as it is, not serialised as JSON
      return unwrap(
        await api.POST("/api/v1/ingestions", { body: body as never, bodySerializer: (form: unknown) => form as FormData }),
      ) as Row;
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["ingestions"] }),
  });
}

export function useUsers() {
  return useQuery({
    queryKey: ["users"],
    queryFn: async () => asList(unwrap(await api.GET("/auth/users"))),
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (user: { email: string; password: string; role: string }) =>
      unwrap(await api.POST("/auth/users", { body: user as never })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
}

// ---- API keys (yours; see docs/security.md) ----

export function useApiKeys() {
  return useQuery({
    queryKey: ["api-keys"],
    queryFn: async () => asList(unwrap(await api.GET("/auth/api-keys"))),
  });
}

export interface NewApiKey {
  name: string;
  role: string;
  expires_at: string | null;
}

export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (key: NewApiKey) => unwrap(await api.POST("/auth/api-keys", { body: key as never })) as Row,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["api-keys"] }),
  });
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      unwrap(await api.DELETE("/auth/api-keys/{key_id}", { params: { path: { key_id: id } } })); // 204, or a problem
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["api-keys"] }),
  });
}

/** Every plant matching the filters, page after page (the map needs them all). */
export function useAllPlants(query: PlantQuery, pageSize = 1000, maxRows = 50_000) {
  return useQuery({
    queryKey: ["plants-all", query, pageSize],
    queryFn: async () => {
      const rows: Row[] = [];
      let cursor: string | undefined;
      do {
        const page = asList(
          unwrap(await api.GET("/api/v1/plants", { params: { query: plantQuery({ ...query, cursor, limit: pageSize }) as never } })),
        );
        rows.push(...page.data);
        cursor = page.meta.next_cursor ?? undefined;
      } while (cursor && rows.length < maxRows);
      return rows;
    },
    staleTime: STALE,
    placeholderData: keepPreviousData,
    enabled: Boolean(query.year),
  });
}
