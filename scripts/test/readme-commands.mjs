// Reads the command lines that the READMEs show a person, and says how each is checked.
// A command line is: a line of a ```sh / ```bash / ```shell block (continuations joined, `# comments`
// dropped), or an inline `npm …` / `npx …` span in the prose. Each is split at `&&`; a `cd DIR`
// changes the directory of what follows it in the same block.
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

/** Programs a README may show that are not the project's own; they are listed, not run. */
export const EXTERNAL = new Set(['redis-server', 'export', 'sudo', 'systemctl', 'openssl', 'apt-get']);

/** @returns {{ readme: string, line: string, cwd: string, argv: string[] }[]} cwd relative to the repo root */
export function readmeCommands(root, readmes) {
  const found = [];
  for (const readme of readmes) {
    const text = readFileSync(join(root, readme), 'utf8');
    for (const block of shellBlocks(text)) {
      let cwd = '.';
      for (const line of block) {
        for (const part of line.split('&&').map((piece) => piece.trim())) {
          const argv = words(part);
          if (argv[0] === 'cd') cwd = normalize(join(cwd, argv[1] ?? '.'));
          else if (argv.length > 0) found.push({ readme, line, cwd, argv });
        }
      }
    }
    for (const span of inlineCommands(text)) {
      for (const part of span.split('&&').map((piece) => piece.trim())) {
        found.push({ readme, line: span, cwd: '.', argv: words(part) });
      }
    }
  }
  return found;
}

function shellBlocks(text) {
  const blocks = [];
  for (const match of text.matchAll(/^```(sh|bash|shell)\n([\s\S]*?)^```/gm)) {
    const lines = match[2]
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean);
    blocks.push(lines);
  }
  return blocks;
}

function inlineCommands(text) {
  const withoutBlocks = text.replace(/^```[\s\S]*?^```/gm, '');
  return [...withoutBlocks.matchAll(/`((?:sudo -u \S+ )?np[mx]\s[^`]+)`/g)].map((match) =>
    match[1].replace(/\s+/g, ' '),
  );
}

/** Shell words, without the leading VAR=value assignments and `sudo -u USER`; `<x>` becomes `x`. */
function words(command) {
  const argv = command.split(/\s+/).filter(Boolean);
  while (argv.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(argv[0])) argv.shift();
  if (argv[0] === 'sudo' && argv[1] === '-u' && argv[3] !== 'systemctl') argv.splice(0, 3);
  return argv.map((word) => word.replace(/^<(.+)>$/, '$1'));
}

/** True for `npm start`, `npm test` and `npm run X`: the project's scripts, not npm's own commands. */
export function isNpmScript(argv) {
  return argv[0] === 'npm' && ['start', 'test', 'run'].includes(argv[1]);
}

/** The argv that asks `argv` for its help, run from the repository: `-- --help` for npm scripts. */
export function helpArgv(argv) {
  if (isNpmScript(argv)) {
    return argv.includes('--') ? [...argv, '--help'] : [...argv, '--', '--help'];
  }
  return [...argv, '--help'];
}
