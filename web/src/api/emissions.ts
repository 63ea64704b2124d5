import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import type { FeatureCollection, Geometry } from "geojson";
import { api } from "./client";
import { ApiError, problemFrom } from "./problem";
import type { EstimateReport, LocationAnswer, Period, Rounding, SubregionProfiles } from "../lib/emissions";

// The Emissions page's calls: GET /locations/{zip}, GET /emissions/subregions, GET /emissions/subregion-map and
// POST /emissions/estimate, through the typed client (paths, parameters and bodies checked against schema.gen.ts).
// The answers' shapes are lib/emissions.ts's (the OpenAPI document leaves them open).

const STALE = 5 * 60_000;

/** A problem+json answer, with its extensions (`missing`, `years_with_it`, `zip` ...) kept for the page to use. */
export class ProblemError extends ApiError {
  readonly extensions: Record<string, unknown>;

  constructor(status: number, body: unknown, fallback: string) {
    const base = problemFrom(status, body, fallback);
    super(base.status, base.title, base.detail);
    const { type: _type, title: _title, status: _status, detail: _detail, instance: _instance, ...rest } = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    this.extensions = rest;
  }

  /** The years a missing figure is loaded for (an estimate refused for want of a grid loss). */
  get yearsWithIt(): number[] {
    const years = this.extensions.years_with_it;
    return Array.isArray(years) ? years.map(Number).filter(Number.isFinite) : [];
  }
}

function unwrapProblem<T>(result: { data?: unknown; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ProblemError(result.response.status, result.error, result.response.statusText || "Request failed");
  }
  return result.data as T;
}

function yearQuery(year: string): { year?: number } {
  return year ? { year: Number(year) } : {};
}

/** The utilities serving a ZIP code and their subregions' rates. */
export function useLocation(zip: string, year: string) {
  return useQuery({
    queryKey: ["location", zip, year],
    queryFn: async () =>
      unwrapProblem<LocationAnswer>(await api.GET("/api/v1/locations/{zip}", { params: { path: { zip }, query: yearQuery(year) } })),
    staleTime: STALE,
    enabled: Boolean(zip),
  });
}

/** Every subregion's rates, fuel mix and grid loss, and the US's, for a data year (default: the latest). */
export function useSubregionProfiles(year: string) {
  return useQuery({
    queryKey: ["emission-subregions", year],
    queryFn: async () => unwrapProblem<SubregionProfiles>(await api.GET("/api/v1/emissions/subregions", { params: { query: yearQuery(year) } })),
    staleTime: STALE,
    placeholderData: keepPreviousData,
  });
}

export type SubregionBoundaries = FeatureCollection<Geometry, { code: string; name: string | null }>;

export function useSubregionMap() {
  return useQuery({
    queryKey: ["subregion-map"],
    queryFn: async () => unwrapProblem<SubregionBoundaries>(await api.GET("/api/v1/emissions/subregion-map")),
    staleTime: Infinity,
  });
}

export interface EstimateSite {
  site_id?: string;
  zip?: string;
  subregion?: string;
  kwh: number;
  period?: Period;
}

export interface EstimateOptions {
  year: string;
  rounding: Rounding;
}

function estimateQuery({ year, rounding }: EstimateOptions): { year?: number; rounding?: Rounding } {
  return { ...yearQuery(year), ...(rounding !== "none" ? { rounding } : {}) };
}

/** The estimate for one site (a problem when it cannot be made), or for a list of sites (errors per row). */
export async function postEstimate(sites: EstimateSite | EstimateSite[], options: EstimateOptions): Promise<EstimateReport> {
  return unwrapProblem<EstimateReport>(
    await api.POST("/api/v1/emissions/estimate", { params: { query: estimateQuery(options) }, body: sites }),
  );
}

/** A sites file (CSV text, header site_id,zip|subregion,kwh[,year,period]) estimated as a batch. */
export async function postSitesCsv(csv: string, options: EstimateOptions): Promise<EstimateReport> {
  return unwrapProblem<EstimateReport>(
    await api.POST("/api/v1/emissions/estimate", {
      params: { query: estimateQuery(options) },
      body: csv,
      headers: { "Content-Type": "text/csv" },
      bodySerializer: (body) => body,
    }),
  );
}

/** One site's estimate (the figure), and those of its ZIP code's other subregions, if any. */
export function useEstimate(site: EstimateSite | null, others: string[], options: EstimateOptions) {
  return useQuery({
    queryKey: ["estimate", site, others, options],
    queryFn: async () => {
      const main = await postEstimate(site!, options);
      const extra = others.length
        ? await postEstimate(others.map((code) => ({ site_id: code, subregion: code, kwh: site!.kwh, period: site!.period })), options)
        : null;
      return { main, others: extra };
    },
    staleTime: STALE,
    enabled: site !== null && Number.isFinite(site.kwh),
    retry: false,
  });
}

export function useSitesUpload() {
  return useMutation({
    mutationFn: ({ csv, options }: { csv: string; options: EstimateOptions }) => postSitesCsv(csv, options),
  });
}
