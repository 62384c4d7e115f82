// A deliberately plain BigInt model of Ed25519 (RFC 8032 §5.1), for Node only.
//
// It is NOT the implementation under test: it generates the constant tables that the C code embeds
// (gen-tables.ts), and the tests use it as an independent oracle for the protocol's extra pre-checks
// (canonical encodings, small-order keys) and for field-arithmetic edge cases. Speed does not matter
// here; every formula is the textbook one from RFC 8032 §5.1.4 so that it is easy to audit.

/** p = 2^255 - 19 (RFC 8032 §5.1). */
export const P = (1n << 255n) - 19n;
/** Group order L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1). */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

export function mod(a: bigint, m: bigint = P): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function powMod(base: bigint, exp: bigint, m: bigint = P): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

export function inv(a: bigint): bigint {
  return powMod(a, P - 2n);
}

/** d = -121665/121666 (RFC 8032 §5.1). */
export const D = mod(-121665n * inv(121666n));
/** sqrt(-1) = 2^((p-1)/4) (RFC 8032 §5.1.3 step 3). */
export const SQRT_M1 = powMod(2n, (P - 1n) / 4n);

/** Extended homogeneous coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z (RFC 8032 §5.1.4). */
export interface Point {
  X: bigint;
  Y: bigint;
  Z: bigint;
  T: bigint;
}

export const IDENTITY: Point = { X: 0n, Y: 1n, Z: 1n, T: 0n };

/** The base point B: y = 4/5, x positive (even) (RFC 8032 §5.1). */
export const BASE: Point = (() => {
  const y = mod(4n * inv(5n));
  const x = recoverX(y, 0);
  if (x === null) throw new Error('base point');
  return { X: x, Y: y, Z: 1n, T: mod(x * y) };
})();

