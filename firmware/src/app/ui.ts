// The stallholder's flow as a pure state machine (house style: (state, event) → (state, effects); time
// comes in with the events). The reader (reader.ts) runs the effects: a tap transaction, a void, a
// reprint, a day close. Keys of the 4x4 keypad: '0'..'9', 'A'..'D', '*', '#'.
//   amount    digits; '*' deletes the last digit; '#' validates; 'A' balance; 'B' reprint; 'C' cancel last
//             sale; 'D' day close
//   category  '1'..'n' picks a category of the signed configuration; '*' back
//   present   "Présentez la carte": the shell polls the card; '*' gives up (nothing was written)
//   retap     "Reposez la carte": a sale is pending on a card that left; '*' voids it
//   result    a result screen for RESULT_SCREEN_MS, or until a key
//   confirm   day close confirmation: '#' yes, '*' no

import { Category } from '../../../protocol/src/structures/config';
import { T, money } from './texts';

/** Largest amount typed: 6 digits, 9 999,99 € (far above any per-tap cap; MAX_AMOUNT_CENTS is larger). */
export const MAX_AMOUNT_DIGITS = 6;
/** A result stays on screen 4 s: long enough to read two lines, short enough for the next customer. */
export const RESULT_SCREEN_MS = 4000;
/** "Présentez la carte" gives up after 60 s without a card (nothing was written, nothing to void). */
export const PRESENT_TIMEOUT_MS = 60000;
/** "Reposez la carte" waits 2 minutes for the same card, then voids the sale (VOID, card gone). */
export const RETAP_TIMEOUT_MS = 120000;

export const OP_SALE = 'sale';
export const OP_BALANCE = 'balance';
export const OP_REFUND = 'refund';

export interface UiState {
  mode: string;
  amount: number;
  digits: number;
  category: number;
  op: string;
  lines: string[];
  /** ms deadline of the current screen (result, present, retap); 0 = none. */
  until: number;
}

export interface UiEffect {
  kind: string; // 'show' | 'reprint' | 'dayClose' | 'void' | 'refuse'
  lines: string[];
  reason: number;
}

export interface UiContext {
  categories: Category[];
  /** French refusal lines when the reader may not sell now (not configured, sync required, log full). */
  notReady: string[];
}

export type UiEvent =
  | { kind: 'key'; key: string; ms: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'result'; lines: string[]; ms: number }
  | { kind: 'torn'; ms: number }
  | { kind: 'pending'; ms: number };

export function initialUi(): UiState {
  return { mode: 'amount', amount: 0, digits: 0, category: -1, op: OP_SALE, lines: [], until: 0 };
}

function show(lines: string[]): UiEffect {
  return { kind: 'show', lines: lines, reason: 0 };
}

function amountScreen(s: UiState): string[] {
  return [T.amount, money(s.amount), T.amountHelp, T.idleHelp];
}

function presentScreen(s: UiState, ctx: UiContext): string[] {
  if (s.op === OP_BALANCE) return [T.present, T.balance, '', T.cancelHelp];
  if (s.op === OP_REFUND) return [T.present, 'Annulation', '', T.cancelHelp];
  let label = '';
  for (let i = 0; i < ctx.categories.length; i++)
    if (ctx.categories[i].id === s.category) label = ctx.categories[i].label;
  return [T.present, money(s.amount), label, T.cancelHelp];
}

function categoryScreen(ctx: UiContext): string[] {
  const lines = [T.chooseCategory];
  for (let i = 0; i < ctx.categories.length && lines.length < 4; i++)
    lines.push(i + 1 + ' ' + ctx.categories[i].label);
  return lines;
}

function copy(s: UiState): UiState {
  return {
    mode: s.mode,
    amount: s.amount,
    digits: s.digits,
    category: s.category,
    op: s.op,
    lines: s.lines,
    until: s.until,
  };
}

function toAmount(n: UiState): void {
  n.mode = 'amount';
  n.amount = 0;
  n.digits = 0;
  n.category = -1;
  n.op = OP_SALE;
  n.until = 0;
  n.lines = amountScreen(n);
}

function toResult(n: UiState, lines: string[], ms: number): void {
  n.mode = 'result';
  n.lines = lines;
  n.until = ms + RESULT_SCREEN_MS;
}

