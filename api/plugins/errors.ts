import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../../core/errors.js';

interface ErrorBody {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** Fastify's own error codes for bad requests, mapped to what a caller should read. */
function fromFastifyError(error: FastifyError): ErrorBody | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'Send the body as JSON with Content-Type: application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'The request body is larger than this endpoint accepts' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'The body is empty but Content-Type says JSON; send a JSON object' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'invalid_json', message: `The body is not valid JSON: ${error.message}` };
    default:
      if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
        return { status: 400, code: 'invalid_json', message: `The body is not valid JSON: ${error.message}` };
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return { status: error.statusCode, code: 'bad_request', message: error.message };
      }
      return undefined;
  }
}

/** Every error leaves as `{ error: { code, message, details? } }`; bad input is a 4xx that names the field. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let body: ErrorBody | undefined;
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      const details = error.validation.flatMap((issue) => {
        const at = [where, ...issue.instancePath.split('/').filter(Boolean)];
        const unknownKeys = issue.keyword === 'unrecognized_keys' ? (issue.params as { keys?: string[] }).keys : undefined;
        if (unknownKeys?.length) {
          return unknownKeys.map((key) => ({ field: [...at, key].join('.'), message: 'is not a known field; remove it', code: 'unrecognized_key' }));
        }
        return [{ field: at.join('.'), message: issue.message, code: issue.keyword }];
      });
      const first = details[0]!;
      body = {
        status: 400,
        code: 'invalid_request',
        message: `${first.field}: ${first.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`,
        details,
      };
    } else if (error instanceof AppError) {
      body = { status: error.status, code: error.code, message: error.message, details: error.details };
    } else {
      body = fromFastifyError(error);
    }
    if (!body) {
      request.log.error({ err: error }, 'unhandled error');
      body = { status: 500, code: 'internal_error', message: 'Something went wrong on our side; the request id is in the logs' };
    }
    if (body.status === 429 && error instanceof AppError && typeof error.details === 'object' && error.details) {
      const retryAfter = (error.details as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retryAfter) reply.header('Retry-After', String(retryAfter));
    }
    const { status, ...rest } = body;
    return reply.status(status).send({ error: rest });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}; see /docs for the API` },
    }),
  );
});
