/**
 * `ecr-autopilot completion <bash|zsh|fish>`: prints a completion script generated from the command
 * and flag tables, so completion always knows exactly the commands and flags the parser accepts.
 * The scripts are static: completing never starts node.
 *
 *   bash: source <(ecr-autopilot completion bash)        # or save it in ~/.local/share/bash-completion/completions/ecr-autopilot
 *   zsh:  source <(ecr-autopilot completion zsh)         # or save it as _ecr-autopilot in a directory of $fpath
 *   fish: ecr-autopilot completion fish > ~/.config/fish/completions/ecr-autopilot.fish
 */
import { AutopilotError } from '../../lib/errors';
import { type ArgumentSpec, COMMANDS, type CommandSpec, GROUPS, SHELLS } from '../commandTable';
import { collect, FLAGS, type Flag, type FlagName } from '../flags';
import type { CommandIo, ExitCode } from '../io';

const PROGRAM = 'ecr-autopilot';

/** Top-level flags besides the commands'. */
const GLOBAL_FLAGS = [
  { long: '--help', short: '-h', description: 'show help' },
  { long: '--version', short: '-v', description: 'print the version' },
];

interface FlagShape {
  long: string;
  description: string;
  takesValue: boolean;
  /** `<x...>` or a collecting parser: may be given more than once. */
  repeatable: boolean;
  complete: 'file' | 'none';
}

function shapeOf(name: FlagName): FlagShape {
  const flag: Flag<never> = FLAGS[name] as Flag<never>;
  const long = flag.syntax.split(' ')[0] as string;
  const takesValue = flag.syntax.includes('<');
  return {
    long,
    description: flag.description,
    takesValue,
    repeatable: flag.syntax.includes('...>') || (flag.parse as unknown) === collect,
    complete: flag.complete ?? 'none',
  };
}

/** Flags that take a value, once for all commands (the flag table gives each one syntax). */
function valueFlags(): FlagShape[] {
  return (Object.keys(FLAGS) as FlagName[]).map(shapeOf).filter((flag) => flag.takesValue);
}

const TOP_LEVEL = [...GROUPS.map((group) => ({ name: group.name, description: group.description })), ...COMMANDS.filter((c) => c.path.length === 1).map((c) => ({ name: c.path[0], description: c.description }))];

function subcommands(group: string): CommandSpec[] {
  return COMMANDS.filter((command) => command.path.length === 2 && command.path[0] === group);
}

function argumentValues(argument: ArgumentSpec): readonly string[] | undefined {
  return typeof argument.complete === 'object' ? argument.complete.values : undefined;
}

// ---------------------------------------------------------------------------------------------
// bash

