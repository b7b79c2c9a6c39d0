// The only file that knows N-API: converts JavaScript values to the C plan (addon/plan.h) and
// exposes the few syscalls Node lacks. Everything here runs in husk's own process.
#include <napi.h>
#include <uv.h>

extern "C" {
#include "bpf.h"
#include "clone.h"
#include "console.h"
#include "daemon.h"
#include "exec.h"
#include "memory.h"
#include "plan.h"
#include "seccomp.h"
#include "seccomp-compile.h"
#include "sync.h"
#include "util.h"
}

#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

constexpr size_t kPayloadCapacity = 1 << 20;

// In a worker of `husk daemon` (daemon.c): the connection to the front end, which runs the
// clones and waits for the container's processes; -1 in a plain `node bin/husk`.
int front_end_fd = -1;

std::string ErrnoName(int err) {
  const char *name = strerrorname_np(err);
  return std::string(name ? name : "E?") + ": " + strerror(err);
}

Napi::Value ThrowErrno(Napi::Env env, const std::string &what, int err) {
  Napi::Error error = Napi::Error::New(env, what + ": " + ErrnoName(err));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("code", Napi::String::New(env, strerrorname_np(err) ? strerrorname_np(err) : "E?"));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

// ---- JavaScript -> C plan ----

char *CopyString(const Napi::Value &value) {
  std::string text = value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
  return husk_plan_strdup(text.c_str());
}

char *CopyStringOrNull(const Napi::Value &value) {
  if (!value.IsString()) return nullptr;
  std::string text = value.As<Napi::String>().Utf8Value();
  return text.empty() ? nullptr : husk_plan_strdup(text.c_str());
}

double NumberOf(const Napi::Object &obj, const char *key) {
  Napi::Value v = obj.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0;
}

bool BoolOf(const Napi::Object &obj, const char *key) {
  Napi::Value v = obj.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

Napi::Array ArrayOf(const Napi::Object &obj, const char *key) {
  Napi::Value v = obj.Get(key);
  return v.IsArray() ? v.As<Napi::Array>() : Napi::Array::New(obj.Env());
}

char **CopyStringArray(const Napi::Array &array) {
  char **out = static_cast<char **>(husk_plan_alloc((array.Length() + 1) * sizeof(char *)));
  for (uint32_t i = 0; i < array.Length(); i++) out[i] = CopyString(array.Get(i));
  return out;
}

template <typename T>
T *AllocArray(uint32_t n) {
  return static_cast<T *>(husk_plan_alloc((n ? n : 1) * sizeof(T)));
}

uint64_t ParseU64(const Napi::Value &value) {
  std::string text = value.IsString() ? value.As<Napi::String>().Utf8Value()
                                      : std::to_string((unsigned long long)value.ToNumber().Int64Value());
  return strtoull(text.c_str(), nullptr, 10);
}

void CopyHooks(const Napi::Array &array, husk_hook **out, int *count) {
  *count = (int)array.Length();
  *out = AllocArray<husk_hook>(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Object hook = array.Get(i).As<Napi::Object>();
    (*out)[i].path = CopyString(hook.Get("path"));
    (*out)[i].argv = CopyStringArray(ArrayOf(hook, "args"));
    (*out)[i].envp = CopyStringArray(ArrayOf(hook, "env"));
    (*out)[i].timeout_seconds = (int)NumberOf(hook, "timeout");
  }
}

void CopyMounts(const Napi::Object &js, husk_plan *plan) {
  Napi::Array mounts = ArrayOf(js, "mounts");
  plan->n_mounts = (int)mounts.Length();
  plan->mounts = AllocArray<husk_mount>(mounts.Length());
  for (uint32_t i = 0; i < mounts.Length(); i++) {
    Napi::Object m = mounts.Get(i).As<Napi::Object>();
    husk_mount *out = &plan->mounts[i];
    out->source = CopyString(m.Get("source"));
    out->destination = CopyString(m.Get("destination"));
    out->fstype = CopyStringOrNull(m.Get("fstype"));
    out->data = CopyStringOrNull(m.Get("data"));
    out->flags = (unsigned long)NumberOf(m, "flags");
    out->remount_flags = (unsigned long)NumberOf(m, "remountFlags");
    Napi::Array propagation = ArrayOf(m, "propagation");
    out->n_propagation = (int)propagation.Length();
    out->propagation = AllocArray<unsigned long>(propagation.Length());
    for (uint32_t p = 0; p < propagation.Length(); p++)
      out->propagation[p] = (unsigned long)propagation.Get(p).ToNumber().Int64Value();
    out->rec_attr_set = (uint64_t)NumberOf(m, "recursiveAttrSet");
    out->rec_attr_clear = (uint64_t)NumberOf(m, "recursiveAttrClear");
    Napi::Value kind = m.Get("destinationKind");
    out->destination_is_file = kind.IsString() && kind.As<Napi::String>().Utf8Value() == "file";
    out->copy_up = BoolOf(m, "copyUp");
  }
}

void CopyDevices(const Napi::Object &js, husk_plan *plan) {
  Napi::Array devices = ArrayOf(js, "devices");
  plan->n_devices = (int)devices.Length();
  plan->devices = AllocArray<husk_device>(devices.Length());
  for (uint32_t i = 0; i < devices.Length(); i++) {
    Napi::Object d = devices.Get(i).As<Napi::Object>();
    husk_device *out = &plan->devices[i];
    out->path = CopyString(d.Get("path"));
    out->mode = (mode_t)NumberOf(d, "mode");
    out->major = (unsigned)NumberOf(d, "major");
    out->minor = (unsigned)NumberOf(d, "minor");
    out->uid = (uid_t)NumberOf(d, "uid");
    out->gid = (gid_t)NumberOf(d, "gid");
    out->bind_from = CopyStringOrNull(d.Get("bindFrom"));
  }
  Napi::Array links = ArrayOf(js, "symlinks");
  plan->n_symlinks = (int)links.Length();
  plan->symlinks = AllocArray<husk_symlink>(links.Length());
  for (uint32_t i = 0; i < links.Length(); i++) {
    Napi::Object l = links.Get(i).As<Napi::Object>();
    plan->symlinks[i].target = CopyString(l.Get("target"));
    plan->symlinks[i].path = CopyString(l.Get("path"));
  }
}

void CopyProcess(const Napi::Object &js, husk_plan *plan) {
  plan->argv = CopyStringArray(ArrayOf(js, "args"));
  plan->envp = CopyStringArray(ArrayOf(js, "env"));
  plan->cwd = CopyString(js.Get("cwd"));
  plan->uid = (uid_t)NumberOf(js, "uid");
  plan->gid = (gid_t)NumberOf(js, "gid");
  Napi::Array gids = ArrayOf(js, "additionalGids");
  plan->n_additional_gids = (int)gids.Length();
  plan->additional_gids = AllocArray<gid_t>(gids.Length());
  for (uint32_t i = 0; i < gids.Length(); i++) plan->additional_gids[i] = (gid_t)gids.Get(i).ToNumber().Uint32Value();
  plan->umask = (int)NumberOf(js, "umask");
  Napi::Array rlimits = ArrayOf(js, "rlimits");
  plan->n_rlimits = (int)rlimits.Length();
  plan->rlimits = AllocArray<husk_rlimit>(rlimits.Length());
  for (uint32_t i = 0; i < rlimits.Length(); i++) {
    Napi::Object r = rlimits.Get(i).As<Napi::Object>();
    plan->rlimits[i].resource = (int)NumberOf(r, "resource");
    plan->rlimits[i].soft = ParseU64(r.Get("soft"));
    plan->rlimits[i].hard = ParseU64(r.Get("hard"));
  }
  plan->preserve_fds = (int)NumberOf(js, "preserveFds");
  Napi::Value caps = js.Get("capabilities");
  if (caps.IsObject()) {
    Napi::Object c = caps.As<Napi::Object>();
    plan->set_capabilities = 1;
    plan->cap_bounding = ParseU64(c.Get("bounding"));
    plan->cap_effective = ParseU64(c.Get("effective"));
    plan->cap_permitted = ParseU64(c.Get("permitted"));
    plan->cap_inheritable = ParseU64(c.Get("inheritable"));
    plan->cap_ambient = ParseU64(c.Get("ambient"));
    plan->cap_last_cap = (int)NumberOf(c, "lastCap");
  }
  plan->no_new_privileges = BoolOf(js, "noNewPrivileges");
  plan->session_keyring = CopyStringOrNull(js.Get("sessionKeyring"));
  plan->new_session = BoolOf(js, "newSession");
  CopyHooks(ArrayOf(js, "createContainerHooks"), &plan->create_container_hooks, &plan->n_create_container_hooks);
  CopyHooks(ArrayOf(js, "startContainerHooks"), &plan->start_container_hooks, &plan->n_start_container_hooks);
}

// linux.seccomp (its program compiled beforehand by compileSeccomp), linux.sysctl,
// process.scheduler, process.ioPriority, linux.personality: see src/linux/plan.ts.
void CopySecurity(const Napi::Object &js, husk_plan *plan) {
  Napi::Value seccomp = js.Get("seccomp");
  if (seccomp.IsObject()) {
    Napi::Object s = seccomp.As<Napi::Object>();
    Napi::Value program = s.Get("program");
    if (program.IsBuffer()) {
      Napi::Buffer<uint8_t> bytes = program.As<Napi::Buffer<uint8_t>>();
      plan->seccomp_program = husk_plan_alloc(bytes.Length());
      memcpy(plan->seccomp_program, bytes.Data(), bytes.Length());
      plan->seccomp_program_length = bytes.Length() / 8;  // sizeof(struct sock_filter)
    }
    plan->seccomp_flags = (unsigned)NumberOf(s, "loadFlags");
    plan->seccomp_before_user_switch = BoolOf(s, "loadBeforeUserSwitch");
  }
  Napi::Array sysctls = ArrayOf(js, "sysctls");
  plan->n_sysctls = (int)sysctls.Length();
  plan->sysctl_paths = AllocArray<char *>(sysctls.Length());
  plan->sysctl_values = AllocArray<char *>(sysctls.Length());
  for (uint32_t i = 0; i < sysctls.Length(); i++) {
    Napi::Object entry = sysctls.Get(i).As<Napi::Object>();
    plan->sysctl_paths[i] = CopyString(entry.Get("path"));
    plan->sysctl_values[i] = CopyString(entry.Get("value"));
  }
  Napi::Value scheduler = js.Get("scheduler");
  if (scheduler.IsObject()) {
    Napi::Object s = scheduler.As<Napi::Object>();
    plan->has_scheduler = 1;
    plan->sched_policy = (uint32_t)NumberOf(s, "policy");
    plan->sched_flags = (uint64_t)NumberOf(s, "flags");
    plan->sched_nice = (int32_t)NumberOf(s, "nice");
    plan->sched_priority = (uint32_t)NumberOf(s, "priority");
    plan->sched_runtime = ParseU64(s.Get("runtime"));
    plan->sched_deadline = ParseU64(s.Get("deadline"));
    plan->sched_period = ParseU64(s.Get("period"));
  }
  Napi::Value io_priority = js.Get("ioPriority");
  plan->io_priority = io_priority.IsNumber() ? io_priority.As<Napi::Number>().Int32Value() : -1;
  Napi::Value persona = js.Get("personality");
  plan->personality = persona.IsNumber() ? (long)persona.As<Napi::Number>().Int64Value() : -1;
  plan->apparmor_profile = CopyStringOrNull(js.Get("apparmorProfile"));
  plan->selinux_label = CopyStringOrNull(js.Get("selinuxLabel"));
}

// process.terminal: the LaunchPlan/ExecPlan fields terminal, consoleSocketFd, consoleSize,
// mountConsole. The console socket fd stays owned by JavaScript (it closes it after the spawn).
void CopyTerminal(const Napi::Object &js, husk_plan *plan) {
  plan->terminal = BoolOf(js, "terminal");
  Napi::Value socket_fd = js.Get("consoleSocketFd");
  plan->console_socket_fd = socket_fd.IsNumber() ? socket_fd.As<Napi::Number>().Int32Value() : -1;
  Napi::Value size = js.Get("consoleSize");
  if (size.IsObject()) {
    plan->console_rows = (unsigned short)NumberOf(size.As<Napi::Object>(), "height");
    plan->console_cols = (unsigned short)NumberOf(size.As<Napi::Object>(), "width");
  }
  plan->mount_console = BoolOf(js, "mountConsole");
  plan->ns_pidfd = -1;
}

// All of the plan is allocated with husk_plan_alloc (memory.h): the container side releases
// husk's malloc heaps and keeps only the plan's own memory.
husk_plan *CopyPlan(const Napi::Object &js) {
  husk_plan *plan = static_cast<husk_plan *>(husk_plan_memory_begin(sizeof(husk_plan)));
  plan->new_namespace_flags = (int)NumberOf(js, "newNamespaceFlags");
  plan->new_user_namespace = BoolOf(js, "newUserNamespace");
  Napi::Array joins = ArrayOf(js, "joins");
  plan->n_joins = (int)joins.Length();
  plan->joins = AllocArray<husk_join>(joins.Length());
  for (uint32_t i = 0; i < joins.Length(); i++) {
    Napi::Object j = joins.Get(i).As<Napi::Object>();
    plan->joins[i].clone_flag = (int)NumberOf(j, "cloneFlag");
    plan->joins[i].path = CopyString(j.Get("path"));
    plan->joins[i].fd = -1;
  }
  Napi::Value offsets = js.Get("timeOffsets");
  if (offsets.IsObject()) {
    Napi::Object t = offsets.As<Napi::Object>();
    plan->has_time_offsets = 1;
    plan->time_offsets.monotonic_secs = (int64_t)NumberOf(t, "monotonicSecs");
    plan->time_offsets.monotonic_nanosecs = (int64_t)NumberOf(t, "monotonicNanosecs");
    plan->time_offsets.boottime_secs = (int64_t)NumberOf(t, "boottimeSecs");
    plan->time_offsets.boottime_nanosecs = (int64_t)NumberOf(t, "boottimeNanosecs");
  }
  Napi::Value cgroup_fd = js.Get("cgroupFd");
  plan->cgroup_fd = cgroup_fd.IsNumber() ? cgroup_fd.As<Napi::Number>().Int32Value() : -1;
  plan->rootfs = CopyString(js.Get("rootfs"));
  plan->rootfs_propagation = (unsigned long)NumberOf(js, "rootfsPropagation");
  plan->readonly_root = BoolOf(js, "readonlyRoot");
  Napi::Value rootfs_setup = js.Get("rootfsSetup");
  std::string setup = rootfs_setup.IsString() ? rootfs_setup.As<Napi::String>().Utf8Value() : "new-namespace";
  plan->rootfs_setup = setup == "chroot" ? HUSK_ROOTFS_CHROOT : setup == "joined" ? HUSK_ROOTFS_JOINED : HUSK_ROOTFS_NEW_NAMESPACE;
  plan->no_pivot = BoolOf(js, "noPivot");
  CopyMounts(js, plan);
  CopyDevices(js, plan);
  Napi::Array masked = ArrayOf(js, "maskedPaths");
  plan->n_masked_paths = (int)masked.Length();
  plan->masked_paths = CopyStringArray(masked);
  Napi::Array readonly_paths = ArrayOf(js, "readonlyPaths");
  plan->n_readonly_paths = (int)readonly_paths.Length();
  plan->readonly_paths = CopyStringArray(readonly_paths);
  plan->hostname = CopyStringOrNull(js.Get("hostname"));
  plan->domainname = CopyStringOrNull(js.Get("domainname"));
  CopyProcess(js, plan);
  CopySecurity(js, plan);
  CopyTerminal(js, plan);
  plan->exec_fifo_fd = -1;
  plan->result_fifo_fd = -1;
  plan->root_fd = -1;  // exec's field; an init chroots by its rootfs path
  plan->payload_capacity = kPayloadCapacity;
  plan->payload = static_cast<char *>(husk_plan_alloc(kPayloadCapacity));
  plan->exec_path = static_cast<char *>(husk_plan_alloc(PATH_MAX));
  plan->scratch = static_cast<char *>(husk_plan_alloc(PATH_MAX * 2));
  return plan;
}

void FreePlan(husk_plan *plan) { husk_plan_memory_free(plan); }

int OpenAbove(const char *path, int flags, int floor) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0 || fd >= floor) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  close(fd);
  return moved;
}

