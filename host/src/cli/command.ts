// The command registry of `carnet`: French names first, English aliases, typed options, --json,
// meaningful exit codes. Each area (tresorerie, lecteur, carte, cles) registers its commands.

import { Text } from './i18n';

export interface OptionSpec {
  name: string;
  /** English alias of the option (without dashes), if it differs. */
  alias?: string;
  kind: 'string' | 'number' | 'boolean';
  summary: Text;
  required?: boolean;
}

/** An option with its French and English descriptions (and an English alias when the name differs). */
export function opt(
  name: string,
  kind: OptionSpec['kind'],
  fr: string,
  en: string,
  alias?: string,
): OptionSpec {
  return { name, kind, alias, summary: { fr, en } };
}

export interface CommandOutput {
  /** Lines for people (already translated). */
  lines: string[];
  /** The same result for programs (`--json`). */
  json: unknown;
  exitCode: number;
}

export interface CommandSpec {
  /** French words, e.g. ['tresorerie', 'rapport']. */
  path: string[];
  /** English words, e.g. ['treasury', 'report']. */
  alias: string[];
  summary: Text;
  options: OptionSpec[];
  run(args: Record<string, string | number | boolean | undefined>, io: CommandIo): Promise<CommandOutput>;
}

/** What a command may use besides its arguments: progress reporting on stderr. */
export interface CommandIo {
  progress(label: string, done: number, total: number): void;
  /** An interactive prompt (passphrase); tests pass answers through CARNET_PASSPHRASE. */
  ask(question: string, secret: boolean): Promise<string>;
}

/** Error a command throws for a person: a code for programs, a translated sentence, an exit code. */
export class CliError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly exitCode: number,
  ) {
    super(message);
  }
}

const registry: CommandSpec[] = [];

export function registerCommand(spec: CommandSpec): void {
  registry.push(spec);
}

export function commands(): CommandSpec[] {
  return registry.slice();
}
