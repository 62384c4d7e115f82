// `carnet`: the volunteers' and treasurers' command line. French first (`carnet tresorerie rapport`),
// English aliases (`carnet treasury report`), `--json` for programs, `--lang en` for English.

import { createInterface } from 'node:readline';
import { commands, CliError, CommandSpec, CommandIo, OptionSpec } from './command';
import { setLang, t, lang } from './i18n';
import { EXIT_OK, EXIT_USAGE, EXIT_SOFTWARE } from './exit-codes';
import { registerAll } from '../commands/index';

const M = {
  usage: {
    fr: 'Utilisation : carnet <domaine> <commande> [options]',
    en: 'Usage: carnet <area> <command> [options]',
  },
  unknown: {
    fr: 'Commande inconnue : « {cmd} ». Voir « carnet aide ».',
    en: 'Unknown command: "{cmd}". See "carnet help".',
  },
  unknownOption: { fr: 'Option inconnue : --{opt}', en: 'Unknown option: --{opt}' },
  missing: { fr: 'Option obligatoire manquante : --{opt}', en: 'Missing required option: --{opt}' },
  notNumber: {
    fr: "L'option --{opt} attend un nombre, pas « {value} »",
    en: 'Option --{opt} expects a number, not "{value}"',
  },
  noValue: { fr: "L'option --{opt} attend une valeur", en: 'Option --{opt} expects a value' },
  internal: {
    fr: 'Erreur interne ({detail}). Rien n’a été modifié.',
    en: 'Internal error ({detail}). Nothing was changed.',
  },
  commands: { fr: 'Commandes :', en: 'Commands:' },
};

export interface ParsedArgs {
  spec: CommandSpec;
  values: Record<string, string | number | boolean | undefined>;
  json: boolean;
}

function findCommand(words: string[]): { spec: CommandSpec; used: number } | null {
  let best: { spec: CommandSpec; used: number } | null = null;
  for (const c of commands()) {
    for (const path of [c.path, c.alias]) {
      if (path.length <= words.length && path.every((w, i) => words[i] === w)) {
        if (!best || path.length > best.used) best = { spec: c, used: path.length };
      }
    }
  }
  return best;
}

function optionFor(spec: CommandSpec, name: string): OptionSpec | undefined {
  return spec.options.find((o) => o.name === name || o.alias === name);
}

/** Parses argv (without node and script). Throws CliError(EXIT_USAGE) on a bad command line. */
export function parseArgs(argv: string[]): ParsedArgs | null {
  const words: string[] = [];
  const rest: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--lang' || a.startsWith('--lang=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      setLang(v === 'en' ? 'en' : 'fr');
    } else if (a === '--en') setLang('en');
    else if (a.startsWith('--') || rest.length > 0) rest.push(a);
    else words.push(a);
  }
  if (words.length === 0 || words[0] === 'aide' || words[0] === 'help') return null;
  const found = findCommand(words);
  if (!found || found.used !== words.length) {
    throw new CliError('USAGE_UNKNOWN_COMMAND', t(M.unknown, { cmd: words.join(' ') }), EXIT_USAGE);
  }
  const values: Record<string, string | number | boolean | undefined> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--'))
      throw new CliError('USAGE_UNKNOWN_OPTION', t(M.unknownOption, { opt: a }), EXIT_USAGE);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const opt = optionFor(found.spec, name);
    if (!opt) throw new CliError('USAGE_UNKNOWN_OPTION', t(M.unknownOption, { opt: name }), EXIT_USAGE);
    if (opt.kind === 'boolean') {
      values[opt.name] = eq > 0 ? a.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const raw = eq > 0 ? a.slice(eq + 1) : rest[++i];
    if (raw === undefined) throw new CliError('USAGE_NO_VALUE', t(M.noValue, { opt: opt.name }), EXIT_USAGE);
    if (opt.kind === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n))
        throw new CliError('USAGE_NOT_NUMBER', t(M.notNumber, { opt: opt.name, value: raw }), EXIT_USAGE);
      values[opt.name] = n;
    } else values[opt.name] = raw;
  }
  for (const o of found.spec.options) {
    if (o.required && values[o.name] === undefined) {
      throw new CliError('USAGE_MISSING_OPTION', t(M.missing, { opt: o.name }), EXIT_USAGE);
    }
  }
  return { spec: found.spec, values, json };
}

function helpLines(): string[] {
  const lines = [t(M.usage), '', t(M.commands)];
  for (const c of commands()) {
    const name = lang() === 'en' ? c.alias.join(' ') : c.path.join(' ');
    lines.push(`  ${name.padEnd(28)} ${t(c.summary)}`);
  }
  return lines;
}

export const consoleIo: CommandIo = {
  progress(label, done, total) {
    if (!process.stderr.isTTY) return;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : 0;
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) process.stderr.write('\n');
  },
  async ask(question, secret) {
    if (secret && process.env.CARNET_PASSPHRASE !== undefined) return process.env.CARNET_PASSPHRASE;
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (secret) {
      // Hide what is typed: readline writes through _writeToOutput, which we mute after the question.
      const r = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
      r._writeToOutput = (s: string) => {
        if (s.startsWith(question)) r.output.write(s);
      };
    }
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    rl.close();
    if (secret) process.stderr.write('\n');
    return answer;
  },
};

/** Runs one command line; returns the exit code. Output goes to stdout (results) and stderr (errors). */
export async function runCli(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  setLang(process.env.CARNET_LANG === 'en' ? 'en' : 'fr');
  registerAll();
  let parsed: ParsedArgs | null;
  let json = argv.includes('--json');
  try {
    parsed = parseArgs(argv);
    if (parsed === null) {
      process.stdout.write(helpLines().join('\n') + '\n');
      return EXIT_OK;
    }
    json = parsed.json;
    const out = await parsed.spec.run(parsed.values, io);
    if (json) process.stdout.write(JSON.stringify(out.json, null, 2) + '\n');
    else if (out.lines.length > 0) process.stdout.write(out.lines.join('\n') + '\n');
    return out.exitCode;
  } catch (e) {
    if (e instanceof CliError) {
      if (json) process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n');
      process.stderr.write(`carnet: ${e.message}\n`);
      return e.exitCode;
    }
    const detail = e instanceof Error ? e.message : String(e);
    if (json) process.stdout.write(JSON.stringify({ error: { code: 'INTERNAL', message: detail } }) + '\n');
    process.stderr.write(`carnet: ${t(M.internal, { detail })}\n`);
    if (process.env.CARNET_DEBUG && e instanceof Error) process.stderr.write(String(e.stack) + '\n');
    return EXIT_SOFTWARE;
  }
}