/** Addition, RFC 8032 §5.1.4 (complete for Ed25519). */
export function add(p: Point, q: Point): Point {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(p.T * 2n * D * q.T);
  const d = mod(p.Z * 2n * q.Z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { X: mod(e * f), Y: mod(g * h), T: mod(e * h), Z: mod(f * g) };
}

/** Doubling, RFC 8032 §5.1.4. */
export function double(p: Point): Point {
  const a = mod(p.X * p.X);
  const b = mod(p.Y * p.Y);
  const c = mod(2n * p.Z * p.Z);
  const h = a + b;
  const e = h - mod((p.X + p.Y) * (p.X + p.Y));
  const g = a - b;
  const f = c + g;
  return { X: mod(e * f), Y: mod(g * h), T: mod(e * h), Z: mod(f * g) };
}

export function negate(p: Point): Point {
  return { X: mod(-p.X), Y: p.Y, Z: p.Z, T: mod(-p.T) };
}

/** [k]P by double-and-add (variable time; reference only). */
export function scalarMult(k: bigint, p: Point): Point {
  let r = IDENTITY;
  let q = p;
  let e = k;
  while (e > 0n) {
    if (e & 1n) r = add(r, q);
    q = double(q);
    e >>= 1n;
  }
  return r;
}

export function toAffine(p: Point): { x: bigint; y: bigint } {
  const zi = inv(p.Z);
  return { x: mod(p.X * zi), y: mod(p.Y * zi) };
}

export function pointEquals(p: Point, q: Point): boolean {
  return mod(p.X * q.Z - q.X * p.Z) === 0n && mod(p.Y * q.Z - q.Y * p.Z) === 0n;
}

export function bytesToBigLE(b: Uint8Array): bigint {
  let r = 0n;
  for (let i = b.length - 1; i >= 0; i--) r = (r << 8n) | BigInt(b[i]);
  return r;
}

export function bigToBytesLE(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = v;
  for (let i = 0; i < len; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new Error('value does not fit');
  return out;
}

/** Encoding, RFC 8032 §5.1.2: y little-endian, top bit = low bit of x. */
export function encodePoint(p: Point): Uint8Array {
  const a = toAffine(p);
  return bigToBytesLE(a.y | ((a.x & 1n) << 255n), 32);
}

/** x from y and the sign bit, RFC 8032 §5.1.3 steps 2-4; null when no square root exists or x = 0 with sign 1. */
export function recoverX(y: bigint, sign: number): bigint | null {
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * powMod(v, 3n) * powMod(u * powMod(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === u) {
    // x is a square root
  } else if (vx2 === mod(-u)) {
    x = mod(x * SQRT_M1);
  } else {
    return null;
  }
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = mod(-x);
  return x;
}

export type DecodeResult =
  { ok: true; point: Point } | { ok: false; reason: 'NON_CANONICAL' | 'NOT_ON_CURVE' | 'X_ZERO_SIGN' };

/** Decoding, RFC 8032 §5.1.3 including the y < p and "x = 0 with sign bit 1" rejections. */
export function decodePoint(bytes: Uint8Array): DecodeResult {
  if (bytes.length !== 32) throw new Error('32 bytes expected');
  const v = bytesToBigLE(bytes);
  const sign = Number(v >> 255n);
  const y = v & ((1n << 255n) - 1n);
  if (y >= P) return { ok: false, reason: 'NON_CANONICAL' };
  const u = mod(y * y - 1n);
  const vv = mod(D * y * y + 1n);
  let x = mod(u * powMod(vv, 3n) * powMod(u * powMod(vv, 7n), (P - 5n) / 8n));
  const vx2 = mod(vv * x * x);
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return { ok: false, reason: 'NOT_ON_CURVE' };
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1) return { ok: false, reason: 'X_ZERO_SIGN' };
  if (Number(x & 1n) !== sign) x = mod(-x);
  return { ok: true, point: { X: x, Y: y, Z: 1n, T: mod(x * y) } };
}

export function isSmallOrder(p: Point): boolean {
  return pointEquals(double(double(double(p))), IDENTITY);
}

/**
 * The canonical encodings of the 8 points of order dividing 8, computed (not typed in): the torsion
 * subgroup is generated by a point T8 of order 8, found as [L]Q for a curve point Q whose [L]Q has
 * order exactly 8.
 */
export function smallOrderEncodings(): Uint8Array[] {
  // Try y = 2, 3, ... until [L](x, y) has order 8 (i.e. its [4] multiple is not the identity).
  for (let y = 2n; ; y++) {
    const x = recoverX(y, 0);
    if (x === null) continue;
    const q: Point = { X: x, Y: y, Z: 1n, T: mod(x * y) };
    const t = scalarMult(L, q);
    if (pointEquals(double(double(t)), IDENTITY)) continue;
    const out: Uint8Array[] = [];
    let acc = IDENTITY;
    for (let i = 0; i < 8; i++) {
      out.push(encodePoint(acc));
      acc = add(acc, t);
    }
    return out;
  }
}

/** The protocol's verification rule with a BigInt equation, for cross-checks on few inputs (slow). */
export function verifyRef(
  sig: Uint8Array,
  pub: Uint8Array,
  msg: Uint8Array,
  sha512: (b: Uint8Array) => Uint8Array,
): boolean {
  if (sig.length !== 64 || pub.length !== 32) return false;
  const s = bytesToBigLE(sig.subarray(32));
  if (s >= L) return false;
  const a = decodePoint(pub);
  if (!a.ok) return false;
  if (isSmallOrder(a.point)) return false;
  const h = new Uint8Array(64 + msg.length);
  h.set(sig.subarray(0, 32), 0);
  h.set(pub, 32);
  h.set(msg, 64);
  const k = mod(bytesToBigLE(sha512(h)), L);
  const r = add(scalarMult(s, BASE), negate(scalarMult(k, a.point)));
  const enc = encodePoint(r);
  for (let i = 0; i < 32; i++) if (enc[i] !== sig[i]) return false;
  return true;
}

/** Integer k-th root (floor), for deriving the SHA-512 constants (FIPS 180-4 §4.2.3, §5.3.5). */
export function iroot(n: bigint, k: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << (BigInt(n.toString(2).length) / k + 1n);
  for (;;) {
    const y = ((k - 1n) * x + n / x ** (k - 1n)) / k;
    if (y >= x) break;
    x = y;
  }
  while (x ** k > n) x--;
  while ((x + 1n) ** k <= n) x++;
  return x;
}

export function firstPrimes(n: number): bigint[] {
  const out: bigint[] = [];
  for (let c = 2n; out.length < n; c++) {
    let prime = true;
    for (const q of out) {
      if (q * q > c) break;
      if (c % q === 0n) {
        prime = false;
        break;
      }
    }
    if (prime) out.push(c);
  }
  return out;
}
