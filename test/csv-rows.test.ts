// The file campaign parser alone: what a data team's CSV becomes (valid contacts, invalid rows with row and column, or a refusal).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { FileRejected, readCampaignFile, type RowError, type ValidRow } from '../sftp-ingest/csv-rows.js';

const REFERENCE_SAMPLE = `first_name,last_name,address_street,address_city,address_state,address_zip,var_field_1
Jared,Wong,77 Beacon St,Boston,MA,02108,Renewal Offer
Sandra,Nguyen,22 Harbor Rd,San Diego,CA,92101,Loyalty Bonus
`;

async function read(text: string | Buffer, spec: Parameters<typeof readCampaignFile>[1] = { channel: 'mail' }, chunkSize = 7) {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  // Small chunks: a field, a quote or a line break split across reads must not matter.
  const chunks = Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) => bytes.subarray(i * chunkSize, (i + 1) * chunkSize));
  const valid: ValidRow[] = [];
  const invalid: RowError[] = [];
  const counts = await readCampaignFile(Readable.from(chunks), spec, { onValid: (r) => void valid.push(r), onInvalid: (e) => void invalid.push(e) });
  return { counts, valid, invalid };
}

describe('campaign file rows', () => {
  it('reads the reference/001 sample as two valid mail contacts', async () => {
    const { counts, valid, invalid } = await read(REFERENCE_SAMPLE);
    assert.deepEqual({ total: counts.total, valid: counts.valid, invalid: counts.invalid }, { total: 2, valid: 2, invalid: 0 });
    assert.deepEqual(invalid, []);
    assert.deepEqual(valid[0], { row: 2, contact: { first_name: 'Jared', last_name: 'Wong', address_street: '77 Beacon St', address_city: 'Boston', address_state: 'MA', address_zip: '02108', var_field_1: 'Renewal Offer' } });
  });

  it('reports a field holding a NUL character (which Postgres cannot store) and keeps the rest of the file', async () => {
    const { counts, valid, invalid } = await read(`${REFERENCE_SAMPLE}Kim,Park,5 Cedar\u0000 St,Portland,OR,97201,Offer\n`);
    assert.deepEqual({ total: counts.total, valid: counts.valid, invalid: counts.invalid }, { total: 3, valid: 2, invalid: 1 });
    assert.deepEqual(invalid, [{ row: 4, column: 'address_street', message: 'contains a NUL character' }]);
  });

  it('takes a BOM, CRLF, a quoted comma and newline, non-ASCII names and a blank last line; reports exactly the bad rows', async () => {
    const file =
      '\uFEFFfirst_name,last_name,address_street,address_city,address_state,address_zip,var_field_1\r\n' +
      'José,Müller,"1 Main St, Apt 4",Boston,MA,02108,"Line one\r\nline two"\r\n' +
      'Zoë,Ødegård,2 Elm St,Austin,TX,,Offer\r\n' +
      'Ann,Lee,3 Oak St,Denver,ZZ,80202,Offer\r\n' +
      '李,小龙,4 Pine St,Seattle,WA,98101-1234,Offer\r\n' +
      '\r\n';
    const { counts, valid, invalid } = await read(file);
    assert.deepEqual({ total: counts.total, valid: counts.valid, invalid: counts.invalid }, { total: 4, valid: 2, invalid: 2 });
    assert.deepEqual(valid.map((v) => v.row), [2, 5]);
    assert.equal(valid[0]!.contact.address_street, '1 Main St, Apt 4');
    assert.equal(valid[0]!.contact.var_field_1, 'Line one\r\nline two');
    assert.equal(valid[0]!.contact.first_name, 'José');
    assert.equal(valid[1]!.contact.last_name, '小龙');
    assert.deepEqual(invalid, [
      { row: 3, column: 'address_zip', message: 'is required for a mail piece' },
      { row: 4, column: 'address_state', message: '"ZZ" is not a US state or territory code' },
    ]);
  });

  it('reads ; files, maps custom headers through the campaign columns and keeps extra columns for the template', async () => {
    const file = 'Vorname;Nachname;Strasse;Ort;PLZ;Land;loyalty_tier\nAnna;Schmidt;Hauptstr. 1;Berlin;10115;DE;gold\n';
    const columns = { Vorname: 'first_name', Nachname: 'last_name', Strasse: 'address_street', Ort: 'address_city', PLZ: 'address_zip', Land: 'address_country' };
    const { valid, invalid } = await read(file, { channel: 'mail', columns });
    assert.deepEqual(invalid, []);
    assert.deepEqual(valid[0]!.contact, { first_name: 'Anna', last_name: 'Schmidt', address_street: 'Hauptstr. 1', address_city: 'Berlin', address_zip: '10115', address_country: 'DE', loyalty_tier: 'gold' });
  });

  it('refuses a whole file that lacks a required column, is empty, or is not text, saying why', async () => {
    await assert.rejects(read('first_name,last_name,address_street,address_city,address_state\nA,B,1 St,Boston,MA\n'), (e: Error) => e instanceof FileRejected && /missing required column: address_zip/.test(e.message));
    await assert.rejects(read('first_name\nA\n', { channel: 'email' }), (e: Error) => e instanceof FileRejected && /missing required column: email/.test(e.message));
    await assert.rejects(read(''), (e: Error) => e instanceof FileRejected && /empty/.test(e.message));
    await assert.rejects(read(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x0a])), (e: Error) => e instanceof FileRejected && /not a CSV/.test(e.message));
    await assert.rejects(read('first_name,last_name,address_street,address_city,address_zip\n'), (e: Error) => e instanceof FileRejected && /no rows/.test(e.message));
  });

  it('reports a bad email address in an email campaign by row and column', async () => {
    const { counts, invalid } = await read('email,first_name\nok@example.com,A\nnot-an-address,B\n', { channel: 'email' });
    assert.equal(counts.valid, 1);
    assert.deepEqual(invalid, [{ row: 3, column: 'email', message: 'is not an email address' }]);
  });
});
