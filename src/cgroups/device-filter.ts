// Device rules on cgroup v2: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) that decides each
// open and mknod of a device node the way the v1 devices controller would for the same rules.
//
// The rule list (the config's linux.resources.devices, then runc's default allowlist, then one
// rule per linux.devices entry; see default-device-rules.ts) is the list husk writes to
// devices.allow / devices.deny on v1. Its meaning there is NOT "the last matching rule wins". The
// kernel (security/device_cgroup.c) keeps a default (allow or deny) and a list of exceptions keyed
// by (type, major, minor), and each write edits that state:
//
//   * a rule of type 'a' (whatever its numbers and access) resets: allow → allow everything,
//     deny → deny everything, and the exception list is emptied;
//   * a rule that agrees with the default removes its access bits from the exception with the
//     SAME type, major and minor (a wildcard exception is not split: "deny c 1:3" after
//     "allow c *:*" in deny-by-default mode changes nothing);
//   * a rule that disagrees with the default adds its bits to that exception (or a new one).
//
// A request (type, major, minor, access bits — open O_RDWR asks for read|write at once) is then:
//   * deny-by-default: allowed if ONE exception matches and holds every requested bit;
//   * allow-by-default: denied if any matching exception holds ANY requested bit.
//
// So husk first replays the rules on that model (emulateV1DeviceRules, fed the very lines husk
// writes on v1, parsed as the kernel parses them), then compiles the resulting state. Every
// exception has the opposite effect of the default, so their order in the program is irrelevant.
// runc does the same (its devices emulator, then libcontainer/cgroups/devices/devicefilter.go),
// with two differences: runc refuses a rule that would punch a hole in a wildcard exception (the
// kernel ignores it, and so does husk, since v1 and v2 must agree), and runc's program matches a
// deny exception only when it holds all requested bits (O_RDWR of a device denied only "w" passes
// its filter; the v1 kernel refuses it, and so does husk's program).
//
// Program (struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type =
// access << 16 | type; return 1 to allow, 0 to deny):
//
//   r2 = ctx->access_type & 0xffff; r3 = ctx->access_type >> 16; r4 = ctx->major; r5 = ctx->minor
//   per exception:   if (w32)r2 != TYPE goto next
//                    deny-by-default:  if ((w32)r3 & ~ACCESS) != 0 goto next   (omitted for rwm)
//                    allow-by-default: if ((w32)r3 & ACCESS) == 0 goto next    (omitted for rwm)
//                    if (w32)r4 != MAJOR goto next                             (omitted for *)
//                    if (w32)r5 != MINOR goto next                             (omitted for *)
//                    r0 = !default; exit
//   r0 = default; exit
//
// Comparisons are 32-bit jumps (BPF_JMP32, Linux 5.1+), so a u32 device number compares as one.
import { HuskError } from '../errors';
import type { DeviceCgroupRule } from '../spec/types';
import { v1DeviceRuleLine } from './resources';

// include/uapi/linux/bpf.h
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/** The kernel's wildcard major/minor (~0 as a u32); husk writes it as '*'. */
export const ANY = -1;

export interface DeviceException {
  type: 'b' | 'c';
  /** ANY (-1) for every major. */
  major: number;
  minor: number;
  /** BPF_DEVCG_ACC_* bits (the same values as the v1 controller's DEVCG_ACC_*). */
  access: number;
}

/** The state of a v1 devices cgroup: a default and the exceptions to it. */
export interface DeviceCgroupState {
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

/** A new cgroup whose parent allows everything (as husk's cgroups do; v2 parents filter on their own). */
export function allowAllDevices(): DeviceCgroupState {
  return { defaultAllow: true, exceptions: [] };
}

interface ParsedRule {
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  access: number;
}

const ACCESS_BITS: Record<string, number> = { r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD };
const U32_MAX = 0xffffffff;

/**
 * Parse the devices.allow/deny line husk writes for `rule` ("c 1:3 rwm", "a *:* rwm") as
 * devcgroup_update_access does: only the first character matters for 'a'; '*' or a u32 for
 * major and minor (~0 written as a number is a wildcard too); up to three access letters.
 */
function parseRule(rule: DeviceCgroupRule, index: number): ParsedRule {
  const at = `linux.resources.devices[${index}]`;
  const line = v1DeviceRuleLine(rule);
  const type = line[0];
  if (type === 'a') return { type: 'a', major: ANY, minor: ANY, access: ACC_ALL };
  if (type !== 'b' && type !== 'c') throw new HuskError(`${at}.type: '${rule.type}' is not a device rule type; expected one of a, c, b`);
  const match = /^[bc] (\*|\d+):(\*|\d+) ([rwm]*)$/.exec(line);
  if (!match) throw new HuskError(`${at}: '${line}' is not a device rule`);
  const number = (text: string, part: 'major' | 'minor'): number => {
    if (text === '*') return ANY;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value > U32_MAX) throw new HuskError(`${at}.${part} is ${text}: expected a device number below 2^32`);
    return value === U32_MAX ? ANY : value;
  };
  let access = 0;
  for (const letter of match[3].slice(0, 3)) access |= ACCESS_BITS[letter];
  return { type, major: number(match[1], 'major'), minor: number(match[2], 'minor'), access };
}

