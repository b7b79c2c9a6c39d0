// The cgroup v2 device filter (src/cgroups/device-filter.ts): instruction sequences for a few rule
// lists, then random rule lists run through a small eBPF interpreter and compared with a separate
// transcription of the v1 devices controller (security/device_cgroup.c). No root needed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  ANY, BpfInsn, DeviceCgroupState, compileDeviceFilter, decodeInstructions, deviceFilterInstructions,
  emulateV1DeviceRules, v1DeviceAccessAllowed, v1DeviceTransition,
} from '../../src/cgroups/device-filter';
import { DEFAULT_ALLOWED_DEVICES, containerDeviceRules } from '../../src/cgroups/default-device-rules';
import type { DeviceCgroupRule } from '../../src/spec/types';

const MKNOD = 1;
const READ = 2;
const WRITE = 4;
const BLOCK = 1;
const CHAR = 2;

// ---- a tiny eBPF interpreter: the subset a device filter may use, anything else throws ----

interface Request {
  type: 'b' | 'c';
  major: number;
  minor: number;
  access: number;
}

function run(program: BpfInsn[], request: Request): number {
  const regs = new Array<number | undefined>(11).fill(undefined);
  const ctx = [(request.access << 16) | (request.type === 'b' ? BLOCK : CHAR), request.major, request.minor];
  regs[1] = -1; // the context pointer: only loads through r1 before it is overwritten are allowed
  const value = (r: number): number => {
    const v = regs[r];
    if (v === undefined || (r === 1 && v === -1)) throw new Error(`r${r} read before it was written`);
    return v >>> 0;
  };
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    const i = program[pc];
    if (!i) throw new Error(`fell off the program at ${pc}`);
    pc++;
    switch (i.code) {
      case 0x61: { // ldx w [src+off]
        if (regs[i.src] !== -1 || i.src !== 1 || i.off % 4 !== 0 || i.off > 8) throw new Error(`bad context load at ${pc - 1}`);
        regs[i.dst] = ctx[i.off / 4];
        break;
      }
      case 0x54: regs[i.dst] = (value(i.dst) & i.imm) >>> 0; break; // and32 imm
      case 0x74: regs[i.dst] = value(i.dst) >>> i.imm; break; // rsh32 imm
      case 0xb4: regs[i.dst] = i.imm >>> 0; break; // mov32 imm
      case 0xbc: regs[i.dst] = value(i.src); break; // mov32 reg
      case 0x16: if (value(i.dst) === i.imm >>> 0) pc += i.off; break; // jeq32 imm
      case 0x56: if (value(i.dst) !== i.imm >>> 0) pc += i.off; break; // jne32 imm
      case 0x95: { // exit
        const r0 = value(0);
        if (r0 !== 0 && r0 !== 1) throw new Error(`returned ${r0}`);
        return r0;
      }
      default:
        throw new Error(`unexpected opcode 0x${i.code.toString(16)} at ${pc - 1}`);
    }
    if (pc < 0 || pc > program.length) throw new Error(`jump out of the program to ${pc}`);
  }
  throw new Error('no exit within 10000 steps (a loop?)');
}

// ---- the v1 devices controller, transcribed separately from the module under test ----

interface KernelException { type: number; major: number; minor: number; access: number }
interface KernelCgroup { allow: boolean; exceptions: KernelException[] }

const WILD = 0xffffffff;

/** devcgroup_update_access for the line husk writes ("c 1:3 rwm"), from a root-like parent. */
function kernelWrite(cg: KernelCgroup, file: 'allow' | 'deny', line: string): void {
  if (line[0] === 'a') {
    cg.allow = file === 'allow';
    cg.exceptions = [];
    return;
  }
  const [type, numbers, letters] = line.split(' ');
  const [major, minor] = numbers.split(':').map((n) => (n === '*' ? WILD : Number(n)));
  let access = 0;
  for (const c of letters.slice(0, 3)) access |= c === 'r' ? READ : c === 'w' ? WRITE : MKNOD;
  const ex = { type: type === 'b' ? BLOCK : CHAR, major, minor, access };
  const same = (w: KernelException): boolean => w.type === ex.type && w.major === ex.major && w.minor === ex.minor;
  const add = (): void => {
    const found = cg.exceptions.filter(same);
    for (const w of found) w.access |= ex.access;
    if (found.length === 0) cg.exceptions.push(ex);
  };
  const rm = (): void => {
    for (const w of cg.exceptions.filter(same)) w.access &= ~ex.access;
    cg.exceptions = cg.exceptions.filter((w) => w.access !== 0);
  };
  if (file === 'allow') {
    if (cg.allow) rm();
    else add();
  } else if (!cg.allow) rm();
  else add();
}

