// Positional field reader for the CBOR arrays of SPEC.md §3-§10. The first problem found is kept
// (code + French message naming the field); later reads return harmless defaults, so a decoder reads
// every field in order and checks `f.error` once at the end. Never throws on hostile input.

import { CborValue } from '../cbor';
import { utf8Length } from '../bytes';

const EMPTY = new Uint8Array(0);

export class Fields {
  items: CborValue[];
  structure: string;
  errorCode: string;
  error: string;

  constructor(value: CborValue, structure: string, count: number) {
    this.structure = structure;
    this.errorCode = '';
    this.error = '';
    if (!Array.isArray(value) || value.length !== count) {
      this.items = [];
      this.fail('STRUCT_SHAPE', 'un tableau de ' + count + ' champs est attendu');
    } else {
      this.items = value;
    }
  }

  fail(code: string, message: string): void {
    if (this.error === '') {
      this.errorCode = code;
      this.error = this.structure + ' : ' + message;
    }
  }

  /** Unsigned integer in [min, max]. */
  uint(i: number, name: string, min: number, max: number): number {
    const v = this.items[i];
    if (this.error !== '') return min;
    if (typeof v !== 'number' || v < 0 || Math.floor(v) !== v) {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit être un entier positif');
      return min;
    }
    if (v < min || v > max) {
      this.fail(
        'STRUCT_RANGE',
        'le champ « ' + name + ' » vaut ' + v + ', hors de [' + min + ', ' + max + ']',
      );
      return min;
    }
    return v;
  }

  /** Signed integer in [min, max]. */
  int(i: number, name: string, min: number, max: number): number {
    const v = this.items[i];
    if (this.error !== '') return 0;
    if (typeof v !== 'number' || Math.floor(v) !== v) {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit être un entier');
      return 0;
    }
    if (v < min || v > max) {
      this.fail(
        'STRUCT_RANGE',
        'le champ « ' + name + ' » vaut ' + v + ', hors de [' + min + ', ' + max + ']',
      );
      return 0;
    }
    return v;
  }

  /** Byte string of exactly `len` bytes. */
  bytes(i: number, name: string, len: number): Uint8Array {
    const v = this.items[i];
    if (this.error !== '') return EMPTY;
    if (!(v instanceof Uint8Array) || v.length !== len) {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit faire ' + len + ' octets');
      return EMPTY;
    }
    return v;
  }

  /** Byte string of at most `max` bytes. */
  bytesMax(i: number, name: string, max: number): Uint8Array {
    const v = this.items[i];
    if (this.error !== '') return EMPTY;
    if (!(v instanceof Uint8Array)) {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit être une suite d’octets');
      return EMPTY;
    }
    if (v.length > max) {
      this.fail('STRUCT_TOO_LARGE', 'le champ « ' + name + ' » dépasse ' + max + ' octets');
      return EMPTY;
    }
    return v;
  }

  /** True when field i is CBOR null (for the "x / null" fields). */
  isNull(i: number): boolean {
    return this.error === '' && this.items[i] === null;
  }

  /**
   * Printable text of at most `maxBytes` UTF-8 bytes, restricted to Latin-1 without control characters
   * (U+0020..U+007E, U+00A0..U+00FF): an 8-bit Espruino string holds each character exactly, and the
   * receipt printer's code page has them all (SPEC.md §7).
   */
  text(i: number, name: string, maxBytes: number): string {
    const v = this.items[i];
    if (this.error !== '') return '';
    if (typeof v !== 'string') {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit être un texte');
      return '';
    }
    if (utf8Length(v) > maxBytes) {
      this.fail('STRUCT_TOO_LARGE', 'le texte « ' + name + ' » dépasse ' + maxBytes + ' octets');
      return '';
    }
    if (!isPrintableLatin1(v)) {
      this.fail('STRUCT_RANGE', 'le texte « ' + name + ' » contient un caractère non imprimable');
      return '';
    }
    return v;
  }

  /** Array of at most `max` items. */
  array(i: number, name: string, max: number): CborValue[] {
    const v = this.items[i];
    if (this.error !== '') return [];
    if (!Array.isArray(v)) {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit être une liste');
      return [];
    }
    if (v.length > max) {
      this.fail('STRUCT_TOO_LARGE', 'la liste « ' + name + ' » dépasse ' + max + ' éléments');
      return [];
    }
    return v;
  }

  /** Boolean. */
  bool(i: number, name: string): boolean {
    const v = this.items[i];
    if (this.error !== '') return false;
    if (typeof v !== 'boolean') {
      this.fail('STRUCT_SHAPE', 'le champ « ' + name + ' » doit être vrai ou faux');
      return false;
    }
    return v;
  }
}

/** Text fields allowed in v1 structures: printable Latin-1 only (see Fields.text). */
export function isPrintableLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c > 0x7e && c < 0xa0) || c > 0xff) return false;
  }
  return true;
}
