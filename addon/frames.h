/* Frames of the daemon protocol (daemon-protocol.h) over a SOCK_STREAM unix socket. */
#ifndef HUSK_FRAMES_H
#define HUSK_FRAMES_H

#include <stddef.h>
#include "daemon-protocol.h"

/* Send one frame: the header with `fds` attached, then `payload`. 0 or -errno. */
int husk_frame_send(int socket_fd, uint32_t type, int32_t a, int32_t b, int32_t c, const void *payload, size_t length,
                    const int *fds, int n_fds);
/* Receive one frame, waiting up to timeout_ms (-1: forever). *payload is malloc'd, NUL-terminated
 * one byte past its length (NULL when empty; the caller frees it). Up to HUSK_FRAME_MAX_FDS
 * attached fds (close-on-exec) go to fds and their count to header->n_fds. 0, -ECONNRESET when the
 * peer closed the connection, -ETIMEDOUT, or another -errno. */
int husk_frame_recv(int socket_fd, struct husk_frame *header, char **payload, int *fds, int timeout_ms);

#endif
