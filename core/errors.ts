/** An error whose message is meant for the API caller, with the HTTP status it maps to. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id?: string) =>
  new AppError(404, 'not_found', id ? `${what} ${id} was not found` : `${what} was not found`);

export const conflict = (message: string, details?: unknown) => new AppError(409, 'conflict', message, details);

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'invalid_request', message, details);

/** A 400 from zod issues, each field named under `prefix` (e.g. `body.contact`). */
export function invalidFields(prefix: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): AppError {
  const details = issues.map((issue) => ({ field: [prefix, ...issue.path.map(String)].join('.'), message: issue.message }));
  const first = details[0]!;
  return badRequest(`${first.field}: ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`, details);
}
