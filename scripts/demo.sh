#!/bin/sh
# `make demo`: build a busybox bundle and run one container in the foreground with husk.
set -eu
cd "$(dirname "$0")/.."
bundle=bundles/out/demo
root=/run/husk-demo
rm -rf "$bundle"
bash bundles/make-busybox-bundle.sh "$bundle" >/dev/null
# The bundle's config comes from `runc spec`; give it a program that shows where it runs.
node -e '
const fs = require("fs");
const file = process.argv[1];
const config = JSON.parse(fs.readFileSync(file, "utf8"));
config.process.terminal = false;
config.hostname = "husk-demo";
config.process.args = ["sh", "-c",
  "echo \"hello from a husk container: pid $$, hostname $(hostname), uid $(id -u)\"; " +
  "echo \"rootfs: $(ls / | tr \"\\n\" \" \")\"; grep CapEff /proc/self/status"];
fs.writeFileSync(file, JSON.stringify(config, null, 2));
' "$bundle/config.json"
id="husk-demo-$$"
echo "+ husk --root $root run --bundle $bundle $id"
./bin/husk --root "$root" run --bundle "$bundle" "$id"
echo "container exited with status $?; husk list shows nothing left:"
./bin/husk --root "$root" list
# The demo root is the demo's own: leave nothing behind.
rmdir "$root"
