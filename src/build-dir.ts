// Where husk's build/ directory is, from wherever the running JavaScript sits: build/husk.js
// (the esbuild bundle bin/husk loads), build/ts/src/**/*.js (tsc's output, which the tests
// load), or the same layouts under /usr/local/lib/husk after `make install`. The addon, the
// schema validators and build-info.json are looked up from here.
import * as path from 'path';

let found: string | undefined;

export function buildDirectory(): string {
  if (found === undefined) {
    let dir = __dirname;
    for (let i = 0; i < 5 && path.basename(dir) !== 'build'; i++) dir = path.dirname(dir);
    // Not under a directory called build (a hand-made layout): assume tsc's build/ts/src.
    found = path.basename(dir) === 'build' ? dir : path.resolve(__dirname, '..', '..');
  }
  return found;
}