// Opens the namespace files and the exec fifo in the parent, so a bad path is an error here,
// before any process exists. User namespace joins go first.
bool OpenPlanFds(Napi::Env env, const Napi::Object &js, husk_plan *plan) {
  int floor = 3 + plan->preserve_fds;
  std::vector<husk_join> ordered;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < plan->n_joins; i++)
      if ((plan->joins[i].clone_flag == CLONE_NEWUSER) == (pass == 0)) ordered.push_back(plan->joins[i]);
  for (size_t i = 0; i < ordered.size(); i++) {
    plan->joins[i] = ordered[i];
    plan->joins[i].fd = OpenAbove(ordered[i].path, O_RDONLY, floor);
    if (plan->joins[i].fd < 0) {
      int err = errno;
      for (size_t k = 0; k < i; k++) close(plan->joins[k].fd);
      ThrowErrno(env, std::string("opening namespace ") + ordered[i].path, err);
      return false;
    }
  }
  std::string fifo = js.Get("execFifo").IsString() ? js.Get("execFifo").As<Napi::String>().Utf8Value() : "";
  if (!fifo.empty()) {
    // Read-write: the open does not block, and the init's later read waits for `start`.
    plan->exec_fifo_fd = OpenAbove(fifo.c_str(), O_RDWR, floor);
    if (plan->exec_fifo_fd < 0) {
      int err = errno;
      for (int k = 0; k < plan->n_joins; k++) close(plan->joins[k].fd);
      ThrowErrno(env, "opening exec fifo " + fifo, err);
      return false;
    }
  }
  std::string result = js.Get("resultFifo").IsString() ? js.Get("resultFifo").As<Napi::String>().Utf8Value() : "";
  if (!result.empty()) {
    // Read-write too: the init writes into it only if something fails after start.
    plan->result_fifo_fd = OpenAbove(result.c_str(), O_RDWR, floor);
    if (plan->result_fifo_fd < 0) {
      int err = errno;
      for (int k = 0; k < plan->n_joins; k++) close(plan->joins[k].fd);
      if (plan->exec_fifo_fd >= 0) close(plan->exec_fifo_fd);
      ThrowErrno(env, "opening result fifo " + result, err);
      return false;
    }
  }
  return true;
}

