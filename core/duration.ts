import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const SHORT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
// ISO 8601 durations in days, weeks and time parts (months and years have no fixed length).
const ISO = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Parses `500ms`, `5s`, `2m`, `1h`, `3d`, `2w` or ISO 8601 like `P3D`, `PT2H30M` into milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const short = SHORT.exec(trimmed);
  if (short) return Math.round(Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS]);
  const iso = ISO.exec(trimmed);
  if (!iso || trimmed.toUpperCase() === 'P' || trimmed.toUpperCase().endsWith('T')) return undefined;
  const [w, d, h, m, s] = iso.slice(1).map((part) => Number(part ?? 0));
  return Math.round(w! * UNIT_MS.w + d! * UNIT_MS.d + h! * UNIT_MS.h + m! * UNIT_MS.m + s! * UNIT_MS.s);
}

export const DURATION_HINT = 'write it like 500ms, 5s, 2h, 3d or ISO 8601 like P3D or PT2H';

/** A zod string such as `30s` that parses to milliseconds. */
export const durationMs = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; ${DURATION_HINT}` });
    return z.NEVER;
  }
  return ms;
});