/** devcgroup_legacy_check_permission: match_exception / match_exception_partial. */
function kernelCheck(cg: KernelCgroup, r: Request): boolean {
  const type = r.type === 'b' ? BLOCK : CHAR;
  const hits = (ex: KernelException): boolean =>
    (ex.type & type) !== 0 && (ex.major === WILD || ex.major === r.major) && (ex.minor === WILD || ex.minor === r.minor);
  if (cg.allow) return !cg.exceptions.some((ex) => hits(ex) && (r.access & ex.access) !== 0);
  return cg.exceptions.some((ex) => hits(ex) && (r.access & ~ex.access) === 0);
}

function kernelApply(rules: DeviceCgroupRule[]): KernelCgroup {
  const cg: KernelCgroup = { allow: true, exceptions: [] };
  const num = (n: number | undefined): string => (n === undefined || n < 0 ? '*' : String(n));
  for (const rule of rules) {
    kernelWrite(cg, rule.allow ? 'allow' : 'deny', `${rule.type || 'a'} ${num(rule.major)}:${num(rule.minor)} ${rule.access || 'rwm'}`);
  }
  return cg;
}

// ---- seeded random rule lists ----

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAJORS = [1, 2, 7];
const MINORS = [3, 5, 9];

function randomRules(random: () => number): DeviceCgroupRule[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const count = Math.floor(random() * 9);
  const rules: DeviceCgroupRule[] = [];
  for (let i = 0; i < count; i++) {
    const rule: DeviceCgroupRule = { allow: random() < 0.5 };
    const type = pick([undefined, 'a', 'b', 'c', 'c', 'c', 'b']);
    if (type !== undefined) rule.type = type;
    const major = pick([undefined, -1, ...MAJORS, ...MAJORS]);
    if (major !== undefined) rule.major = major;
    const minor = pick([undefined, -1, ...MINORS, ...MINORS]);
    if (minor !== undefined) rule.minor = minor;
    const access = pick([undefined, '', 'r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm', 'mwr']);
    if (access !== undefined) rule.access = access;
    rules.push(rule);
  }
  return rules;
}

function* everyRequest(): Generator<Request> {
  for (const type of ['b', 'c'] as const) {
    for (const major of [...MAJORS, 4]) {
      for (const minor of [...MINORS, 0]) {
        for (let access = 1; access <= 7; access++) yield { type, major, minor, access };
      }
    }
  }
}

const show = (r: Request): string => `${r.type} ${r.major}:${r.minor} access ${r.access}`;

// ---- tests ----

