/** The uniform error body of the Trellis API: `{"detail": {"error", "message", ...extra}}`. */
export interface ApiErrorDetail {
  error: string;
  message: string;
  [extra: string]: unknown;
}

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

export interface ItemErrors {
  index: number;
  code?: string | null;
  errors: string[];
}

/** An error the API answered with (or a network failure), carrying the server's own message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: ApiErrorDetail;

  constructor(status: number, detail: ApiErrorDetail) {
    super(detail.message);
    this.name = "ApiError";
    this.status = status;
    this.code = detail.error;
    this.detail = detail;
  }

  /** FastAPI-style field errors of a 422 `validation_error`. */
  get fieldErrors(): FieldError[] {
    const errors = this.detail.errors;
    return Array.isArray(errors) ? (errors as FieldError[]) : [];
  }

  /** Per-item errors of a bulk request (seed 000: `validation_errors: [{index, code, errors}]`). */
  get itemErrors(): ItemErrors[] {
    const errors = this.detail.validation_errors;
    return Array.isArray(errors) ? (errors as ItemErrors[]) : [];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Build an ApiError from whatever body came back: the uniform shape, FastAPI's bare `detail`, or nothing. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isRecord(body) && isRecord(body.detail)) {
    const detail = body.detail;
    if (typeof detail.message === "string") {
      return new ApiError(status, {
        ...detail,
        error: typeof detail.error === "string" ? detail.error : `http_${status}`,
        message: detail.message,
      });
    }
  }
  if (isRecord(body) && typeof body.detail === "string") {
    return new ApiError(status, { error: `http_${status}`, message: body.detail });
  }
  return new ApiError(status, {
    error: `http_${status}`,
    message: status >= 500 ? `The server failed (HTTP ${status}). Try again in a moment.` : `The request failed (HTTP ${status}).`,
  });
}

export function networkError(cause: unknown): ApiError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(0, {
    error: "network_error",
    message: "Cannot reach the Trellis server. Check that it is running and your connection is up.",
    reason,
  });
}

/** A human sentence for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
