// Signal names and numbers as `kill` accepts them: "KILL", "SIGKILL", "9", "SIGRTMIN+3".
import * as os from 'os';
import { HuskError } from '../errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function parseSignal(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw new HuskError(`invalid signal number ${trimmed}; expected 1 to ${SIGRTMAX}`);
  }
  const name = trimmed.toUpperCase().replace(/^SIG/, '');
  const realtime = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (realtime) {
    const base = realtime[1] === 'IN' ? SIGRTMIN : SIGRTMAX;
    const n = base + Number(realtime[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  const number = (os.constants.signals as Record<string, number>)[`SIG${name}`];
  if (number !== undefined) return number;
  throw new HuskError(`unknown signal '${text}'; use a name like TERM or SIGKILL, or a number`);
}