function sameDevice(a: { type: string; major: number; minor: number }, b: { type: string; major: number; minor: number }): boolean {
  return a.type === b.type && a.major === b.major && a.minor === b.minor;
}

/** Replay `rules` in order on `start` (default: allow all) as the v1 devices controller would. */
export function emulateV1DeviceRules(rules: DeviceCgroupRule[], start: DeviceCgroupState = allowAllDevices()): DeviceCgroupState {
  let defaultAllow = start.defaultAllow;
  let exceptions = start.exceptions.map((e) => ({ ...e }));
  rules.forEach((rule, index) => {
    const parsed = parseRule(rule, index);
    if (parsed.type === 'a') {
      defaultAllow = rule.allow;
      exceptions = [];
      return;
    }
    const device = { type: parsed.type, major: parsed.major, minor: parsed.minor };
    const existing = exceptions.find((e) => sameDevice(e, device));
    if (rule.allow === defaultAllow) {
      // dev_exception_rm: clear the bits in the exception for exactly this device.
      if (existing) existing.access &= ~parsed.access;
      exceptions = exceptions.filter((e) => e.access !== 0);
    } else if (existing) {
      existing.access |= parsed.access; // dev_exception_add merges into the same device's entry
    } else if (parsed.access !== 0) {
      exceptions.push({ ...device, access: parsed.access });
    }
  });
  return { defaultAllow, exceptions };
}

/** Whether two states decide every request alike (the same default and exceptions, in any order). */
export function sameDeviceState(a: DeviceCgroupState, b: DeviceCgroupState): boolean {
  const key = (s: DeviceCgroupState): string =>
    JSON.stringify([s.defaultAllow, s.exceptions.map((e) => `${e.type} ${e.major}:${e.minor} ${e.access}`).sort()]);
  return key(a) === key(b);
}

/** The v1 controller's decision for one request (devcgroup_legacy_check_permission). */
export function v1DeviceAccessAllowed(state: DeviceCgroupState, type: 'b' | 'c', major: number, minor: number, access: number): boolean {
  const matches = (e: DeviceException): boolean =>
    e.type === type && (e.major === ANY || e.major === major) && (e.minor === ANY || e.minor === minor);
  if (state.defaultAllow) return !state.exceptions.some((e) => matches(e) && (access & e.access) !== 0);
  return state.exceptions.some((e) => matches(e) && (access & ~e.access) === 0);
}

// ---- eBPF encoding (include/uapi/linux/bpf_common.h, bpf.h) ----

const BPF_LDX = 0x01;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06;
const BPF_W = 0x00;
const BPF_MEM = 0x60;
const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_AND = 0x50;
const BPF_RSH = 0x70;
const BPF_MOV = 0xb0;
const BPF_JEQ = 0x10;
const BPF_JNE = 0x50;
const BPF_EXIT = 0x90;

export const BPF_INSN_SIZE = 8;

/** One eBPF instruction; `off` of a jump counts from the next instruction. */
export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });
const loadWord = (dst: number, src: number, off: number): BpfInsn => insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
const alu32Imm = (op: number, dst: number, imm: number): BpfInsn => insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm | 0);
const mov32Reg = (dst: number, src: number): BpfInsn => insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
const jump32Imm = (op: number, dst: number, imm: number, off: number): BpfInsn => insn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm | 0);
const exit = (): BpfInsn => insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