// ---- exported functions ----

// What spawnInit and spawnExec return: { stage1Pid, syncFd }.
Napi::Object SpawnResult(Napi::Env env, pid_t stage1, int sync_fd) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("stage1Pid", Napi::Number::New(env, stage1));
  result.Set("syncFd", Napi::Number::New(env, sync_fd));
  return result;
}

// spawnInit/spawnExec's second argument: the container-lock fds husk holds, which a local child
// closes first thing (plan.h close_first_fds). A front end (daemon mode) has none of the worker's
// fds, and names its own.
void TakeLockFdsToClose(Napi::Value fds, husk_plan *plan) {
  plan->n_close_first_fds = 0;
  if (front_end_fd >= 0 || !fds.IsArray()) return;
  Napi::Array list = fds.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length() && plan->n_close_first_fds < HUSK_MAX_CLOSE_FIRST_FDS; i++)
    plan->close_first_fds[plan->n_close_first_fds++] = list.Get(i).As<Napi::Number>().Int32Value();
}

Napi::Value SpawnInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "spawnInit(plan)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object js = info[0].As<Napi::Object>();
  husk_plan *plan = CopyPlan(js);
  if (!OpenPlanFds(env, js, plan)) {
    FreePlan(plan);
    return env.Undefined();
  }
  TakeLockFdsToClose(info[1], plan);
  pid_t stage1 = 0;
  int sync_fd = -1;
  int rc = front_end_fd >= 0 ? husk_remote_spawn(front_end_fd, 1, plan, &stage1, &sync_fd) : husk_spawn_init(plan, &stage1, &sync_fd);
  FreePlan(plan);
  if (rc < 0) return ThrowErrno(env, "clone3", -rc);
  return SpawnResult(env, stage1, sync_fd);
}

