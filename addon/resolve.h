/* Resolving container paths inside the rootfs without ever leaving it: every lookup goes through
 * openat2(RESOLVE_IN_ROOT) on an fd of the rootfs, so a symlink (or a path swapped during setup)
 * that points outside resolves inside instead (the CVE-2021-30465 class). */
#ifndef HUSK_RESOLVE_H
#define HUSK_RESOLVE_H

/* O_PATH fd of `path` (absolute container path) under root_fd, or -errno. */
int husk_open_in_root(int root_fd, const char *path, int extra_flags);
/* Like husk_open_in_root, but no symlink at all is followed (ELOOP), in any component: for paths
 * that must be exactly where the config says (masked and read-only paths, /dev/null). */
int husk_open_in_root_no_symlinks(int root_fd, const char *path);
/* Like husk_open_in_root, creating missing directories (0755) on the way; when
 * `create_file` is set the last component is created as an empty regular file if missing.
 * `scratch` must hold PATH_MAX bytes. Returns an O_PATH fd or -errno. */
int husk_create_in_root(int root_fd, const char *path, int create_file, char *scratch);
/* O_PATH fd of the parent directory of `path` (created if missing); *name points at the last
 * component inside `scratch`. Returns fd or -errno. */
int husk_open_parent_in_root(int root_fd, const char *path, char *scratch, const char **name);

#endif
