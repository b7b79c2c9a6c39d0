// Runs the same `runc spec` bundle under the runtime under test and under
// runc; a probe script prints what the container sees; the two must match
// (after normalising run-specific numbers), except for the documented
// differences in KNOWN_DIFFERENCES. Skipped when the runtime under test is runc.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { integrationSkipReason } from '../helpers/context';
import { outputInside } from '../helpers/inside';
import { hostNamespaceLink, parseMountInfo } from '../helpers/procfs';
import { RUNC_BIN } from '../helpers/paths';
import { runtimeUnderTestBin } from '../helpers/runtime';
import { suiteOptions, testOptions, useTestContext } from '../helpers/suite';

interface KnownDifference {
  section: string;
  /** Lines matching this are dropped from both outputs before comparing. */
  line: RegExp;
  reason: string;
}

/** Documented, deliberate differences from runc. Each needs a reason. */
const KNOWN_DIFFERENCES: KnownDifference[] = [];

const NAMESPACE_TYPES = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'];

/** Section name -> shell commands whose output is compared. */
function probeSections(): Record<string, string> {
  const namespaceChecks = NAMESPACE_TYPES.map(
    (type) => `[ "$(readlink /proc/self/ns/${type})" = "${hostNamespaceLink(type)}" ] && echo "${type} host" || echo "${type} private"`,
  );
  return {
    identity: 'id; hostname; umask; echo "pid $$"; pwd',
    env: 'env | sort',
    status: "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status",
    ulimits: 'ulimit -a',
    mounts: 'cat /proc/self/mountinfo',
    cgroups: 'cat /proc/self/cgroup',
    dev: `for f in /dev/* /dev/pts/* /dev/shm/* /dev/mqueue/*; do [ -e "$f" -o -L "$f" ] || continue; stat -c '%n %F %a %u:%g %t:%T' "$f"; [ -L "$f" ] && readlink "$f"; done`,
    masked: "for p in /proc/acpi /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/scsi /sys/firmware; do stat -c '%n %F %a %t:%T' $p 2>&1; done",
    namespaces: namespaceChecks.join('; '),
    misc: 'cat /proc/self/oom_score_adj; cat /proc/self/attr/current 2>/dev/null; echo',
  };
}

const SECTION_MARK = '### ';

function probeScript(sections: Record<string, string>): string {
  return Object.entries(sections)
    .map(([name, commands]) => `echo '${SECTION_MARK}${name}'; ${commands}`)
    .join('\n');
}

/** Mount ids, parent ids, device numbers and peer-group numbers differ from run to run. */
function normalizeMountInfo(lines: string[]): string[] {
  return parseMountInfo(lines.join('\n')).map((mount) =>
    [mount.root, mount.mountPoint, mount.options, mount.optionalFields.map((field) => field.replace(/:\d+$/, '')).join(','), '-', mount.fsType, mount.source, mount.superOptions].join(' '),
  );
}

/**
 * Split probe output into sections, with the container id replaced by <id> where it stands as a
 * name of its own: the test's temporary directory starts with the same prefix ("husk-t-6633-" +
 * random), so that "/tmp/husk-t-6633-3csAKz" must not become "/tmp/<id>csAKz" for id
 * "husk-t-6633-3" in one runtime's output and stay whole in the other's.
 */
function parseProbeOutput(output: string, id: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] = [];
  const escapedId = id.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
  const wholeId = new RegExp(`(?<![\\w.-])${escapedId}(?![\\w.-])`, 'g');
  for (const line of output.replace(wholeId, '<id>').split('\n')) {
    if (line.startsWith(SECTION_MARK)) {
      current = [];
      sections.set(line.slice(SECTION_MARK.length), current);
    } else if (line.trim() !== '') {
      current.push(line);
    }
  }
  const mounts = sections.get('mounts');
  if (mounts) sections.set('mounts', normalizeMountInfo(mounts));
  return sections;
}

function withoutKnownDifferences(section: string, lines: string[]): string[] {
  const allowed = KNOWN_DIFFERENCES.filter((difference) => difference.section === section);
  return lines.filter((line) => !allowed.some((difference) => difference.line.test(line)));
}

function runtimeUnderTestIsRunc(): boolean {
  try {
    return fs.realpathSync(runtimeUnderTestBin()) === fs.realpathSync(RUNC_BIN);
  } catch {
    return false;
  }
}

function compareSkipReason(): string | false {
  const integrationSkip = integrationSkipReason();
  if (integrationSkip) return integrationSkip;
  if (!fs.existsSync(RUNC_BIN)) return `${RUNC_BIN} (the reference) is not installed`;
  if (runtimeUnderTestIsRunc()) return 'the runtime under test is runc itself';
  return false;
}

describe('compare with runc', { skip: compareSkipReason() }, () => {
  const context = useTestContext();

  it('the default `runc spec` bundle looks the same from inside', testOptions, async () => {
    const ctx = context();
    const bundle = makeBundle(ctx);
    const sections = probeSections();
    const script = probeScript(sections);
    const seenBy = async (runtime: typeof ctx.runtime) => {
      const idBefore = ctx.ids.length;
      const output = await outputInside(ctx, bundle, script, { runtime });
      return parseProbeOutput(output, ctx.ids[idBefore]);
    };
    const underTest = await seenBy(ctx.runtime);
    const reference = await seenBy(ctx.referenceRunc());
    for (const section of Object.keys(sections)) {
      assert.ok((reference.get(section) ?? []).length > 0, `the probe's "${section}" section printed nothing under runc`);
      assert.deepEqual(
        withoutKnownDifferences(section, underTest.get(section) ?? []),
        withoutKnownDifferences(section, reference.get(section) ?? []),
        `section "${section}" differs (${ctx.runtime.name} vs runc)`,
      );
    }
  });
});