Napi::Value SyncRecv(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info[1].As<Napi::Number>().Int32Value();
  struct pollfd p = {fd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return ThrowErrno(env, "poll sync socket", errno);
  Napi::Object result = Napi::Object::New(env);
  if (ready == 0) {
    result.Set("type", Napi::Number::New(env, -1));  // timed out
    result.Set("value", Napi::Number::New(env, 0));
    result.Set("errno", Napi::Number::New(env, 0));
    result.Set("detail", Napi::Number::New(env, -1));
    return result;
  }
  struct husk_sync_msg msg;
  int passed_fd = -1;  // SYNC_SECCOMP_LISTENER carries the listener fd
  int rc = husk_sync_recv_fd(fd, &msg, &passed_fd);
  if (rc == -ECONNRESET) msg = {SYNC_EOF, 0, 0, -1};
  else if (rc < 0) return ThrowErrno(env, "reading sync socket", -rc);
  result.Set("fd", Napi::Number::New(env, passed_fd));
  result.Set("type", Napi::Number::New(env, msg.type));
  result.Set("value", Napi::Number::New(env, msg.value));
  result.Set("errno", Napi::Number::New(env, msg.error));
  result.Set("detail", Napi::Number::New(env, msg.detail));
  return result;
}

Napi::Value SyncSend(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int type = info[1].As<Napi::Number>().Int32Value();
  std::string payload = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  std::string buffer(sizeof(husk_sync_msg), '\0');
  husk_sync_msg msg = {type, 0, 0, -1};
  memcpy(&buffer[0], &msg, sizeof msg);
  buffer += payload;
  ssize_t n;
  do n = send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowErrno(env, "writing sync socket", errno);
  return env.Undefined();
}

// {pid, exitCode, signal}: what waitpid and collect return (exitCode -1 unless it exited).
Napi::Object WaitResult(Napi::Env env, pid_t pid, int exit_code, int signal) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("exitCode", Napi::Number::New(env, exit_code));
  result.Set("signal", Napi::Number::New(env, signal));
  return result;
}

