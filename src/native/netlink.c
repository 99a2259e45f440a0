/* AF_NETLINK sockets: open + bind (the kernel assigns our port id), send to the kernel, group
 * membership, and receive with the sender's port id and the multicast group (NETLINK_PKTINFO). */
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* callback(null, data, senderPortId, group): group is 0 for unicast (replies to us). */
static int netlink_recv(sock_t *s, napi_env env, napi_value *argv, size_t *argc) {
  struct sockaddr_nl from;
  char control[CMSG_SPACE(sizeof(struct nl_pktinfo))];
  struct iovec iov = {.iov_base = s->buf, .iov_len = SOCK_RECV_BUFFER};
  struct msghdr msg = {
    .msg_name = &from, .msg_namelen = sizeof from,
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control, .msg_controllen = sizeof control,
  };
  ssize_t n;
  uint32_t group = 0;
  void *copy;

  int r = recv_msg(s->fd, &msg, &n);
  if (r <= 0)
    return r;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_PKTINFO) {
      struct nl_pktinfo info;
      memcpy(&info, CMSG_DATA(c), sizeof info);
      group = info.group;
    }
  }
  napi_create_buffer_copy(env, (size_t)n, s->buf, &copy, &argv[1]);
  argv[2] = js_int(env, from.nl_pid);
  argv[3] = js_int(env, group);
  *argc = 4;
  return 1;
}

/* openNetlink(protocol, {rcvbuf?, noEnobufs?}) -> Socket with .portId */
napi_value netlink_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], obj;
  int32_t protocol, rcvbuf = 0;
  int no_enobufs = 0, has_rcvbuf, has_no_enobufs;
  struct sockaddr_nl addr;
  socklen_t addrlen = sizeof addr;
  int fd;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (arg_int(env, argc > 0 ? argv[0] : NULL, "protocol", &protocol) < 0)
    return NULL;
  napi_value opts = argc > 1 ? argv[1] : NULL;
  if ((has_rcvbuf = opt_int(env, opts, "rcvbuf", &rcvbuf)) < 0 ||
      (has_no_enobufs = opt_bool(env, opts, "noEnobufs", &no_enobufs)) < 0)
    return NULL;

  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "AF_NETLINK");
    return NULL;
  }
  if (has_rcvbuf && rcvbuf > 0) {
    /* SO_RCVBUFFORCE passes rmem_max (needs CAP_NET_ADMIN); fall back to the capped one. */
    if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf) < 0 &&
        (errno != EPERM || set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf) < 0)) {
      int e = errno;
      close(fd);
      throw_errno(env, e, "setsockopt", "SO_RCVBUF");
      return NULL;
    }
  }
  if (has_no_enobufs && no_enobufs && set_int(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "setsockopt", "NETLINK_NO_ENOBUFS");
    return NULL;
  }
  /* The receive callback reports the multicast group of each datagram. */
  if (set_int(fd, SOL_NETLINK, NETLINK_PKTINFO, 1) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "setsockopt", "NETLINK_PKTINFO");
    return NULL;
  }
  memset(&addr, 0, sizeof addr);
  addr.nl_family = AF_NETLINK;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &addrlen) < 0)
    return open_failed(env, fd, "bind", "AF_NETLINK");
  obj = socket_new(env, fd, KIND_NETLINK, netlink_recv, NULL);
  if (obj == NULL)
    return NULL;
  napi_property_descriptor port = {"portId", NULL, NULL, NULL, NULL, js_int(env, addr.nl_pid), napi_enumerable, NULL};
  napi_define_properties(env, obj, 1, &port);
  return obj;
}

napi_value netlink_send(napi_env env, sock_t *s, const uint8_t *data, size_t len) {
  struct sockaddr_nl to;
  memset(&to, 0, sizeof to);
  to.nl_family = AF_NETLINK; /* nl_pid 0: the kernel */
  return send_to(env, s->fd, data, len, &to, sizeof to);
}

napi_value netlink_membership(napi_env env, sock_t *s, size_t argc, napi_value *argv, int join) {
  int32_t group;
  if (arg_int(env, argc > 0 ? argv[0] : NULL, "group", &group) < 0)
    return NULL;
  if (set_int(s->fd, SOL_NETLINK, join ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, group) < 0) {
    throw_errno(env, errno, "setsockopt", join ? "NETLINK_ADD_MEMBERSHIP" : "NETLINK_DROP_MEMBERSHIP");
    return NULL;
  }
  return js_undefined(env);
}
