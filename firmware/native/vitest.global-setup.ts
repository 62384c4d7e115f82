// Vitest global setup (vitest.config.ts): builds the native Ed25519 (Thumb blob, WASM, emulator harness)
// once before any test file runs, so that parallel test files never build it concurrently. A fresh CI clone
// has no build output; an up-to-date one costs only a hash of the sources.
import { ensureNativeBuild } from './build';

export default function setup(): void {
  try {
    ensureNativeBuild({ log: (s) => console.log(`[firmware/native] ${s}`) });
  } catch (e) {
    // Only the native tests need the build: they call ensureNativeBuild() again and fail with the full
    // error, while the rest of the suite still runs.
    console.warn(
      `[firmware/native] construction impossible / build failed: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}
