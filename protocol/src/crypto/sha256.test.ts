// Portable SHA-256 (sha256.ts) against the FIPS 180-4 / NIST example vectors and against node:crypto.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHA256_BLOCK_BYTES, SHA256_DIGEST_BYTES, sha256 } from './sha256';
import { sha256Host } from '../node/ed25519';
import { sha256Reference } from '../node/ed25519-reference';

const SEED = 0x5a256;

function hex(u8: Uint8Array): string {
  return Buffer.from(u8).toString('hex');
}

function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

function nodeSha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

// NIST "Examples with intermediate values" for SHA-256 (FIPS 180-4 examples, CSRC) and the classic
// one-million-'a' long message test.
const NIST_VECTORS: Array<{ name: string; input: () => Uint8Array; digest: string }> = [
  {
    name: '"abc" (one block)',
    input: () => ascii('abc'),
    digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  },
  {
    name: 'empty message',
    input: () => new Uint8Array(0),
    digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  {
    name: '448-bit message (two blocks)',
    input: () => ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    digest: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
  {
    name: '896-bit message',
    input: () =>
      ascii(
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      ),
    digest: 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
  },
  {
    name: "1,000,000 x 'a'",
    input: () => new Uint8Array(1000000).fill(0x61),
    digest: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
  },
];

describe('sha256 (portable, FIPS 180-4)', () => {
  for (const v of NIST_VECTORS) {
    it(`NIST vector: ${v.name}`, () => {
      const input = v.input();
      expect(hex(sha256(input))).toBe(v.digest);
      // The typed digest is also what node:crypto computes (guards against a typo in the table).
      expect(nodeSha256(input)).toBe(v.digest);
      expect(hex(sha256Host(input))).toBe(v.digest);
      expect(hex(sha256Reference(input))).toBe(v.digest);
    });
  }

  it('matches node:crypto for every length 0..300 (all padding cases: 55/56/63/64/119/120 bytes...)', () => {
    for (let n = 0; n <= 300; n++) {
      const data = new Uint8Array(crypto.randomBytes(n));
      const digest = sha256(data);
      expect(digest.length).toBe(SHA256_DIGEST_BYTES);
      expect(hex(digest)).toBe(nodeSha256(data));
    }
  });

  it('reads a subarray view without touching the bytes around it', () => {
    const backing = new Uint8Array(crypto.randomBytes(3 * SHA256_BLOCK_BYTES));
    const before = hex(backing);
    const view = backing.subarray(7, 7 + 2 * SHA256_BLOCK_BYTES + 3);
    expect(hex(sha256(view))).toBe(nodeSha256(view));
    expect(hex(backing)).toBe(before);
  });

  it('matches node:crypto on random inputs (property)', () => {
    console.log(`sha256 property seed: ${SEED}`);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1000 }), (data) => {
        expect(hex(sha256(data))).toBe(nodeSha256(data));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
