/* Credentials of the process at the other end of a connected unix socket (SO_PEERCRED, and its
 * supplementary groups with SO_PEERGROUPS): the control socket's access check. Sockets only: the
 * fd belongs to Node's net.Socket, this only asks the kernel about it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sock.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* More supplementary groups than this are not looked at (NGROUPS_MAX is 65536; a box has few). */
#define PEER_GROUPS_MAX 256

napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, groups;
  int32_t fd;
  struct ucred cred;
  socklen_t len = sizeof cred;
  gid_t gids[PEER_GROUPS_MAX];
  socklen_t glen = sizeof gids;
  uint32_t n = 0;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (arg_int(env, argc > 0 ? argv[0] : NULL, "fd", &fd) < 0)
    return NULL;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    throw_errno(env, errno, "getsockopt", "SO_PEERCRED");
    return NULL;
  }
  /* ERANGE: more groups than we look at; ENOPROTOOPT: a kernel before 4.13. Either way only the
   * primary group counts, which can only refuse more, never admit more. */
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &glen) == 0)
    n = glen / sizeof gids[0];
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "pid", js_int(env, cred.pid));
  napi_set_named_property(env, out, "uid", js_int(env, cred.uid));
  napi_set_named_property(env, out, "gid", js_int(env, cred.gid));
  napi_create_array_with_length(env, n, &groups);
  for (uint32_t i = 0; i < n; i++)
    napi_set_element(env, groups, i, js_int(env, gids[i]));
  napi_set_named_property(env, out, "groups", groups);
  return out;
}