Napi::Value WaitPid(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int flags = info[1].As<Napi::Number>().Int32Value();
  if (front_end_fd >= 0) {
    // The container's processes are the front end's children: it waits for them.
    pid_t got = 0;
    int exit_code = -1, signal = 0;
    int rc = husk_remote_waitpid(front_end_fd, pid, flags, &got, &exit_code, &signal);
    if (rc < 0) return ThrowErrno(env, "waitpid", -rc);
    return WaitResult(env, got, exit_code, signal);
  }
  int status = 0;
  pid_t got;
  do got = waitpid(pid, &status, flags | __WALL);
  while (got < 0 && errno == EINTR);
  if (got < 0) return ThrowErrno(env, "waitpid", errno);
  return WaitResult(env, got, got > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, got > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  long fd = syscall(SYS_pidfd_open, info[0].As<Napi::Number>().Int32Value(), 0);
  if (fd < 0) return ThrowErrno(env, "pidfd_open", errno);
  fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(env, (double)fd);
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) < 0) return ThrowErrno(env, "pidfd_send_signal", errno);
  return env.Undefined();
}

// Waits in the thread pool until the pidfd becomes readable (the process exited).
class PidfdWaiter : public Napi::AsyncWorker {
 public:
  PidfdWaiter(Napi::Env env, int fd) : Napi::AsyncWorker(env), fd_(fd), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    struct pollfd p = {fd_, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  int fd_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value PidfdWait(const Napi::CallbackInfo &info) {
  auto *worker = new PidfdWaiter(info.Env(), info[0].As<Napi::Number>().Int32Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Flock(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = (info[1].ToBoolean().Value() ? LOCK_EX : LOCK_SH) | (info[2].ToBoolean().Value() ? LOCK_NB : 0);
  int rc;
  do rc = flock(fd, op);
  while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  if (rc < 0) return ThrowErrno(env, "flock", errno);
  return Napi::Boolean::New(env, true);
}

Napi::Value Mkfifo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (mkfifo(path.c_str(), (mode_t)info[1].As<Napi::Number>().Uint32Value()) < 0)
    return ThrowErrno(env, "mkfifo " + path, errno);
  return env.Undefined();
}

Napi::Value NamespaceType(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, path, errno);
  int type = ioctl(fd, NS_GET_NSTYPE);
  int err = errno;
  close(fd);
  if (type < 0) return ThrowErrno(env, path + " is not a namespace file", err);
  return Napi::Number::New(env, type);
}

Napi::Value SetChildSubreaper(const Napi::CallbackInfo &info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return ThrowErrno(info.Env(), "PR_SET_CHILD_SUBREAPER", errno);
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// Waits until no process has the fifo open for reading any more (the init exec'd or died):
// poll reports POLLERR on a write end without readers. true when that happened in time.
Napi::Value WaitFifoReadersGone(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct pollfd p = {info[0].As<Napi::Number>().Int32Value(), 0, 0};
  int timeout = info[1].As<Napi::Number>().Int32Value();
  int ready;
  do ready = poll(&p, 1, timeout);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return ThrowErrno(env, "poll exec fifo", errno);
  return Napi::Boolean::New(env, ready > 0);
}

Napi::Value ErrnoText(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), ErrnoName(info[0].As<Napi::Number>().Int32Value()));
}

// seccompFlagsSupported(flags) -> boolean: the kernel accepts these SECCOMP_FILTER_FLAG_* bits.
Napi::Value SeccompFlagsSupported(const Napi::CallbackInfo &info) {
  int rc = husk_seccomp_flags_supported(info[0].As<Napi::Number>().Uint32Value());
  if (rc < 0) return ThrowErrno(info.Env(), "seccomp", -rc);
  return Napi::Boolean::New(info.Env(), rc == 1);
}

// seccompArchKnown(name) -> boolean: this build's libseccomp resolves the architecture name.
Napi::Value SeccompArchKnown(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), husk_seccomp_arch_known(info[0].As<Napi::String>().Utf8Value().c_str()) == 1);
}

