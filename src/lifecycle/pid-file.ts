// --pid-file of create, run and exec: the pid, written atomically (a temporary file renamed into
// place), so a reader such as containerd never sees a partial number.
import * as fs from 'fs';
import * as path from 'path';
import { HuskError, describeSystemError } from '../errors';

export function writePidFile(file: string, pid: number): void {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.husk-${process.pid}`);
  try {
    fs.writeFileSync(temp, String(pid));
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new HuskError(`writing pid file ${file}: ${describeSystemError(err)}`);
  }
}
