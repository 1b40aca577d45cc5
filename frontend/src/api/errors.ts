// Errors of the REST API in one shape: the gateway's {code, message, details}
// status body plus the HTTP status, or a network failure (status 0).

/** gRPC status codes the UI tells apart. */
export const GrpcCode = {
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** gRPC code from the body, or -1 when the body had none. */
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }

  get isUnauthenticated(): boolean {
    return this.status === 401 || this.code === GrpcCode.Unauthenticated;
  }

  /** Worth retrying later: network trouble, overload or a server fault. */
  get isTransient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** Builds an ApiError from an HTTP status and whatever the body was. */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null) {
    const { code, message } = body as { code?: unknown; message?: unknown };
    if (typeof message === 'string' && message !== '') {
      return new ApiError(status, typeof code === 'number' ? code : -1, message);
    }
  }
  return new ApiError(status, -1, defaultMessage(status));
}

function defaultMessage(status: number): string {
  if (status === 0) return 'Cannot reach the server. Check your connection.';
  if (status === 401) return 'Your session has expired. Please sign in again.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Try again in a moment.';
  if (status >= 500) return 'The service is unavailable. Try again later.';
  return `Request failed (HTTP ${status}).`;
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}