function toPresent(n: UiState, op: string, ctx: UiContext, ms: number): void {
  n.mode = 'present';
  n.op = op;
  n.until = ms + PRESENT_TIMEOUT_MS;
  n.lines = presentScreen(n, ctx);
}

/** One step of the flow. Never throws. */
export function uiStep(s: UiState, e: UiEvent, ctx: UiContext): { state: UiState; effects: UiEffect[] } {
  const n = copy(s);
  const fx: UiEffect[] = [];
  if (e.kind === 'pending') {
    // A sale is pending (card left mid-write, or found at boot): only the same card or '*' ends it.
    n.mode = 'retap';
    n.until = e.ms + RETAP_TIMEOUT_MS;
    n.lines = [T.retap, 'sur le lecteur', '', T.cancelHelp];
  } else if (e.kind === 'torn') {
    n.mode = 'retap';
    n.until = e.ms + RETAP_TIMEOUT_MS;
    n.lines = [T.retap, 'sur le lecteur', '', T.cancelHelp];
  } else if (e.kind === 'result') {
    toResult(n, e.lines, e.ms);
  } else if (e.kind === 'tick') {
    if (n.until !== 0 && e.ms >= n.until) {
      if (n.mode === 'retap') {
        fx.push({ kind: 'void', lines: [], reason: 1 });
        toResult(n, [T.voided, 'carte non revenue'], e.ms);
      } else {
        toAmount(n);
      }
    } else if (n.mode === 'amount' && n.lines.length === 0) {
      n.lines = amountScreen(n);
    }
  } else {
    const k = e.key;
    if (n.mode === 'amount') {
      if (k >= '0' && k <= '9' && k.length === 1) {
        if (n.digits < MAX_AMOUNT_DIGITS && !(n.digits === 0 && k === '0')) {
          n.amount = n.amount * 10 + (k.charCodeAt(0) - 48);
          n.digits++;
        }
        n.lines = amountScreen(n);
      } else if (k === '*') {
        n.amount = Math.floor(n.amount / 10);
        if (n.digits > 0) n.digits--;
        n.lines = amountScreen(n);
      } else if (k === '#') {
        if (ctx.notReady.length > 0) {
          toResult(n, ctx.notReady, e.ms);
        } else if (n.amount > 0) {
          if (ctx.categories.length === 1) {
            n.category = ctx.categories[0].id;
            toPresent(n, OP_SALE, ctx, e.ms);
          } else {
            n.mode = 'category';
            n.lines = categoryScreen(ctx);
          }
        }
      } else if (k === 'A') {
        if (ctx.categories.length === 0) toResult(n, [T.notConfigured], e.ms);
        else toPresent(n, OP_BALANCE, ctx, e.ms);
      } else if (k === 'B') {
        fx.push({ kind: 'reprint', lines: [], reason: 0 });
      } else if (k === 'C') {
        if (ctx.notReady.length > 0) toResult(n, ctx.notReady, e.ms);
        else toPresent(n, OP_REFUND, ctx, e.ms);
      } else if (k === 'D') {
        n.mode = 'confirm';
        n.lines = [T.dayCloseConfirm, T.yesNo];
      }
    } else if (n.mode === 'category') {
      const i = k.charCodeAt(0) - 49;
      if (k === '*') {
        n.mode = 'amount';
        n.lines = amountScreen(n);
      } else if (k.length === 1 && i >= 0 && i < ctx.categories.length) {
        n.category = ctx.categories[i].id;
        toPresent(n, OP_SALE, ctx, e.ms);
      }
    } else if (n.mode === 'present') {
      if (k === '*') toAmount(n);
    } else if (n.mode === 'retap') {
      if (k === '*') {
        fx.push({ kind: 'void', lines: [], reason: 2 });
        toResult(n, [T.voided, 'annulée au clavier'], e.ms);
      }
    } else if (n.mode === 'result') {
      toAmount(n);
    } else if (n.mode === 'confirm') {
      if (k === '#') fx.push({ kind: 'dayClose', lines: [], reason: 0 });
      if (k === '#' || k === '*') toAmount(n);
    }
  }
  if (n.lines !== s.lines) fx.unshift(show(n.lines));
  return { state: n, effects: fx };
}