function bashScript(): string {
  const fileFlags = valueFlags().filter((flag) => flag.complete === 'file').map((flag) => flag.long);
  const otherValueFlags = valueFlags().filter((flag) => flag.complete !== 'file').map((flag) => flag.long);
  const flagCases = COMMANDS.map((command) => `      '${command.path.join(' ')}') opts='${command.flags.map((name) => shapeOf(name).long).join(' ')} --help' ;;`);
  const argumentCases = COMMANDS.filter((command) => command.args.length > 0).map((command) => {
    const branches = command.args.map((argument, index) => {
      const values = argumentValues(argument);
      const action = values ? `COMPREPLY=($(compgen -W '${values.join(' ')}' -- "$cur"))` : argument.complete === 'file' ? '_ecr_autopilot_files' : 'COMPREPLY=()';
      return `        ${index}) ${action} ;;`;
    });
    return [`      '${command.path.join(' ')}')`, '        case ${#positional[@]} in', ...branches.map((b) => `  ${b}`), '        esac ;;'].join('\n');
  });
  return `# ${PROGRAM} completion for bash. Load it with:  source <(${PROGRAM} completion bash)
# or save it as ~/.local/share/bash-completion/completions/${PROGRAM}. Generated from the CLI's own tables.
_ecr_autopilot_files() {
  local IFS=$'\\n'
  COMPREPLY=($(compgen -f -- "$cur"))
  compopt -o filenames 2>/dev/null
}

_ecr_autopilot() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local command='' word i skip=0 opts
  local -a positional=()
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$word" in
      ${[...fileFlags, ...otherValueFlags].join('|')}) skip=1; continue ;;
      -*) continue ;;
    esac
    case "$command" in
      '') command="$word" ;;
      ${GROUPS.map((group) => `'${group.name}'`).join('|')}) command="$command $word" ;;
      *) positional+=("$word") ;;
    esac
  done
  case "$prev" in
    ${fileFlags.join('|')}) _ecr_autopilot_files; return 0 ;;
    ${otherValueFlags.join('|')}) return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    case "$command" in
${flagCases.join('\n')}
      '') opts='${GLOBAL_FLAGS.flatMap((flag) => [flag.short, flag.long]).join(' ')}' ;;
      *) opts='--help' ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi
  case "$command" in
    '') COMPREPLY=($(compgen -W '${[...TOP_LEVEL.map((entry) => entry.name), 'help'].join(' ')}' -- "$cur")) ;;
${GROUPS.map((group) => `    '${group.name}') COMPREPLY=($(compgen -W '${subcommands(group.name).map((command) => command.path[1]).join(' ')}' -- "$cur")) ;;`).join('\n')}
    'help') COMPREPLY=($(compgen -W '${TOP_LEVEL.map((entry) => entry.name).join(' ')}' -- "$cur")) ;;
    *)
      case "$command" in
${argumentCases.join('\n')}
      esac ;;
  esac
  return 0
}
complete -F _ecr_autopilot ${PROGRAM}
`;
}

// ---------------------------------------------------------------------------------------------
// zsh

/** Text inside a single-quoted zsh word, inside `[...]` of an _arguments spec. */
function zshDescription(text: string): string {
  return text.replace(/'/g, `'\\''`).replace(/([[\]:\\])/g, '\\$1');
}

function zshFlagSpec(name: FlagName): string {
  const flag = shapeOf(name);
  const description = zshDescription(flag.description);
  if (!flag.takesValue) return `'${flag.long}[${description}]'`;
  const value = (FLAGS[name].syntax.match(/<([^>.]+)/)?.[1] ?? 'value').replace(/:/g, '\\:');
  const action = flag.complete === 'file' ? '_files' : ' ';
  return `'${flag.repeatable ? '*' : ''}${flag.long}=[${description}]:${value}:${action}'`;
}

function zshArgumentSpec(argument: ArgumentSpec, index: number): string {
  const values = argumentValues(argument);
  const action = values ? `(${values.join(' ')})` : argument.complete === 'file' ? '_files' : ' ';
  return `'${index + 1}:${argument.name}:${action}'`;
}

function zshCommandArguments(command: CommandSpec, indent: string): string {
  const specs = ["'(- *)'{-h,--help}'[show help]'", ...command.flags.map(zshFlagSpec), ...command.args.map(zshArgumentSpec)];
  return `${indent}_arguments -s \\\n${specs.map((spec) => `${indent}  ${spec}`).join(' \\\n')}`;
}

function zshDescribe(entries: ReadonlyArray<{ name: string; description: string }>): string {
  return entries.map((entry) => `'${entry.name}:${entry.description.replace(/'/g, `'\\''`)}'`).join(' ');
}

