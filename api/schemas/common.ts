import { z } from 'zod';

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(100).optional(),
});

/** `{ items, next_cursor? }`: newest first; pass `next_cursor` back as `cursor` for the next page. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().optional() });
}

export function page<T extends { id: string }>(items: T[], limit: number) {
  return { items, next_cursor: items.length === limit ? items[items.length - 1]!.id : undefined };
}

export const idParamsSchema = z.strictObject({ id: z.string().min(1).max(100) });

/** Standard error responses every authenticated route can give, for the OpenAPI document. */
export const authErrors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
} as const;
