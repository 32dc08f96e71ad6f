/**
 * `gov completion bash|zsh`: a completion script generated from the commander definitions themselves —
 * commands, subcommands, flags, the flags that take a value (FILE and DIR values complete as paths,
 * `a|b|c` values as those words) and positional arguments written as `a|b|c`. Nothing is listed twice:
 * a new command or flag appears in the script as soon as it is defined.
 */
import type { Argument, Command, Option } from 'commander';
import { visibleSubcommands, type GovCommand } from '../../shared/cli-program.js';

export type Shell = 'bash' | 'zsh';

interface Node {
  /** `rollout restart`; '' for gov itself. */
  path: string;
  subcommands: string[];
  flags: string[];
  /** Flag → what its value completes to: `file`, `dir`, `choice a b c`, or `any`. */
  values: Map<string, string>;
  /** Per position, the words a positional argument may be (empty when free). */
  positions: string[][];
}

/** `pause|abort|rollback` → its words; anything else (HANDLER, N|N%) is free text. */
function choices(name: string): string[] {
  return /^[a-z]+(\|[a-z]+)+$/.test(name) ? name.split('|') : [];
}

function valueKind(o: Option): string {
  const name = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? '';
  if (o.argChoices?.length) return `choice ${o.argChoices.join(' ')}`;
  if (name === 'FILE') return 'file';
  if (name === 'DIR') return 'dir';
  const words = choices(name);
  return words.length ? `choice ${words.join(' ')}` : 'any';
}

function argumentWords(a: Argument): string[] {
  return a.argChoices?.length ? a.argChoices : choices(a.name());
}

function collect(cmd: Command, path: string, out: Node[]): Node[] {
  const visible = visibleSubcommands(cmd);
  const options = cmd.options.filter((o) => !o.hidden);
  const flags = [...options.flatMap((o) => [o.short, o.long]), '-h', '--help'].filter(
    (f): f is string => typeof f === 'string',
  );
  const values = new Map<string, string>();
  for (const o of options.filter((x) => x.required || x.optional))
    for (const f of [o.short, o.long]) if (f) values.set(f, valueKind(o));
  out.push({
    path,
    subcommands: visible.map((c) => c.name()),
    flags: [...new Set(flags)],
    values,
    positions: cmd.registeredArguments.map(argumentWords),
  });
  for (const sub of visible) collect(sub, path ? `${path} ${sub.name()}` : sub.name(), out);
  return out;
}

/** A `case "$1" in …` function over the nodes (POSIX sh: the same text works in bash and zsh). */
function caseFunction(name: string, arms: Array<[string, string]>): string {
  const body = arms
    .filter(([, words]) => words !== '')
    .map(([key, words]) => `    ${JSON.stringify(key)}) echo ${JSON.stringify(words)} ;;`)
    .join('\n');
  return `${name}() {\n  case "$1" in\n${body}\n  esac\n}\n`;
}

function dataFunctions(nodes: Node[]): string {
  return [
    caseFunction(
      '_gov_subcommands',
      nodes.map((n) => [n.path, n.subcommands.join(' ')]),
    ),
    caseFunction(
      '_gov_flags',
      nodes.map((n) => [n.path, n.flags.join(' ')]),
    ),
    // "$path|$flag" → file, dir, choice WORDS… or any; nothing for a flag without a value.
    caseFunction(
      '_gov_value',
      nodes.flatMap((n) =>
        [...n.values].map(([flag, kind]): [string, string] => [`${n.path}|${flag}`, kind]),
      ),
    ),
    // "$path|$position" → the words that positional argument may be.
    caseFunction(
      '_gov_positional',
      nodes.flatMap((n) =>
        n.positions.map((words, i): [string, string] => [`${n.path}|${i}`, words.join(' ')]),
      ),
    ),
  ].join('\n');
}

/**
 * Walks the words before the cursor: sets _gov_path (the subcommand path), _gov_pending (a flag whose
 * value is the word under the cursor) and _gov_npos (positional arguments seen since the last subcommand).
 */
const WALK = `_gov_walk() {
  _gov_path="" _gov_pending="" _gov_npos=0
  local word
  for word in "$@"; do
    if [ -n "$_gov_pending" ]; then _gov_pending=""; continue; fi
    case "$word" in
      --*=*) ;;
      -*) [ -n "$(_gov_value "$_gov_path|$word")" ] && _gov_pending="$word" ;;
      *)
        if [[ " $(_gov_subcommands "$_gov_path") " == *" $word "* ]]; then
          _gov_path="\${_gov_path:+$_gov_path }$word" _gov_npos=0
        else
          _gov_npos=$((_gov_npos + 1))
        fi ;;
    esac
  done
}

# What the word under the cursor may be: "file", "dir", or "words WORD…".
_gov_candidates() {
  local cur="$1" kind
  if [ -n "$_gov_pending" ]; then
    kind="$(_gov_value "$_gov_path|$_gov_pending")"
    case "$kind" in
      file | dir) echo "$kind" ;;
      choice\\ *) echo "words \${kind#choice }" ;;
      *) echo "words" ;;
    esac
  elif [[ "$cur" == -* ]]; then
    echo "words $(_gov_flags "$_gov_path")"
  else
    echo "words $(_gov_subcommands "$_gov_path") $(_gov_positional "$_gov_path|$_gov_npos")"
  fi
}
`;

const BASH = `_gov() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" what
  _gov_walk "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  what="$(_gov_candidates "$cur")"
  case "$what" in
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
    dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "\${what#words}" -- "$cur")) ;;
  esac
}
complete -o default -F _gov gov
`;

const ZSH = `_gov() {
  local cur="\${words[CURRENT]}" what
  _gov_walk "\${(@)words[2,CURRENT-1]}"
  what="$(_gov_candidates "$cur")"
  case "$what" in
    file) _files ;;
    dir) _files -/ ;;
    *) compadd -- \${=what#words} ;;
  esac
}
compdef _gov gov
`;

/** The completion script for `shell`, generated from the program's definitions. */
export function completionScript(program: GovCommand, shell: Shell): string {
  const head =
    shell === 'zsh'
      ? '#compdef gov\n# zsh completion for gov, generated by `gov completion zsh` from the command definitions.\n' +
        '# Load it with: source <(gov completion zsh)   (after compinit)\n'
      : '# bash completion for gov, generated by `gov completion bash` from the command definitions.\n' +
        '# Load it with: source <(gov completion bash)\n';
  return `${head}\n${dataFunctions(collect(program, '', []))}\n${WALK}\n${shell === 'zsh' ? ZSH : BASH}`;
}
