import { describe, expect, it } from 'vitest';
import { memberCard, provisionedReader } from './fund';

describe('simulated sale', () => {
  it('provisions through the service, sells, prints a French receipt', () => {
    const p = provisionedReader('sale-1');
    const sim = p.sim;
    expect(sim.reader.core.notReady()).toEqual([]);
    const card = memberCard();
    sim.keys('1250#');
    expect(sim.screen()[0]).toBe('Catégorie ?');
    sim.keys('1');
    expect(sim.screen()[0]).toBe('Présentez la carte');
    sim.tap(card);
    console.log(sim.screen(), sim.reader.lastReceipt());
    expect(sim.screen()[0]).toBe('Paiement accepté');
  });
});
