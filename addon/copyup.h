#ifndef HUSK_COPYUP_H
#define HUSK_COPYUP_H

/* The `tmpcopyup` mount option (a runc extension Podman uses for --tmpfs and --read-only): copy
 * the tree under the directory `src` (what the image had at the mount destination, reached
 * through an fd opened before the tmpfs covered it) into the directory `dst` (the new tmpfs).
 * Regular files, directories, symlinks, fifos and device nodes, with their owner, mode and
 * times; sockets are skipped. Async-signal-safe: no allocation, buffers on the stack, `link`
 * (PATH_MAX bytes) for symlink targets. Returns 0 or -errno. */
int husk_copy_tree(int src, int dst, char *link);

#endif
