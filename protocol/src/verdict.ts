// The verdict every decoder and verifier of untrusted bytes returns. They never throw on hostile input:
// a code for programs, a French sentence for people (English through errors.ts).

export type Verdict<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export function okVerdict<T>(value: T): Verdict<T> {
  return { ok: true, value: value };
}

export function failVerdict<T>(code: string, message: string): Verdict<T> {
  return { ok: false, code: code, message: message };
}
