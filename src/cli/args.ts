// A small, strict argument parser shared by every CLI command: `--flag value`, `--flag=value`,
// boolean flags, positionals. Unknown flags are an error, so typos never pass silently.

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: { strings?: string[]; booleans?: string[] }): ParsedArgs {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const out: ParsedArgs = { positionals: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { out.positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('--')) { out.positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (booleans.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out.flags[name] = true;
    } else if (strings.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      out.flags[name] = value;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return out;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}
