// Every error code of the protocol layer has a French and an English sentence.
import { describe, it, expect } from 'vitest';
import { STRUCT_MESSAGES_FR, STRUCT_MESSAGES_EN } from './errors';
import { CBOR_DECODE_CODES } from './cbor';

describe('error words', () => {
  it('French and English tables have the same codes, CBOR codes included', () => {
    expect(Object.keys(STRUCT_MESSAGES_EN).sort()).toEqual(Object.keys(STRUCT_MESSAGES_FR).sort());
    for (const c of CBOR_DECODE_CODES) expect(STRUCT_MESSAGES_FR[c], c).toBeTruthy();
    for (const v of Object.values(STRUCT_MESSAGES_FR)) expect(v.length).toBeGreaterThan(3);
  });
});