// compileSeccomp({defaultAction, architectures, rules, optimize}) -> {program, unknownSyscalls}.
// Runs libseccomp here, in husk, never in the container side (addon/seccomp.h).
Napi::Value CompileSeccomp(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object js = info[0].As<Napi::Object>();
  husk_seccomp_filter filter = {};
  filter.default_action = (uint32_t)NumberOf(js, "defaultAction");
  filter.optimize_binary_tree = BoolOf(js, "optimize");
  Napi::Array arches = ArrayOf(js, "architectures");
  std::vector<std::string> arch_names;
  std::vector<const char *> arch_pointers;
  for (uint32_t i = 0; i < arches.Length(); i++) arch_names.push_back(arches.Get(i).As<Napi::String>().Utf8Value());
  for (const std::string &name : arch_names) arch_pointers.push_back(name.c_str());
  filter.architectures = arch_pointers.data();
  filter.n_architectures = (int)arch_pointers.size();
  Napi::Array rules = ArrayOf(js, "rules");
  std::vector<husk_seccomp_rule> rule_list(rules.Length());
  std::vector<std::string> syscall_names(rules.Length());
  std::vector<std::vector<husk_seccomp_condition>> conditions(rules.Length());
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    syscall_names[i] = r.Get("syscall").As<Napi::String>().Utf8Value();
    Napi::Array conds = ArrayOf(r, "conditions");
    for (uint32_t c = 0; c < conds.Length(); c++) {
      Napi::Object cond = conds.Get(c).As<Napi::Object>();
      conditions[i].push_back({(unsigned)NumberOf(cond, "index"), (int)NumberOf(cond, "op"),
                               ParseU64(cond.Get("value")), ParseU64(cond.Get("valueTwo"))});
    }
    rule_list[i].syscall = syscall_names[i].c_str();
    rule_list[i].action = (uint32_t)NumberOf(r, "action");
    rule_list[i].conditions = conditions[i].data();
    rule_list[i].n_conditions = (int)conditions[i].size();
  }
  filter.rules = rule_list.data();
  filter.n_rules = (int)rule_list.size();
  husk_seccomp_program program;
  int rc = husk_seccomp_compile(&filter, &program);
  if (rc < 0) {
    Napi::Error error = Napi::Error::New(env, "libseccomp: " + ErrnoName(-rc));
    error.Set("errno", Napi::Number::New(env, -rc));
    error.Set("failedRule", Napi::Number::New(env, program.failed_rule));
    error.Set("failedArchitecture", Napi::Number::New(env, program.failed_architecture));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("program", Napi::Buffer<uint8_t>::Copy(env, static_cast<uint8_t *>(program.instructions), program.length * 8));
  free(program.instructions);
  Napi::Array unknown = Napi::Array::New(env);
  for (size_t i = 0; i < rule_list.size(); i++)
    if (rule_list[i].unknown) unknown.Set(unknown.Length(), Napi::Number::New(env, (double)i));
  result.Set("unknownRules", unknown);
  return result;
}

// sendSeccompListener(listenerPath, fd, stateJson): the seccomp agent handover.
Napi::Value SendSeccompListener(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = info[1].As<Napi::Number>().Int32Value();
  std::string state = info[2].As<Napi::String>().Utf8Value();
  int rc = husk_seccomp_send_to_agent(path.c_str(), fd, state.data(), state.size());
  if (rc < 0) return ThrowErrno(env, "sending the seccomp listener to " + path, -rc);
  return env.Undefined();
}

// ---- exec and terminals ----

// The ExecPlan (src/linux/exec-plan.ts): the process fields of a LaunchPlan, the terminal
// fields, and the container to join (nsPidfd, nsFlags, cgroupFd).
husk_plan *CopyExecPlan(const Napi::Object &js) {
  husk_plan *plan = static_cast<husk_plan *>(husk_plan_memory_begin(sizeof(husk_plan)));
  CopyProcess(js, plan);
  CopySecurity(js, plan);
  CopyTerminal(js, plan);
  plan->ns_pidfd = (int)NumberOf(js, "nsPidfd");
  plan->ns_flags = (int)NumberOf(js, "nsFlags");
  Napi::Value root_fd = js.Get("rootFd");
  plan->root_fd = root_fd.IsNumber() ? root_fd.As<Napi::Number>().Int32Value() : -1;
  Napi::Value cgroup_fd = js.Get("cgroupFd");
  plan->cgroup_fd = cgroup_fd.IsNumber() ? cgroup_fd.As<Napi::Number>().Int32Value() : -1;
  plan->exec_fifo_fd = -1;
  plan->result_fifo_fd = -1;
  plan->payload_capacity = 1;
  plan->payload = static_cast<char *>(husk_plan_alloc(1));
  plan->exec_path = static_cast<char *>(husk_plan_alloc(PATH_MAX));
  plan->scratch = static_cast<char *>(husk_plan_alloc(PATH_MAX * 2));
  return plan;
}

Napi::Value SpawnExec(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) {
    Napi::TypeError::New(env, "spawnExec(plan)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  husk_plan *plan = CopyExecPlan(info[0].As<Napi::Object>());
  TakeLockFdsToClose(info[1], plan);
  pid_t stage1 = 0;
  int sync_fd = -1;
  int rc = front_end_fd >= 0 ? husk_remote_spawn(front_end_fd, 0, plan, &stage1, &sync_fd) : husk_spawn_exec(plan, &stage1, &sync_fd);
  FreePlan(plan);
  if (rc < 0) return ThrowErrno(env, "clone3", -rc);
  return SpawnResult(env, stage1, sync_fd);
}

Napi::Value ConsoleConnect(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = husk_unix_connect(path.c_str());
  if (fd < 0) return ThrowErrno(env, "connecting to console socket " + path, -fd);
  return Napi::Number::New(env, fd);
}

// recvFd(socketFd, timeoutMs): {fd, name} of an fd sent with SCM_RIGHTS; null on timeout.
Napi::Value RecvFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int socket_fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info.Length() > 1 ? info[1].As<Napi::Number>().Int32Value() : -1;
  struct pollfd p = {socket_fd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return ThrowErrno(env, "poll console socket", errno);
  if (ready == 0) return env.Null();
  char name[4096];
  int fd = husk_recv_fd(socket_fd, name, sizeof name);
  if (fd < 0) return ThrowErrno(env, "receiving an fd", -fd);
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fd));
  result.Set("name", Napi::String::New(env, name));
  return result;
}

// A connected SOCK_STREAM unix socket pair, both ends close-on-exec: [a, b].
Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return ThrowErrno(env, "socketpair", errno);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, pair[0]));
  result.Set(1u, Napi::Number::New(env, pair[1]));
  return result;
}

