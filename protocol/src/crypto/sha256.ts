// SHA-256 (FIPS 180-4 §6.2), portable, in the Espruino subset (../../../shared/espruino/FACTS.md).
//
// Used by the tweetnacl reference path on the host and by the tests that run firmware code in Node. On a
// device the firmware injects Espruino's native `crypto.SHA256` instead (FACTS.md "Crypto reality": under
// 0.1 ms for 128 bytes), so this code favours clarity over speed.
//
// Arithmetic: every word is kept as a signed 32-bit integer with `| 0` after each addition; rotations use
// shift counts 1..31 only (Espruino does not mask a shift count of 32, FACTS.md "Semantic traps"). The
// message length is split into high and low 32-bit halves with division, not shifts, because the bit
// length of a message of 2^29 bytes or more no longer fits in 32 bits.

/** FIPS 180-4 §6.2: the digest is eight 32-bit words. */
export const SHA256_DIGEST_BYTES = 32;
/** FIPS 180-4 §5.1.1: the message is processed in 512-bit blocks. */
export const SHA256_BLOCK_BYTES = 64;

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

// FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
const INITIAL_HASH = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

function rotr(x: number, n: number): number {
  // n is always in 1..31 here.
  return (x >>> n) | (x << (32 - n));
}

// FIPS 180-4 §6.2.2: one compression of the 64-byte block at `data[offset..offset+63]` into `h`,
// using `w` (64 words) as the message schedule.
function compress(h: Int32Array, w: Int32Array, data: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const j = offset + 4 * t;
    w[t] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
  }
  for (let t = 16; t < 64; t++) {
    const w15 = w[t - 15];
    const w2 = w[t - 2];
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  let a = h[0];
  let b = h[1];
  let c = h[2];
  let d = h[3];
  let e = h[4];
  let f = h[5];
  let g = h[6];
  let hh = h[7];
  for (let t = 0; t < 64; t++) {
    const bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + bigSigma1 + ch + K[t] + w[t]) | 0;
    const bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (bigSigma0 + maj) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + hh) | 0;
}

function writeWordBE(out: Uint8Array, offset: number, word: number): void {
  out[offset] = (word >>> 24) & 0xff;
  out[offset + 1] = (word >>> 16) & 0xff;
  out[offset + 2] = (word >>> 8) & 0xff;
  out[offset + 3] = word & 0xff;
}

/** SHA-256 digest (32 bytes) of `data`. Reads the full blocks in place; only the padded tail is copied. */
export function sha256(data: Uint8Array): Uint8Array {
  const h = new Int32Array(8);
  for (let i = 0; i < 8; i++) h[i] = INITIAL_HASH[i];
  const w = new Int32Array(64);
  const length = data.length;
  const fullBlocks = Math.floor(length / SHA256_BLOCK_BYTES);
  for (let block = 0; block < fullBlocks; block++) compress(h, w, data, block * SHA256_BLOCK_BYTES);

  // FIPS 180-4 §5.1.1 padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer; it takes
  // one more block, or two when fewer than 9 bytes are left in the last one.
  const tailStart = fullBlocks * SHA256_BLOCK_BYTES;
  const rest = length - tailStart;
  const tailLength = rest < SHA256_BLOCK_BYTES - 8 ? SHA256_BLOCK_BYTES : 2 * SHA256_BLOCK_BYTES;
  const tail = new Uint8Array(tailLength);
  for (let i = 0; i < rest; i++) tail[i] = data[tailStart + i];
  tail[rest] = 0x80;
  // Bit length = 8 * length: high word = floor(length / 2^29), low word = (length mod 2^29) * 8.
  writeWordBE(tail, tailLength - 8, Math.floor(length / 0x20000000));
  writeWordBE(tail, tailLength - 4, (length % 0x20000000) * 8);
  compress(h, w, tail, 0);
  if (tailLength > SHA256_BLOCK_BYTES) compress(h, w, tail, SHA256_BLOCK_BYTES);

  const out = new Uint8Array(SHA256_DIGEST_BYTES);
  for (let i = 0; i < 8; i++) writeWordBE(out, 4 * i, h[i]);
  return out;
}
