{
  "targets": [
    {
      "target_name": "husk_addon",
      "sources": [
        "addon/binding.cc",
        "addon/clone.c",
        "addon/namespaces.c",
        "addon/mounts.c",
        "addon/copyup.c",
        "addon/devices.c",
        "addon/process.c",
        "addon/sync.c",
        "addon/util.c",
        "addon/resolve.c",
        "addon/console.c",
        "addon/exec.c",
        "addon/caps.c",
        "addon/keyring.c",
        "addon/seccomp.c",
        "addon/seccomp-compile.c",
        "addon/attributes.c",
        "addon/bpf.c",
        "addon/memory.c",
        "addon/daemon.c",
        "addon/frames.c",
        "addon/plan-wire.c"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-fno-strict-aliasing"],
      "cflags_cc": ["-std=c++17", "-Wall", "-O2", "-fno-exceptions"],
      "libraries": ["-lseccomp"],
      "ldflags": ["-Wl,-z,now"]
    }
  ]
}
