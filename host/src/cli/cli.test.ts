import { describe, it, expect } from 'vitest';
import { parseArgs } from './main';
import { registerCommand, CliError } from './command';
import { money, setLang } from './i18n';
import { EXIT_USAGE, EXIT_OK } from './exit-codes';

registerCommand({
  path: ['essai', 'commande'],
  alias: ['test', 'command'],
  summary: { fr: 'essai', en: 'test' },
  options: [
    { name: 'mois', alias: 'month', kind: 'string', summary: { fr: 'mois', en: 'month' }, required: true },
    { name: 'nombre', kind: 'number', summary: { fr: 'n', en: 'n' } },
    { name: 'sec', kind: 'boolean', summary: { fr: 'b', en: 'b' } },
  ],
  run: async () => ({ lines: [], json: null, exitCode: EXIT_OK }),
});

function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(EXIT_USAGE);
    return (e as CliError).code;
  }
  return 'no error';
}

describe('carnet command line', () => {
  it('finds a command by its French words or its English alias, with options', () => {
    const a = parseArgs(['essai', 'commande', '--mois', '2026-11', '--nombre=3', '--sec', '--json']);
    expect(a?.values).toEqual({ mois: '2026-11', nombre: 3, sec: true });
    expect(a?.json).toBe(true);
    const b = parseArgs(['test', 'command', '--month', '2026-12']);
    expect(b?.values.mois).toBe('2026-12');
  });
  it('refuses bad command lines with a usage error', () => {
    expect(usageError(['essai'])).toBe('USAGE_UNKNOWN_COMMAND');
    expect(usageError(['essai', 'commande'])).toBe('USAGE_MISSING_OPTION');
    expect(usageError(['essai', 'commande', '--mois', 'x', '--nope'])).toBe('USAGE_UNKNOWN_OPTION');
    expect(usageError(['essai', 'commande', '--mois', 'x', '--nombre', 'abc'])).toBe('USAGE_NOT_NUMBER');
    expect(usageError(['essai', 'commande', '--mois'])).toBe('USAGE_NO_VALUE');
  });
  it('writes money the French way by default, the English way on request', () => {
    setLang('fr');
    expect(money(123456)).toBe('1\u202f234,56 €');
    expect(money(-5)).toBe('−0,05 €');
    setLang('en');
    expect(money(123456)).toBe('€1,234.56');
    setLang('fr');
  });
});
