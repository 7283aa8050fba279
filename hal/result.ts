/** Outcome of a HAL operation: a value, or a short machine-readable error code with detail. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: string; detail?: string };

/** Build a success result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value: value };
}

/** Build a failure result. */
export function fail<T>(error: string, detail?: string): Result<T> {
  return { ok: false, error: error, detail: detail };
}