test('deny all: two instructions returning 0', () => {
  assert.deepEqual(deviceFilterInstructions(emulateV1DeviceRules([{ allow: false, access: 'rwm' }])), [
    { code: 0xb4, dst: 0, src: 0, off: 0, imm: 0 },
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
  // No rules: a fresh cgroup allows everything.
  assert.deepEqual(deviceFilterInstructions(emulateV1DeviceRules([])).map((i) => [i.code, i.imm]), [[0xb4, 1], [0x95, 0]]);
});

test('deny all, then allow c 1:3 rwm and b *:5 r', () => {
  const program = deviceFilterInstructions(emulateV1DeviceRules([
    { allow: false },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'b', minor: 5, access: 'r' },
  ]));
  const asText = program.map((i) => [i.code.toString(16), i.dst, i.src, i.off, i.imm]);
  assert.deepEqual(asText, [
    ['61', 2, 1, 0, 0], ['54', 2, 0, 0, 0xffff], // r2 = type
    ['61', 3, 1, 0, 0], ['74', 3, 0, 0, 16], // r3 = access
    ['61', 4, 1, 4, 0], ['61', 5, 1, 8, 0], // r4 = major, r5 = minor
    // c 1:3 rwm: type, major, minor (no access test for rwm), return 1
    ['56', 2, 0, 4, CHAR], ['56', 4, 0, 3, 1], ['56', 5, 0, 2, 3], ['b4', 0, 0, 0, 1], ['95', 0, 0, 0, 0],
    // b *:5 r: type; r1 = r3 & ~READ, must be 0; minor; return 1
    ['56', 2, 0, 6, BLOCK], ['bc', 1, 3, 0, 0], ['54', 1, 0, 0, ~READ], ['56', 1, 0, 3, 0], ['56', 5, 0, 2, 5],
    ['b4', 0, 0, 0, 1], ['95', 0, 0, 0, 0],
    // default: deny
    ['b4', 0, 0, 0, 0], ['95', 0, 0, 0, 0],
  ]);
  // And the bytes: 8 per instruction, registers packed src<<4|dst, little-endian offset and imm.
  const bytes = compileDeviceFilter([{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'b', minor: 5, access: 'r' }]);
  assert.equal(bytes.length, program.length * 8);
  assert.equal(bytes.subarray(12 * 8, 13 * 8).toString('hex'), 'bc31000000000000');
  assert.equal(bytes.subarray(13 * 8, 14 * 8).toString('hex'), '54010000fdffffff');
  assert.deepEqual(decodeInstructions(bytes), program);
});

test('allow by default with a deny exception: any requested bit in common denies', () => {
  const state = emulateV1DeviceRules([{ allow: false, type: 'c', major: 1, minor: 5, access: 'w' }]);
  assert.deepEqual(state, { defaultAllow: true, exceptions: [{ type: 'c', major: 1, minor: 5, access: WRITE }] });
  const program = deviceFilterInstructions(state);
  assert.deepEqual(program.slice(6, 10).map((i) => [i.code.toString(16), i.dst, i.src, i.off, i.imm]), [
    ['56', 2, 0, 7, CHAR], ['bc', 1, 3, 0, 0], ['54', 1, 0, 0, WRITE], ['16', 1, 0, 4, 0],
  ]);
  assert.equal(run(program, { type: 'c', major: 1, minor: 5, access: READ }), 1);
  assert.equal(run(program, { type: 'c', major: 1, minor: 5, access: READ | WRITE }), 0); // runc's filter lets this through
  assert.equal(run(program, { type: 'c', major: 1, minor: 6, access: WRITE }), 1);
});

test('v1 semantics, not "last match wins": a narrower deny cannot punch a hole, a wildcard deny does not undo an allow', () => {
  // deny-by-default, allow c *:* rw, then deny c 1:3 rw: the kernel only removes exceptions for
  // exactly c 1:3, so /dev/null stays allowed.
  let state = emulateV1DeviceRules([{ allow: false }, { allow: true, type: 'c', access: 'rw' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rw' }]);
  assert.equal(run(deviceFilterInstructions(state), { type: 'c', major: 1, minor: 3, access: READ }), 1);
  // deny-by-default, allow c 1:3, then deny c *:*: no c *:* exception to remove; still allowed.
  state = emulateV1DeviceRules([{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', access: 'rwm' }]);
  assert.equal(run(deviceFilterInstructions(state), { type: 'c', major: 1, minor: 3, access: READ }), 1);
  // Any 'a' rule resets, whatever its numbers and access say.
  state = emulateV1DeviceRules([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: false, type: 'a', major: 1, minor: 3, access: 'r' }]);
  assert.deepEqual(state, { defaultAllow: false, exceptions: [] });
  // Access merges per device: r then w is rw; removing w leaves r.
  state = emulateV1DeviceRules([{ allow: false }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'w' }]);
  assert.deepEqual(state.exceptions, [{ type: 'c', major: 1, minor: 3, access: READ | WRITE }]);
  assert.equal(run(deviceFilterInstructions(state), { type: 'c', major: 1, minor: 3, access: READ | WRITE }), 1);
  assert.equal(run(deviceFilterInstructions(state), { type: 'c', major: 1, minor: 3, access: MKNOD }), 0);
  // 4294967295 (~0 as a u32) is the kernel's wildcard too.
  state = emulateV1DeviceRules([{ allow: false }, { allow: true, type: 'c', major: 4294967295, minor: 3, access: 'r' }]);
  assert.deepEqual(state.exceptions, [{ type: 'c', major: ANY, minor: 3, access: READ }]);
  assert.throws(() => emulateV1DeviceRules([{ allow: true, type: 'c', major: 2 ** 32, minor: 3 }]), /linux\.resources\.devices\[0\]\.major is 4294967296: expected a device number below 2\^32/);
  assert.throws(() => emulateV1DeviceRules([{ allow: true, type: 'p' }]), /linux\.resources\.devices\[0\]\.type: 'p' is not a device rule type/);
});

test("runc's default container rules: deny all, then the allowlist", () => {
  const rules = containerDeviceRules([{ allow: false, access: 'rwm' }], [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]);
  const state = emulateV1DeviceRules(rules);
  assert.equal(state.defaultAllow, false);
  assert.equal(state.exceptions.length, DEFAULT_ALLOWED_DEVICES.length + 1);
  const program = deviceFilterInstructions(state);
  const allowed = (r: Request): boolean => run(program, r) === 1;
  assert.equal(allowed({ type: 'c', major: 1, minor: 3, access: READ | WRITE }), true); // /dev/null
  assert.equal(allowed({ type: 'c', major: 136, minor: 7, access: READ | WRITE }), true); // /dev/pts/7
  assert.equal(allowed({ type: 'c', major: 10, minor: 229, access: READ }), true); // the config's device
  assert.equal(allowed({ type: 'c', major: 1, minor: 1, access: READ }), false); // /dev/mem
  assert.equal(allowed({ type: 'b', major: 8, minor: 0, access: READ }), false); // a disk
  assert.equal(allowed({ type: 'b', major: 8, minor: 0, access: MKNOD }), true); // mknod of anything
  assert.equal(allowed({ type: 'b', major: 8, minor: 0, access: MKNOD | READ }), false);
});

test('random rule lists: the program decides every request as the v1 controller does (seeded)', () => {
  const random = prng(0x6875736b);
  let lists = 0;
  let checks = 0;
  for (; lists < 3000; lists++) {
    const rules = randomRules(random);
    const kernel = kernelApply(rules);
    const state = emulateV1DeviceRules(rules);
    const program = decodeInstructions(compileDeviceFilter(rules));
    for (const request of everyRequest()) {
      const expected = kernelCheck(kernel, request);
      const got = run(program, request) === 1;
      if (got !== expected || v1DeviceAccessAllowed(state, request.type, request.major, request.minor, request.access) !== expected) {
        assert.fail(`rules ${JSON.stringify(rules)}: ${show(request)} should be ${expected ? 'allowed' : 'denied'}; program says ${got ? 'allowed' : 'denied'}`);
      }
      checks++;
    }
  }
  assert.ok(checks > 500_000, `${checks} checks`);
});

test('random pairs: the v1 update transition reaches the new state and never allows more than both (seeded)', () => {
  const random = prng(42);
  const allowedSet = (state: DeviceCgroupState): Set<string> => {
    const set = new Set<string>();
    for (const r of everyRequest()) if (v1DeviceAccessAllowed(state, r.type, r.major, r.minor, r.access)) set.add(show(r));
    return set;
  };
  for (let n = 0; n < 1500; n++) {
    const from = emulateV1DeviceRules(randomRules(random));
    const to = emulateV1DeviceRules(randomRules(random));
    const steps = v1DeviceTransition(from, to);
    const reached = emulateV1DeviceRules(steps, from);
    assert.deepEqual(allowedSet(reached), allowedSet(to), `from ${JSON.stringify(from)} to ${JSON.stringify(to)} by ${JSON.stringify(steps)}`);
    if (from.defaultAllow !== to.defaultAllow) continue; // the reset cannot be avoided
    const bound = new Set([...allowedSet(from), ...allowedSet(to)]);
    for (let k = 1; k < steps.length; k++) {
      for (const request of allowedSet(emulateV1DeviceRules(steps.slice(0, k), from))) {
        assert.ok(bound.has(request), `after ${k} of ${JSON.stringify(steps)}: ${request} allowed by neither state`);
      }
    }
  }
  // Nothing to do between equal states.
  const same = emulateV1DeviceRules(containerDeviceRules([{ allow: false }], []));
  assert.deepEqual(v1DeviceTransition(same, emulateV1DeviceRules(containerDeviceRules([{ allow: false }], []))), []);
});
