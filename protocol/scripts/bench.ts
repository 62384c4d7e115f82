// `npm run bench`: protocol throughput on this machine — CBOR codec, frames, structures, Ed25519.
// Figures, not assertions: the closing notes quote them with the machine they ran on.

import { cpus } from 'node:os';
import { benchCbor } from './bench-cbor';
import { benchFrames } from './bench-frame';
import { benchEd25519 } from './bench-ed25519';
import { openVoucher, signVoucher } from '../src/structures/voucher';
import { verifyVoucher } from '../src/verify';
import { hostCrypto } from '../src/node/ed25519';
import * as F from './vector-fixtures';

function rate(fn: () => void, ms = 1000): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
console.log(`carnet bench — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
console.log('\nCBOR codec');
for (const r of benchCbor())
  console.log(`  ${r.name.padEnd(40)}${fmt(r.opsPerSec)} ops/s ${r.mbPerSec.toFixed(1).padStart(8)} MB/s`);
console.log('\nFrames (SLIP + CRC-32)');
for (const r of benchFrames())
  console.log(`  ${r.name.padEnd(40)}${fmt(r.opsPerSec)} ops/s ${r.mbPerSec.toFixed(1).padStart(8)} MB/s`);
console.log('\nStructures');
const env = signVoucher(F.voucherFlat, F.issuer);
console.log(`  ${'voucher open (decode + checks)'.padEnd(40)}${fmt(rate(() => openVoucher(env)))} ops/s`);
console.log(
  `  ${'voucher verify (host Ed25519)'.padEnd(40)}${fmt(rate(() => verifyVoucher(env, false, F.issuer.publicKey, F.fundId, F.cardUid, F.NOV_2026, hostCrypto)))} ops/s`,
);
console.log('\nEd25519');
for (const r of await benchEd25519()) console.log(`  ${r.name.padEnd(40)}${fmt(r.opsPerSec)} ops/s`);
