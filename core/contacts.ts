import { z } from 'zod';
import { US_STATES } from './postal-address.js';

const text = (max = 200) => z.union([z.string(), z.number()]).transform(String).pipe(z.string().trim().max(max));
// CSV fields are always text: the lean form keeps a 100,000-row file fast to validate.
const csvText = (max = 200) => z.string().trim().max(max);
const KNOWN = ['first_name', 'last_name', 'organization', 'address_street', 'address_street2', 'address_city', 'address_state', 'address_zip', 'address_country', 'email', 'phone', 'external_id'];
const VAR_FIELD = /^var_field_\d{1,3}$/;

/**
 * A Postalytics contact: flat name and address fields plus `var_field_N`. A mail piece needs a name
 * (or organization), a street, a city and a postal code; a state, where given, marks a US address,
 * which then needs a real state or territory code and a 5 or 9 digit ZIP.
 */
const fieldsOf = <T extends z.ZodType>(t: (max?: number) => T) => ({
  first_name: t().optional(),
  last_name: t().optional(),
  organization: t().optional(),
  address_street: t(300),
  address_street2: t(300).optional(),
  address_city: t(),
  address_state: t(50).optional(),
  address_zip: t(20),
  address_country: t(100).optional(),
  email: t(320).optional(),
  phone: t(50).optional(),
  external_id: t().optional(),
});
const contactFields = fieldsOf(text);

type Ctx = z.RefinementCtx;

interface Needs {
  mail: boolean;
  email: boolean;
  /** Fields beyond the known ones: refused (API bodies) or kept for the template (file columns). */
  extraFields?: 'refuse' | 'keep';
}

function checkContact(contact: Record<string, string | undefined>, ctx: Ctx, needs: Needs, extra: object): void {
  for (const key of needs.extraFields === 'keep' ? [] : Object.keys(contact)) {
    if (!KNOWN.includes(key) && !(key in extra) && !VAR_FIELD.test(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'is not a contact field (use var_field_1, var_field_2… for your own data)' });
    }
  }
  if (needs.mail) {
    if (!contact.first_name && !contact.last_name && !contact.organization) ctx.addIssue({ code: 'custom', path: ['last_name'], message: 'a name (first_name and last_name, or organization) is required' });
    for (const field of ['address_street', 'address_city', 'address_zip'] as const) {
      if (!contact[field]) ctx.addIssue({ code: 'custom', path: [field], message: 'is required for a mail piece' });
    }
  }
  if (needs.email && !contact.email) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is required for an email' });
  const state = contact.address_state?.toUpperCase();
  if (state) {
    if (!US_STATES.has(state)) ctx.addIssue({ code: 'custom', path: ['address_state'], message: `"${contact.address_state}" is not a US state or territory code` });
    if (contact.address_zip && !/^\d{5}(-?\d{4})?$/.test(contact.address_zip)) ctx.addIssue({ code: 'custom', path: ['address_zip'], message: 'must be a 5 or 9 digit ZIP for a US address' });
  }
  if (contact.email && !z.email().safeParse(contact.email).success) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is not an email address' });
}

/** The contact schema, optionally beside request-level fields (`campaign_id`, `headers`) that are not contact data. */
export const mailContactSchemaWith = <E extends z.ZodRawShape>(extra: E) =>
  z
    .object({ ...contactFields, ...extra })
    .catchall(text(2000))
    .superRefine((parsed, ctx) => checkContact(parsed as unknown as Record<string, string | undefined>, ctx, { mail: true, email: false }, extra));

const optionalFields = Object.fromEntries(Object.entries(contactFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof contactFields]: z.ZodOptional<(typeof contactFields)[K]> };
/** A contact enrolled into a flow, or a row of a file: what it must carry depends on the channels it is sent on. */
export const flowContactSchema = (needs: Needs) =>
  z
    .object(optionalFields)
    .catchall(text(2000))
    .superRefine((parsed, ctx) => checkContact(parsed as unknown as Record<string, string | undefined>, ctx, needs, {}));
export type FlowContact = Record<string, string>;

const csvFields = Object.fromEntries(Object.entries(fieldsOf(csvText)).map(([k, v]) => [k, v.optional()]));
/** A row of a campaign file: text fields only, extra columns kept for the template. */
export const fileRowSchema = (channel: 'email' | 'mail') =>
  z
    .object(csvFields)
    .catchall(csvText(2000))
    .superRefine((parsed, ctx) => checkContact(parsed as Record<string, string | undefined>, ctx, { mail: channel === 'mail', email: channel === 'email', extraFields: 'keep' }, {}));
export const mailContactSchema = mailContactSchemaWith({});
export type MailContact = z.infer<typeof mailContactSchema>;

/** Header names as RFC 5322 allows them; values without line breaks, so nothing can be smuggled in. */
export const customHeadersSchema = z
  .record(z.string().regex(/^[!-9;-~]+$/, 'is not a valid header name').max(100), z.string().max(1000).refine((v) => !/[\r\n]/.test(v), 'must not contain line breaks'))
  .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers');
