import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const SHORT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `500ms`, `5s`, `2m`, `1h`, `3d` into milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = SHORT.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** A zod string such as `30s` that parses to milliseconds. */
export const durationMs = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write it like 500ms, 5s, 2m, 1h or 3d` });
    return z.NEVER;
  }
  return ms;
});