// windowSize(fd): {rows, cols} of the terminal behind fd, or null when fd is no terminal.
Napi::Value WindowSize(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct winsize size;
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCGWINSZ, &size) < 0) return env.Null();
  Napi::Object result = Napi::Object::New(env);
  result.Set("rows", Napi::Number::New(env, size.ws_row));
  result.Set("cols", Napi::Number::New(env, size.ws_col));
  return result;
}

Napi::Value SetWindowSize(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  struct winsize size;
  memset(&size, 0, sizeof size);
  size.ws_row = (unsigned short)info[1].As<Napi::Number>().Uint32Value();
  size.ws_col = (unsigned short)info[2].As<Napi::Number>().Uint32Value();
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &size) < 0) return ThrowErrno(env, "TIOCSWINSZ", errno);
  return env.Undefined();
}

// listenUnix(path, backlog = 16): a listening SOCK_STREAM unix socket (console socket
// receivers in tests, husk daemon).
Napi::Value ListenUnix(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int backlog = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 16;
  int fd = husk_unix_listen(path.c_str(), backlog);
  if (fd < 0) return ThrowErrno(env, "listening on " + path, -fd);
  return Napi::Number::New(env, fd);
}

// acceptUnix(listenFd, timeoutMs): a connected fd (close-on-exec), or null on timeout.
Napi::Value AcceptUnix(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int listen_fd = info[0].As<Napi::Number>().Int32Value();
  struct pollfd p = {listen_fd, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, info[1].As<Napi::Number>().Int32Value());
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return ThrowErrno(env, "poll listening socket", errno);
  if (ready == 0) return env.Null();
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, "accept", errno);
  return Napi::Number::New(env, fd);
}

// clearOnlcr(fd): turn off the "\n" -> "\r\n" output translation of the pty behind fd (runc's
// console.ClearONLCR). A terminal attached in raw mode by Node keeps its own OPOST translation.
Napi::Value ClearOnlcr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct termios mode;
  if (tcgetattr(fd, &mode) < 0) return ThrowErrno(env, "tcgetattr", errno);
  mode.c_oflag &= ~(tcflag_t)ONLCR;
  if (tcsetattr(fd, TCSANOW, &mode) < 0) return ThrowErrno(env, "tcsetattr", errno);
  return env.Undefined();
}

// ---- cgroup v2 device filters (addon/bpf.c) ----

Napi::Value ThrowBpf(Napi::Env env, const husk_bpf_error &error, int rc, const std::string &dir) {
  std::string message = std::string(error.step ? error.step : "bpf") + " for " + dir + ": " + ErrnoName(-rc);
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("errno", Napi::Number::New(env, -rc));
  e.Set("code", Napi::String::New(env, strerrorname_np(-rc) ? strerrorname_np(-rc) : "E?"));
  if (error.log && error.log[0]) e.Set("verifierLog", Napi::String::New(env, error.log));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// attachDeviceFilter(cgroupDir, program: Buffer of struct bpf_insn) -> { id, detached }
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> program = info[1].As<Napi::Buffer<uint8_t>>();
  std::vector<char> log(64 * 1024);
  husk_bpf_error error = {nullptr, log.data(), log.size()};
  uint32_t id = 0, detached = 0;
  int rc = husk_attach_device_filter(dir.c_str(), program.Data(), program.Length() / 8, &id, &detached, &error);
  if (rc < 0) return ThrowBpf(env, error, rc, dir);
  Napi::Object result = Napi::Object::New(env);
  result.Set("id", Napi::Number::New(env, id));
  result.Set("detached", Napi::Number::New(env, detached));
  return result;
}

// detachDeviceFilters(cgroupDir) -> number detached
Napi::Value DetachDeviceFilters(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  husk_bpf_error error = {nullptr, nullptr, 0};
  uint32_t detached = 0;
  int rc = husk_detach_device_filters(dir.c_str(), &detached, &error);
  if (rc < 0) return ThrowBpf(env, error, rc, dir);
  return Napi::Number::New(env, detached);
}

// deviceFilters(cgroupDir) -> [{ id, name }] attached directly to the cgroup
Napi::Value DeviceFilters(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  husk_bpf_error error = {nullptr, nullptr, 0};
  husk_bpf_program_info programs[64];
  size_t count = 0;
  int rc = husk_query_device_filters(dir.c_str(), programs, 64, &count, &error);
  if (rc < 0) return ThrowBpf(env, error, rc, dir);
  Napi::Array result = Napi::Array::New(env);
  for (size_t i = 0; i < count && i < 64; i++) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("id", Napi::Number::New(env, programs[i].id));
    p.Set("name", Napi::String::New(env, programs[i].name));
    result.Set((uint32_t)i, p);
  }
  return result;
}

// ---- daemon mode (daemon.c) ----

// A worker's event loop must not be the daemon's (they would share one epoll set): made anew in
// each worker while it still waits for its connection.
uv_loop_t *daemon_loop = nullptr;
void GiveWorkerItsOwnLoop() {
  if (uv_loop_fork(daemon_loop) != 0) _exit(70);
}

