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
