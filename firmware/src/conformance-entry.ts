// Test entry (not installed on a board): the protocol's golden-vector runner bundled exactly like the
// firmware (firmware/build.ts → build/conformance.js), so that test/sim/espruino-vm.ts can run every case
// of protocol/vectors/*.json inside node:vm with only Espruino's globals and check the verdicts.
//
// Crypto inside the bundle: the portable SHA-256 (protocol/src/crypto/sha256.ts) and an Ed25519 verifier
// given by the caller on each call. There is no native code in the vm: the host injects its verifier
// (labelled as such in the runner); on a board main.ts uses the Thumb blob instead.
//
// Exposed as `global.carnetConformance` (the bundle exports nothing, so esbuild adds no module helpers).

import { runVectorCase, VectorCase, CaseOutcome } from '../../protocol/src/conformance';
import { sha256 } from '../../protocol/src/crypto/sha256';
import { Ed25519Verify } from '../../protocol/src/crypto/types';

// Espruino's `global` object (the vm runner defines it too).
declare const global: { [name: string]: unknown };

/**
 * Runs one case given as JSON text (parsed here, so every object belongs to the bundle's own realm) and
 * returns the outcome as JSON text.
 */
function runCaseJson(structure: string, caseJson: string, verify: Ed25519Verify): string {
  const t = JSON.parse(caseJson) as VectorCase;
  const o: CaseOutcome = runVectorCase(structure, t, { sha256: sha256, verify: verify });
  return JSON.stringify(o);
}

global.carnetConformance = {
  runCaseJson: runCaseJson,
  sha256: sha256,
};
