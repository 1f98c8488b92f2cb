import type { FlowCondition } from '../core/flow-definition.js';

const asNumber = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** Compares as numbers when both sides are numbers, otherwise as text. */
function compare(a: unknown, b: unknown): number {
  const [x, y] = [asNumber(a), asNumber(b)];
  if (x !== undefined && y !== undefined) return x - y;
  const [s, t] = [String(a), String(b)];
  return s < t ? -1 : s > t ? 1 : 0;
}

/** A branch's test against the contact's fields (a missing field is only ever `neq` or not `exists`). */
export function evaluateCondition(condition: FlowCondition, contact: Record<string, unknown>): boolean {
  const value = contact[condition.field];
  const present = value !== undefined && value !== null && value !== '';
  switch (condition.op) {
    case 'exists':
      return condition.value === false ? !present : present;
    case 'eq':
      return present && compare(value, condition.value) === 0;
    case 'neq':
      return !present || compare(value, condition.value) !== 0;
    case 'in':
      return present && (condition.value as unknown[]).some((candidate) => compare(value, candidate) === 0);
    case 'gt':
      return present && compare(value, condition.value) > 0;
    case 'lt':
      return present && compare(value, condition.value) < 0;
  }
}