function zshScript(): string {
  const single = COMMANDS.filter((command) => command.path.length === 1);
  const singleCases = single.map((command) => `        ${command.path[0]})\n${zshCommandArguments(command, '          ')} ;;`);
  const groupCases = GROUPS.map((group) => {
    const subs = subcommands(group.name);
    const subCases = subs.map((command) => `              ${command.path[1]})\n${zshCommandArguments(command, '                ')} ;;`);
    return `        ${group.name})
          _arguments -C '1: :->sub' '*:: :->subargs' && ret=0
          case $state in
            sub)
              local -a subcommands=(${zshDescribe(subs.map((command) => ({ name: command.path[1] as string, description: command.description })))})
              _describe -t commands '${group.name} command' subcommands && ret=0 ;;
            subargs)
              case $words[1] in
${subCases.join('\n')}
              esac ;;
          esac ;;`;
  });
  return `#compdef ${PROGRAM}
# ${PROGRAM} completion for zsh. Load it with:  source <(${PROGRAM} completion zsh)   (after compinit)
# or save it as _${PROGRAM} in a directory of $fpath. Generated from the CLI's own tables.
_ecr_autopilot() {
  local curcontext="$curcontext" state line ret=1
  _arguments -C \\
    '(- *)'{-h,--help}'[show help]' \\
    '(- *)'{-v,--version}'[print the version]' \\
    '1: :->command' \\
    '*:: :->args' && ret=0
  case $state in
    command)
      local -a commands=(${zshDescribe(TOP_LEVEL)})
      _describe -t commands '${PROGRAM} command' commands && ret=0 ;;
    args)
      case $words[1] in
${singleCases.join('\n')}
${groupCases.join('\n')}
      esac ;;
  esac
  return ret
}
if [[ "\${funcstack[1]}" == _ecr_autopilot ]]; then
  _ecr_autopilot "$@"
else
  compdef _ecr_autopilot ${PROGRAM}
fi
`;
}

// ---------------------------------------------------------------------------------------------
// fish

function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fishScript(): string {
  const lines = [
    `# ${PROGRAM} completion for fish. Install it with:  ${PROGRAM} completion fish > ~/.config/fish/completions/${PROGRAM}.fish`,
    "# Generated from the CLI's own tables.",
    `complete -c ${PROGRAM} -f`,
    `complete -c ${PROGRAM} -n __fish_use_subcommand -s h -l help -d 'show help'`,
    `complete -c ${PROGRAM} -n __fish_use_subcommand -s v -l version -d 'print the version'`,
  ];
  for (const entry of TOP_LEVEL) lines.push(`complete -c ${PROGRAM} -n __fish_use_subcommand -a ${entry.name} -d ${fishQuote(entry.description)}`);
  for (const group of GROUPS) {
    const names = subcommands(group.name).map((command) => command.path[1]).join(' ');
    for (const command of subcommands(group.name)) {
      lines.push(`complete -c ${PROGRAM} -n '__fish_seen_subcommand_from ${group.name}; and not __fish_seen_subcommand_from ${names}' -a ${command.path[1]} -d ${fishQuote(command.description)}`);
    }
  }
  for (const command of COMMANDS) {
    const condition = command.path.length === 1 ? `__fish_seen_subcommand_from ${command.path[0]}` : `__fish_seen_subcommand_from ${command.path[0]}; and __fish_seen_subcommand_from ${command.path[1]}`;
    lines.push(`complete -c ${PROGRAM} -n '${condition}' -s h -l help -d 'show help'`);
    for (const name of command.flags) {
      const flag = shapeOf(name);
      const value = flag.takesValue ? (flag.complete === 'file' ? ' -r -F' : ' -x') : '';
      lines.push(`complete -c ${PROGRAM} -n '${condition}' -l ${flag.long.replace(/^--/, '')}${value} -d ${fishQuote(flag.description)}`);
    }
    for (const argument of command.args) {
      const values = argumentValues(argument);
      if (values) lines.push(`complete -c ${PROGRAM} -n '${condition}' -a ${fishQuote(values.join(' '))} -d ${fishQuote(argument.name)}`);
      else if (argument.complete === 'file') lines.push(`complete -c ${PROGRAM} -n '${condition}' -F`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const SCRIPTS: Record<(typeof SHELLS)[number], () => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

/**
 * The completion script for a shell.
 *
 * @example
 * completionScript('bash'); // "# ecr-autopilot completion for bash…\n_ecr_autopilot() {…"
 */
export function completionScript(shell: string): string {
  const script = SCRIPTS[shell as (typeof SHELLS)[number]];
  if (!script) throw new AutopilotError('USAGE', `No completion for shell "${shell}"; choose one of ${SHELLS.join(', ')}`);
  return script();
}

export async function runCompletion(options: { shell: string }, io: CommandIo): Promise<ExitCode> {
  for (const line of completionScript(options.shell).replace(/\n$/, '').split('\n')) io.out(line);
  return 0;
}
