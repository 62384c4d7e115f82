// 4x4 matrix keypad: scan decoding and debounce as pure functions. The platform adapter drives one row
// low at a time (the other rows high-impedance or high), reads the four column pins (inputs with
// pull-ups: a pressed key pulls its column low) and hands us, per row, the mask of columns read low.

export const ROWS = 4;
export const COLS = 4;
/** Key names row by row, as printed on the common 4x4 membrane keypads. */
export const KEYMAP = '123A456B789C*0#D';
/**
 * A key must read the same for this long before it counts (press or release). Membrane keypads bounce
 * for a few ms up to ~20 ms; 30 ms rejects that and still feels instant (a key press lasts ≥ 80 ms).
 */
export const DEBOUNCE_MS = 30;
/** Scan period the adapter should use: several samples inside one debounce window. */
export const SCAN_PERIOD_MS = 10;

/** No key down. */
export const NO_KEY = -1;
/** Two or more keys down: ambiguous (ghosting on a diode-less matrix), treated as no key. */
export const MANY_KEYS = -2;

/**
 * Key index (row * 4 + column) from the column masks of one scan (bit c set = column c read low while
 * row r was driven), NO_KEY or MANY_KEYS.
 */
export function decodeScan(lowColumns: number[]): number {
  let found = NO_KEY;
  for (let r = 0; r < ROWS; r++) {
    const m = lowColumns[r] & 0x0f;
    if (m === 0) continue;
    if ((m & (m - 1)) !== 0 || found !== NO_KEY) return MANY_KEYS;
    let c = 0;
    while (((m >> c) & 1) === 0) c++;
    found = r * COLS + c;
  }
  return found;
}

export function keyName(index: number): string {
  return KEYMAP.charAt(index);
}

export interface DebounceState {
  /** The debounced key (index or NO_KEY). */
  stable: number;
  /** The raw reading being timed, and since when (ms). */
  candidate: number;
  since: number;
}

export function initialDebounce(): DebounceState {
  return { stable: NO_KEY, candidate: NO_KEY, since: 0 };
}

export interface DebounceResult {
  state: DebounceState;
  /** The key name pressed at this step (once per press), or null. */
  pressed: string | null;
}

/**
 * One debounce step: `raw` is decodeScan's answer at `nowMs`. A press is reported once, when the key
 * has read the same for DEBOUNCE_MS; the key must then be released (stable NO_KEY) before any new press.
 */
export function debounce(s: DebounceState, raw: number, nowMs: number): DebounceResult {
  const r = raw === MANY_KEYS ? NO_KEY : raw;
  if (r !== s.candidate) {
    return { state: { stable: s.stable, candidate: r, since: nowMs }, pressed: null };
  }
  if (r === s.stable || nowMs - s.since < DEBOUNCE_MS) {
    return { state: s, pressed: null };
  }
  // The reading held long enough: it becomes the stable state.
  const next = { stable: r, candidate: r, since: s.since };
  const pressed = r !== NO_KEY && s.stable === NO_KEY ? keyName(r) : null;
  return { state: next, pressed: pressed };
}
