// `husk spec`: write a default config.json like `runc spec`, refusing to overwrite one.
import * as fs from 'fs';
import * as path from 'path';
import { HuskError, describeSystemError } from '../errors';
import { defaultSpec } from '../spec/default-spec';

export function writeDefaultSpec(bundle: string, rootless: boolean): void {
  const file = path.join(bundle, 'config.json');
  if (fs.existsSync(file)) throw new HuskError(`${file} already exists; remove it first`);
  const spec = defaultSpec({ rootless, hostUid: process.getuid?.(), hostGid: process.getgid?.() });
  try {
    fs.writeFileSync(file, `${JSON.stringify(spec, null, '\t')}\n`, { mode: 0o666 });
  } catch (err) {
    throw new HuskError(`writing ${file}: ${describeSystemError(err)}`);
  }
}