// daemonServe(listenFd, buildId, idleMs): the daemon's accept loop. Returns in the daemon only
// when idle or told to stop (false), and in each forked worker with its invocation {argv, env, cwd, callerPid}.
Napi::Value DaemonServe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int listen_fd = info[0].As<Napi::Number>().Int32Value();
  std::string build_id = info[1].As<Napi::String>().Utf8Value();
  int idle_ms = info[2].As<Napi::Number>().Int32Value();
  if (napi_get_uv_event_loop(env, &daemon_loop) != napi_ok) return ThrowErrno(env, "the event loop", EINVAL);
  int connection = husk_daemon_serve(listen_fd, idle_ms, GiveWorkerItsOwnLoop);
  if (connection == -ETIMEDOUT || connection == -ECANCELED) return Napi::Boolean::New(env, false);
  struct timespec accepted;
  clock_gettime(CLOCK_MONOTONIC, &accepted);
  if (connection < 0) return ThrowErrno(env, "serving the daemon socket", -connection);
  husk_invocation invocation;
  int rc = husk_worker_accept(connection, build_id.c_str(), &invocation);
  if (rc != 0) _exit(rc < 0 ? 71 : 0);
  front_end_fd = connection;
  // Best effort: without the thread (it could not be made), a killed front end leaves the worker
  // to finish its command alone, as before.
  husk_worker_watch_front_end(connection);
  Napi::Object result = Napi::Object::New(env);
  Napi::Array argv = Napi::Array::New(env, invocation.argc);
  for (int i = 0; i < invocation.argc; i++) argv.Set(i, Napi::String::New(env, invocation.argv[i]));
  Napi::Array environment = Napi::Array::New(env, invocation.envc);
  for (int i = 0; i < invocation.envc; i++) environment.Set(i, Napi::String::New(env, invocation.envp[i]));
  result.Set("argv", argv);
  result.Set("env", environment);
  result.Set("cwd", Napi::String::New(env, invocation.cwd));
  result.Set("callerPid", Napi::Number::New(env, invocation.caller_pid));
  result.Set("workerPid", Napi::Number::New(env, getpid()));
  free(invocation.argv);
  free(invocation.envp);
  free(invocation.payload);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  result.Set("sinceAcceptMs", Napi::Number::New(env, (now.tv_sec - accepted.tv_sec) * 1e3 + (now.tv_nsec - accepted.tv_nsec) / 1e6));
  return result;
}

// workerFinish(exitCode, fallback): tell the front end and leave (never returns).
Napi::Value WorkerFinish(const Napi::CallbackInfo &info) {
  int code = info[0].As<Napi::Number>().Int32Value();
  bool fallback = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  husk_worker_finish(front_end_fd, fallback ? 1 : 0, code);
}

// forwardSignals(pid): the front end passes the caller's signals on to pid (its child).
Napi::Value ForwardSignals(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int rc = husk_remote_forward_signals(front_end_fd, info[0].As<Napi::Number>().Int32Value());
  if (rc < 0) return ThrowErrno(env, "asking the front end to forward signals", -rc);
  return env.Undefined();
}

// collect(pid): the front end waits for pid (its child) and reports {pid, exitCode, signal}.
Napi::Value Collect(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int exit_code = -1, signal = 0;
  int rc = husk_remote_collect(front_end_fd, pid, &exit_code, &signal);
  if (rc < 0) return ThrowErrno(env, "waiting for the process through the front end", -rc);
  return WaitResult(env, pid, exit_code, signal);
}

// execve(file, argv): `husk daemon` restarting itself with V8 flags of its own.
Napi::Value Execve(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string file = info[0].As<Napi::String>().Utf8Value();
  Napi::Array args = info[1].As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < args.Length(); i++) strings.push_back(args.Get(i).As<Napi::String>().Utf8Value());
  std::vector<char *> argv;
  for (std::string &s : strings) argv.push_back(&s[0]);
  argv.push_back(nullptr);
  // Node leaves 0, 1 and 2 close-on-exec: the new program must keep them.
  for (int fd = 0; fd < 3; fd++) fcntl(fd, F_SETFD, 0);
  execv(file.c_str(), argv.data());
  return ThrowErrno(env, "execve " + file, errno);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("daemonServe", Napi::Function::New(env, DaemonServe));
  exports.Set("workerFinish", Napi::Function::New(env, WorkerFinish));
  exports.Set("forwardSignals", Napi::Function::New(env, ForwardSignals));
  exports.Set("collect", Napi::Function::New(env, Collect));
  exports.Set("execve", Napi::Function::New(env, Execve));
  exports.Set("syncRecv", Napi::Function::New(env, SyncRecv));
  exports.Set("syncSend", Napi::Function::New(env, SyncSend));
  exports.Set("waitpid", Napi::Function::New(env, WaitPid));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pidfdWait", Napi::Function::New(env, PidfdWait));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("namespaceType", Napi::Function::New(env, NamespaceType));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("waitFifoReadersGone", Napi::Function::New(env, WaitFifoReadersGone));
  exports.Set("errnoText", Napi::Function::New(env, ErrnoText));
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp));
  exports.Set("seccompFlagsSupported", Napi::Function::New(env, SeccompFlagsSupported));
  exports.Set("seccompArchKnown", Napi::Function::New(env, SeccompArchKnown));
  exports.Set("sendSeccompListener", Napi::Function::New(env, SendSeccompListener));
  exports.Set("spawnExec", Napi::Function::New(env, SpawnExec));
  exports.Set("consoleConnect", Napi::Function::New(env, ConsoleConnect));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("windowSize", Napi::Function::New(env, WindowSize));
  exports.Set("setWindowSize", Napi::Function::New(env, SetWindowSize));
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix));
  exports.Set("clearOnlcr", Napi::Function::New(env, ClearOnlcr));
  exports.Set("acceptUnix", Napi::Function::New(env, AcceptUnix));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  exports.Set("detachDeviceFilters", Napi::Function::New(env, DetachDeviceFilters));
  exports.Set("deviceFilters", Napi::Function::New(env, DeviceFilters));
  return exports;
}

}  // namespace

NODE_API_MODULE(husk_addon, Init)
