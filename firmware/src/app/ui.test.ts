import { describe, expect, it } from 'vitest';
import {
  RESULT_SCREEN_MS,
  RETAP_TIMEOUT_MS,
  PRESENT_TIMEOUT_MS,
  UiContext,
  UiState,
  initialUi,
  uiStep,
} from './ui';
import { DISPLAY_COLUMNS, EURO, T, money } from './texts';

const ctx: UiContext = {
  categories: [
    { id: 1, label: 'Légumes', rateBp: 10000 },
    { id: 4, label: 'Épicerie', rateBp: 5000 },
  ],
  notReady: [],
};

function keys(s: UiState, k: string, c: UiContext = ctx): { state: UiState; kinds: string[] } {
  const kinds: string[] = [];
  for (const key of k) {
    const r = uiStep(s, { kind: 'key', key: key, ms: 0 }, c);
    s = r.state;
    for (const e of r.effects) kinds.push(e.kind);
  }
  return { state: s, kinds };
}

describe('texts', () => {
  it('every display text is Latin-1 and fits 21 columns', () => {
    for (const [k, v] of Object.entries(T)) {
      expect(v.length, k).toBeLessThanOrEqual(DISPLAY_COLUMNS);
      for (let i = 0; i < v.length; i++) expect(v.charCodeAt(i), k).toBeLessThanOrEqual(0xff);
    }
  });
  it('money is integer cents with a comma and the 8-bit euro sign', () => {
    expect(money(0)).toBe('0,00 ' + EURO);
    expect(money(5)).toBe('0,05 ' + EURO);
    expect(money(123456)).toBe('1234,56 ' + EURO);
    expect(money(-1500)).toBe('-15,00 ' + EURO);
  });
});

describe('ui state machine', () => {
  it('amount, correction, category by its position, present, cancel', () => {
    let r = keys(initialUi(), '0425*9');
    expect(r.state.amount).toBe(429);
    r = keys(r.state, '#');
    expect(r.state.mode).toBe('category');
    r = keys(r.state, '3'); // no third category
    expect(r.state.mode).toBe('category');
    r = keys(r.state, '2');
    expect(r.state.mode).toBe('present');
    expect(r.state.category).toBe(4);
    r = keys(r.state, '*');
    expect(r.state.mode).toBe('amount');
    expect(r.state.amount).toBe(0);
  });

  it('one category skips the choice; # on zero does nothing; not ready shows the reason', () => {
    const one = { ...ctx, categories: [ctx.categories[0]] };
    expect(keys(initialUi(), '5#', one).state.mode).toBe('present');
    expect(keys(initialUi(), '#').state.mode).toBe('amount');
    const nr = { ...ctx, notReady: [T.syncRequired, T.syncRequired2] };
    const r = keys(initialUi(), '5#', nr);
    expect(r.state.mode).toBe('result');
    expect(r.state.lines).toEqual([T.syncRequired, T.syncRequired2]);
  });

  it('function keys: A balance, B reprint, C refund, D day close with confirmation', () => {
    expect(keys(initialUi(), 'A').state.op).toBe('balance');
    expect(keys(initialUi(), 'B').kinds).toContain('reprint');
    expect(keys(initialUi(), 'C').state.op).toBe('refund');
    expect(keys(initialUi(), 'D*').kinds).not.toContain('dayClose');
    expect(keys(initialUi(), 'D#').kinds).toContain('dayClose');
  });

  it('timeouts: result screen, presentation, re-tap (which voids with reason 1)', () => {
    let s = uiStep(initialUi(), { kind: 'result', lines: ['x'], ms: 1000 }, ctx).state;
    s = uiStep(s, { kind: 'tick', ms: 1000 + RESULT_SCREEN_MS - 1 }, ctx).state;
    expect(s.mode).toBe('result');
    s = uiStep(s, { kind: 'tick', ms: 1000 + RESULT_SCREEN_MS }, ctx).state;
    expect(s.mode).toBe('amount');
    s = keys(s, '5#1').state;
    s = uiStep(s, { kind: 'tick', ms: PRESENT_TIMEOUT_MS + 1 }, ctx).state;
    expect(s.mode).toBe('amount');
    s = uiStep(s, { kind: 'torn', ms: 0 }, ctx).state;
    expect(s.lines[0]).toBe(T.retap);
    expect(keys(s, '5').state.mode).toBe('retap');
    const t = uiStep(s, { kind: 'tick', ms: RETAP_TIMEOUT_MS }, ctx);
    expect(t.effects.filter((e) => e.kind === 'void')[0].reason).toBe(1);
    const c = uiStep(s, { kind: 'key', key: '*', ms: 5 }, ctx);
    expect(c.effects.filter((e) => e.kind === 'void')[0].reason).toBe(2);
  });

  it('never throws and stays in a known mode on any key sequence', () => {
    const all = '0123456789ABCD*#xé';
    let s = initialUi();
    for (let i = 0; i < 2000; i++) {
      const k = all[(i * 7 + (i >> 3)) % all.length];
      s = uiStep(s, { kind: 'key', key: k, ms: i * 10 }, ctx).state;
      expect(['amount', 'category', 'present', 'retap', 'result', 'confirm']).toContain(s.mode);
      expect(s.amount).toBeLessThan(1000000);
    }
  });
});
