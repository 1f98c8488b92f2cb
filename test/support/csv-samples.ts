// Generated campaign files for the tests and benches: Postalytics' mail layout, CRLF endings, a
// quoted comma in every row, and optionally every n-th row (row index 0, n, 2n, ...) without a zip.
const STATES = ['MA', 'CA', 'TX', 'NY', 'WA'];

/** The street line of data row `i` (0-based), unique per row: what the provider sees as the address. */
export const sampleStreet = (i: number) => `${i} Beacon St`;

export function sampleMailCsv(rows: number, invalidEvery = 0): string {
  const lines = ['first_name,last_name,address_street,address_city,address_state,address_zip,var_field_1'];
  for (let i = 0; i < rows; i++) {
    const zip = invalidEvery && i % invalidEvery === 0 ? '' : String(10_000 + (i % 89_999)).padStart(5, '0');
    lines.push(`First${i},"Last, ${i}",${sampleStreet(i)},Boston,${STATES[i % STATES.length]},${zip},Offer ${i % 7}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}
