// The simulator's Ed25519: the WASM build of the reader's C when it is built (npm run build:native), else
// tweetnacl, saying so on the console. On a board the choice does not exist: platform/espruino uses the
// native blob or refuses to start (ed25519-native.ts).

import { existsSync } from 'node:fs';
import type { Ed25519 } from '../../hal/crypto';
import { createTweetnaclEd25519 } from './ed25519-tweetnacl';
import { ED25519_WASM_PATH, loadEd25519Wasm } from './ed25519-wasm';

export function openNodeEd25519(log?: (line: string) => void, wasmPath?: string): Ed25519 {
  const file = wasmPath === undefined ? ED25519_WASM_PATH : wasmPath;
  if (existsSync(file)) return loadEd25519Wasm(file);
  (log === undefined ? console.warn : log)(
    'carnet : build WebAssembly de firmware/native absent (npm run build:native) ; le simulateur utilise ' +
      'tweetnacl, qui ne tourne pas sur un lecteur / WASM build missing, the simulator falls back to tweetnacl',
  );
  return createTweetnaclEd25519();
}
