// The command lines containerd, Podman and scripts issue for every container — create, start,
// run, state, kill, delete with well-formed flags — parsed without yargs.
//
// Loading yargs costs ~15 ms of every start on this machine (measured: `husk state` 50 ms with
// yargs, 33 ms without, `node -e 0` 20 ms). yargs stays the authority: anything this parser
// is not sure about (--help, --version, an unknown or repeated flag, a missing value, a wrong
// number of arguments, `--`, bundled short flags, `--flag true`) makes it return undefined and
// the caller hands the whole line to yargs, which parses it or explains the error.
//
// The flag tables are the ones the subcommand modules register with yargs (`syntax` in each),
// and test/unit/cli-fast-path.test.ts checks that both parsers agree on every line this one
// accepts.

/** One flag, in yargs' own option shape (the same objects are given to yargs). */
export interface FlagSpec {
  type: 'string' | 'boolean' | 'number';
  alias?: string;
  default?: unknown;
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  /** Absent = required. */
  default?: string;
  optional?: boolean;
}

/** What a subcommand accepts after its name. */
export interface CommandSyntax {
  positionals: readonly PositionalSpec[];
  options: Readonly<Record<string, FlagSpec>>;
  /**
   * runc's exec: once every positional is there, the rest of the line is the command, flags and
   * all, collected unparsed under this name (yargs gets the same through a "--").
   */
  rest?: string;
}

/** A subcommand module as the fast path uses it. */
export interface FastCommand {
  syntax: CommandSyntax;
  handler(argv: Record<string, unknown>): Promise<void> | void;
}

/** The parsed line: canonical flag names (defaults filled in) and positionals, as yargs gives them. */
export type ParsedArgs = Record<string, unknown>;

interface Lookup {
  spec: FlagSpec;
  name: string;
}

function findFlag(tables: Array<Readonly<Record<string, FlagSpec>>>, name: string): Lookup | undefined {
  for (const table of tables) {
    if (Object.prototype.hasOwnProperty.call(table, name)) return { spec: table[name], name };
    for (const [canonical, spec] of Object.entries(table)) if (spec.alias === name) return { spec, name: canonical };
  }
  return undefined;
}

/**
 * Parse `args` (without node and the script) for one of `commands`, or return undefined when
 * yargs must do it. `globals` are the global flags, accepted before and after the subcommand.
 */
export function parseFast(
  args: readonly string[],
  globals: Readonly<Record<string, FlagSpec>>,
  commands: Readonly<Record<string, () => FastCommand>>,
): { command: string; module: FastCommand; argv: ParsedArgs } | undefined {
  const values: ParsedArgs = {};
  const positionals: string[] = [];
  let command: string | undefined;
  let module: FastCommand | undefined;
  const tables: Array<Readonly<Record<string, FlagSpec>>> = [globals];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.length > 1 && arg.startsWith('-')) {
      if (arg === '--') return undefined;
      let name: string;
      let inline: string | undefined;
      if (arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
        inline = eq < 0 ? undefined : arg.slice(eq + 1);
      } else {
        if (arg.length !== 2) return undefined; // -df, -b/dir: yargs' business
        name = arg.slice(1);
      }
      const flag = findFlag(tables, name);
      if (!flag || Object.prototype.hasOwnProperty.call(values, flag.name)) return undefined;
      const { spec } = flag;
      if (spec.type === 'boolean') {
        if (inline === undefined) {
          // yargs would take a following "true"/"false" as the value.
          if (args[i + 1] === 'true' || args[i + 1] === 'false') return undefined;
          values[flag.name] = true;
        } else if (inline === 'true' || inline === 'false') {
          values[flag.name] = inline === 'true';
        } else {
          return undefined;
        }
        continue;
      }
      let value = inline;
      if (value === undefined) {
        value = args[i + 1];
        // A missing value, or one that looks like a flag: let yargs decide what it means.
        if (value === undefined || (value.startsWith('-') && value.length > 1)) return undefined;
        i++;
      }
      if (spec.choices && !spec.choices.includes(value)) return undefined;
      if (spec.type === 'number') {
        if (!/^[0-9]+$/.test(value)) return undefined;
        values[flag.name] = Number(value);
      } else {
        values[flag.name] = value;
      }
    } else if (command === undefined) {
      const load = Object.prototype.hasOwnProperty.call(commands, arg) ? commands[arg] : undefined;
      if (!load) return undefined;
      command = arg;
      module = load();
      tables.push(module.syntax.options);
    } else {
      positionals.push(arg);
      if (module?.syntax.rest && positionals.length === module.syntax.positionals.length) {
        values[module.syntax.rest] = args.slice(i + 1);
        break;
      }
    }
  }
  if (!command || !module) return undefined;
  const wanted = module.syntax.positionals;
  const required = wanted.filter((p) => !p.optional).length;
  if (positionals.length < required || positionals.length > wanted.length) return undefined;
  wanted.forEach((p, index) => {
    const value = positionals[index] ?? p.default;
    if (value !== undefined) values[p.name] = value;
  });
  for (const table of tables) {
    for (const [name, spec] of Object.entries(table)) {
      if (!Object.prototype.hasOwnProperty.call(values, name) && spec.default !== undefined) values[name] = spec.default;
    }
  }
  return { command, module, argv: values };
}
