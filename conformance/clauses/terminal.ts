// config.md "Process" (terminal, consoleSize) and config-linux.md "Default Devices" (/dev/console),
// with the pty master received on a --console-socket as containerd and conmon receive it.
import * as path from 'node:path';
import { ConsoleReceiver } from '../../test/helpers/console-receiver';
import { clause, expect, expectEqual, scenario } from '../lib/clause';
import { CheckerReport, device, mountAt, parseReport } from '../lib/checker';
import { CHECKER_IN_CONTAINER, oneLine } from '../lib/context';
import { readText, sharedDir, waitForStatus } from '../lib/util';

interface TerminalRun {
  report?: CheckerReport;
  error?: string;
}

const terminalRun = scenario<TerminalRun>('terminal', async (ctx) => {
  const out = sharedDir(ctx, 'terminal-out');
  const receiver = new ConsoleReceiver(ctx.newDir('console'));
  ctx.defer(() => receiver.close());
  const bundle = ctx.bundle().addBindMount(out, '/out');
  bundle.config.process.terminal = true;
  bundle.config.process.consoleSize = { height: 33, width: 111 };
  bundle.setArgs(CHECKER_IN_CONTAINER, '--out', '/out/report.json').save();
  const id = ctx.newId();
  const creating = ctx.run(['create', '--console-socket', receiver.socketPath, '--bundle', bundle.dir, id]);
  const [terminal, create] = await Promise.all([receiver.receive().catch((error: Error) => error), creating]);
  if (create.status !== 0) return { error: `create failed: ${oneLine(create)}` };
  if (terminal instanceof Error) return { error: terminal.message };
  const start = await ctx.run(['start', id]);
  if (start.status !== 0) return { error: `start failed: ${oneLine(start)}` };
  await waitForStatus(ctx, id, 'stopped');
  const text = readText(path.join(out, 'report.json'));
  return text ? { report: parseReport(text) } : { error: 'the program wrote no report' };
});

function terminalReport(obs: TerminalRun): CheckerReport {
  expect(obs.report, obs.error ?? 'no report');
  return obs.report;
}

clause({
  id: 'config/process/terminal',
  spec: 'config.md',
  section: 'Process',
  level: 'MUST',
  gist: 'terminal true: a pseudoterminal pair is allocated and the pty is duplicated on the standard streams',
  scenario: terminalRun,
  check(obs) {
    const { fds } = terminalReport(obs);
    expect(/^\/dev\/pts\/\d+$/.test(fds['0'] ?? ''), `stdin is ${fds['0']}`);
    expectEqual([fds['1'], fds['2']], [fds['0'], fds['0']], 'stdout and stderr');
  },
});

clause({
  id: 'config/process/consoleSize',
  spec: 'config.md',
  section: 'Process',
  level: 'MUST',
  gist: 'consoleSize is the size of the terminal in characters (33 rows, 111 columns)',
  scenario: terminalRun,
  check(obs) {
    const { winsize } = terminalReport(obs);
    expectEqual([winsize.rows, winsize.cols], [33, 111], 'terminal size');
  },
});

clause({
  id: 'config-linux/default-devices-console',
  spec: 'config-linux.md',
  section: 'Default Devices',
  level: 'MUST',
  gist: "with terminal enabled, /dev/console is set up by bind mounting the pseudoterminal pty onto it",
  scenario: terminalRun,
  check(obs) {
    const report = terminalReport(obs);
    const console = device(report, '/dev/console');
    expect(console, '/dev/console does not exist');
    const ptyNumber = Number((report.fds['0'] ?? '').split('/').pop());
    expectEqual([console.type, console.major, console.minor], ['c', 136, ptyNumber], '/dev/console (the pty slave of stdin)');
    expect(mountAt(report, '/dev/console'), '/dev/console is not a bind mount');
  },
});
