// Errors from the platform are application/problem+json: {type, title, status, detail}.

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;

  constructor(status: number, title: string, detail?: string) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

function detailText(detail: unknown): string | undefined {
  if (detail === undefined || detail === null) return undefined;
  if (typeof detail === "string") return detail;
  // FastAPI's validation errors: [{loc: [...], msg}]
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const entry = item as { loc?: unknown[]; msg?: string };
        const where = entry.loc ? entry.loc.filter((part) => part !== "query" && part !== "body").join(".") : "";
        return where ? `${where}: ${entry.msg ?? ""}` : (entry.msg ?? JSON.stringify(item));
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}

export function problemFrom(status: number, body: unknown, fallback = "Request failed"): ApiError {
  if (body && typeof body === "object") {
    const problem = body as { title?: string; detail?: unknown; errors?: unknown };
    return new ApiError(status, problem.title ?? fallback, detailText(problem.detail ?? problem.errors));
  }
  if (typeof body === "string" && body.trim()) return new ApiError(status, fallback, body.trim().slice(0, 300));
  return new ApiError(status, `${fallback} (HTTP ${status})`);
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "The platform cannot be reached. Check that it is running, then retry.";
  if (error instanceof Error) return error.message;
  return String(error);
}
