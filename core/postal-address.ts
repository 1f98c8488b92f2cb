import { z } from 'zod';

/** The USPS abbreviations most street addresses use, so "12 Main Street" and "12 main st." are one address. */
const ABBREVIATIONS: Record<string, string> = {
  street: 'st', avenue: 'ave', av: 'ave', road: 'rd', boulevard: 'blvd', drive: 'dr', lane: 'ln',
  court: 'ct', place: 'pl', terrace: 'ter', parkway: 'pkwy', highway: 'hwy', circle: 'cir',
  square: 'sq', trail: 'trl', way: 'way', suite: 'ste', apartment: 'apt', building: 'bldg',
  floor: 'fl', north: 'n', south: 's', east: 'e', west: 'w', northeast: 'ne', northwest: 'nw',
  southeast: 'se', southwest: 'sw', mount: 'mt', fort: 'ft', saint: 'st', expressway: 'expy',
  freeway: 'fwy', heights: 'hts', junction: 'jct', point: 'pt', ridge: 'rdg', center: 'ctr',
};

export const addressFieldsSchema = z.object({
  address_street: z.string(),
  address_street2: z.string().optional(),
  address_city: z.string(),
  address_state: z.string().optional(),
  address_zip: z.string(),
  address_country: z.string().optional(),
});
export type AddressFields = z.infer<typeof addressFieldsSchema>;

/** One line, as people write it: "3 Quiet Ln, Denver, CO 80202". */
export function formatAddress(a: AddressFields): string {
  const region = [a.address_state, a.address_zip].filter(Boolean).join(' ');
  return [a.address_street, a.address_street2, a.address_city, region, a.address_country].filter((p) => p && p.trim()).join(', ');
}

/**
 * The key two spellings of one postal address share: lower case, punctuation and spacing folded,
 * common street words abbreviated, a ZIP+4 cut to its five digits.
 */
export function normaliseAddress(address: string | AddressFields): string {
  const line = typeof address === 'string' ? address : formatAddress(address);
  return line
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\b(\d{5})-?\d{4}\b/g, '$1')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .map((word) => ABBREVIATIONS[word] ?? word)
    .join(' ');
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** US states, DC and territories: a given state must be one of these. */
export const US_STATES = new Set(
  ('AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY ' +
    'AS GU MP PR VI UM FM MH PW AA AE AP').split(' '),
);