/** The program's instructions for a device cgroup state. */
export function deviceFilterInstructions(state: DeviceCgroupState): BpfInsn[] {
  const result = state.defaultAllow ? 1 : 0;
  const program: BpfInsn[] = [];
  if (state.exceptions.length > 0) {
    program.push(
      loadWord(2, 1, 0), alu32Imm(BPF_AND, 2, 0xffff), // r2 = type
      loadWord(3, 1, 0), alu32Imm(BPF_RSH, 3, 16), // r3 = access
      loadWord(4, 1, 4), // r4 = major
      loadWord(5, 1, 8), // r5 = minor
    );
  }
  for (const exception of state.exceptions) {
    // Conditions as [op, register, imm] (plus the access test's preparation); each jumps past the block.
    const block: Array<BpfInsn | [number, number, number]> = [];
    block.push([BPF_JNE, 2, exception.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR]);
    if ((exception.access & ACC_ALL) !== ACC_ALL) {
      block.push(mov32Reg(1, 3));
      if (state.defaultAllow) {
        block.push(alu32Imm(BPF_AND, 1, exception.access), [BPF_JEQ, 1, 0]); // no requested bit is denied
      } else {
        block.push(alu32Imm(BPF_AND, 1, ~exception.access), [BPF_JNE, 1, 0]); // a requested bit is not allowed
      }
    }
    if (exception.major !== ANY) block.push([BPF_JNE, 4, exception.major]);
    if (exception.minor !== ANY) block.push([BPF_JNE, 5, exception.minor]);
    const length = block.length + 2;
    block.forEach((item, i) => program.push(Array.isArray(item) ? jump32Imm(item[0], item[1], item[2], length - i - 1) : item));
    program.push(alu32Imm(BPF_MOV, 0, 1 - result), exit());
  }
  program.push(alu32Imm(BPF_MOV, 0, result), exit());
  return program;
}

/** struct bpf_insn[] as bytes (little-endian: the kernel takes the host's order; x86-64 and arm64 are LE). */
export function encodeInstructions(program: BpfInsn[]): Buffer {
  const bytes = Buffer.alloc(program.length * BPF_INSN_SIZE);
  program.forEach((i, n) => {
    const at = n * BPF_INSN_SIZE;
    bytes.writeUInt8(i.code, at);
    bytes.writeUInt8(((i.src & 0xf) << 4) | (i.dst & 0xf), at + 1);
    bytes.writeInt16LE(i.off, at + 2);
    bytes.writeInt32LE(i.imm | 0, at + 4);
  });
  return bytes;
}

export function decodeInstructions(bytes: Buffer): BpfInsn[] {
  const program: BpfInsn[] = [];
  for (let at = 0; at + BPF_INSN_SIZE <= bytes.length; at += BPF_INSN_SIZE) {
    const regs = bytes.readUInt8(at + 1);
    program.push({ code: bytes.readUInt8(at), dst: regs & 0xf, src: regs >> 4, off: bytes.readInt16LE(at + 2), imm: bytes.readInt32LE(at + 4) });
  }
  return program;
}

/** The BPF_PROG_TYPE_CGROUP_DEVICE program enforcing `rules` (in order, v1 semantics). */
export function compileDeviceFilter(rules: DeviceCgroupRule[]): Buffer {
  return encodeInstructions(deviceFilterInstructions(emulateV1DeviceRules(rules)));
}

/**
 * The v1 writes that take a live devices cgroup from `from` to `to` (husk update). Restrictions
 * are written before relaxations, so no moment allows more than both states do — except when the
 * default itself changes: then the 'a' rule resets the cgroup first (runc's v1 transition does the
 * same; the kernel offers no atomic switch).
 */
export function v1DeviceTransition(from: DeviceCgroupState, to: DeviceCgroupState): DeviceCgroupRule[] {
  const rule = (allow: boolean, e: DeviceException, access: number): DeviceCgroupRule => ({
    allow, type: e.type, major: e.major, minor: e.minor, access: accessLetters(access),
  });
  if (from.defaultAllow !== to.defaultAllow) {
    return [{ allow: to.defaultAllow, type: 'a' }, ...to.exceptions.map((e) => rule(!to.defaultAllow, e, e.access))];
  }
  const accessIn = (state: DeviceCgroupState, e: DeviceException): number => state.exceptions.find((x) => sameDevice(x, e))?.access ?? 0;
  // Exceptions grant on deny-by-default, refuse on allow-by-default.
  const grant = !to.defaultAllow;
  const dropped = from.exceptions
    .map((e) => ({ e, bits: e.access & ~accessIn(to, e) }))
    .filter((d) => d.bits !== 0)
    .map((d) => rule(!grant, d.e, d.bits)); // removes bits from an exception
  const added = to.exceptions
    .map((e) => ({ e, bits: e.access & ~accessIn(from, e) }))
    .filter((d) => d.bits !== 0)
    .map((d) => rule(grant, d.e, d.bits));
  // Dropping a grant and adding a refusal restrict; the others relax.
  return grant ? [...dropped, ...added] : [...added, ...dropped];
}

function accessLetters(access: number): string {
  return `${access & BPF_DEVCG_ACC_READ ? 'r' : ''}${access & BPF_DEVCG_ACC_WRITE ? 'w' : ''}${access & BPF_DEVCG_ACC_MKNOD ? 'm' : ''}`;
}
