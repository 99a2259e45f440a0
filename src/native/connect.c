/* Batched non-blocking TCP connects for the LVS health checks (keepalived's TCP_CHECK).
 *
 * Why not node:net: a net.Socket per probe (stream wrap, connect request, event emitters,
 * destroy) cost about 55 us of user time per check on the host and about 1 ms under the
 * appliance VM's TCG emulation, 1.7x the CPU of keepalived's checker at 500 checks a second.
 * Here a probe is socket() + connect() + one epoll registration, and every connect finished by a
 * wake-up reaches JS in one buffer.
 *
 * The Socket's fd is an epoll instance, polled by libuv like any socket. Each probe's fd is
 * registered EPOLLOUT | EPOLLONESHOT with (token << 32 | fd) as its data. On delivery its
 * SO_ERROR is read and the fd closed here, so a delivered probe's fd is never JS's to close.
 * No logic: tokens, timeouts and cancels belong to JS (src/kernel/probes/tcp-connect.ts). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

/* Results per delivery (8 bytes each; the receive buffer holds far more). */
#define PROBE_BATCH 1024

static void put_u32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* One "datagram" per wake-up: pairs of little-endian u32 (token, errno; 0 = connected). */
static int prober_recv(sock_t *s, napi_env env, napi_value *argv, size_t *argc) {
  struct epoll_event ev[PROBE_BATCH];
  void *copy;
  int n;
  do
    n = epoll_wait(s->fd, ev, PROBE_BATCH, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  if (n == 0)
    return 0;
  for (int i = 0; i < n; i++) {
    int fd = (int)(uint32_t)ev[i].data.u64;
    int err = 0;
    if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
      /* Only a failed connect needs its reason (EPOLLOUT alone means connected). */
      socklen_t len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
      else if (err == 0)
        err = ECONNRESET; /* connected, then closed before we looked */
    }
    /* A plain close (FIN), as keepalived's TCP_CHECK does. A reset (SO_LINGER 0) would leave no
     * TIME_WAIT here, but the real server's socket then fails with ECONNRESET, and a server that
     * does not handle that error dies of its health check (the lab test's server did). */
    close(fd);
    put_u32le(s->buf + 8 * i, (uint32_t)(ev[i].data.u64 >> 32));
    put_u32le(s->buf + 8 * i + 4, (uint32_t)err);
  }
  napi_create_buffer_copy(env, (size_t)n * 8, s->buf, &copy, &argv[1]);
  *argc = 2;
  return 1;
}

/* openConnectProber() -> Socket: connectProbe(token, address, port), cancelProbe(fd). */
napi_value prober_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "epoll_create1", NULL);
    return NULL;
  }
  return socket_new(env, fd, KIND_PROBER, prober_recv, NULL);
}

/* connectProbe(token, address, port) -> the probe's fd (>= 0) while the connect is under way,
 * or -errno when connect() failed at once (the fd is then closed already). */
napi_value prober_connect(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  int32_t token, port;
  uint32_t addr;
  if (argc < 3 || arg_int(env, argv[0], "token", &token) < 0 || arg_ipv4(env, argv[1], "address", &addr) < 0 ||
      arg_int(env, argv[2], "port", &port) < 0) {
    if (argc < 3)
      throw_type(env, "connectProbe(token, address, port)");
    return NULL;
  }
  if (port < 1 || port > 65535) {
    throw_type(env, "port must be an integer 1..65535");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", NULL);
    return NULL;
  }
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = addr;
  /* Non-blocking: EINTR, like EINPROGRESS, leaves the connect under way (retrying says EALREADY). */
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS && errno != EINTR) {
    int e = errno;
    close(fd);
    return js_int(env, -e);
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLOUT | EPOLLONESHOT;
  ev.data.u64 = ((uint64_t)(uint32_t)token << 32) | (uint32_t)fd;
  if (epoll_ctl(s->fd, EPOLL_CTL_ADD, fd, &ev) < 0)
    return open_failed(env, fd, "epoll_ctl", NULL);
  return js_int(env, fd);
}

/* cancelProbe(fd): closes a probe not yet delivered (closing also leaves the epoll set). */
napi_value prober_cancel(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  int32_t fd;
  (void)s;
  if (argc < 1 || arg_int(env, argv[0], "fd", &fd) < 0) {
    if (argc < 1)
      throw_type(env, "cancelProbe(fd)");
    return NULL;
  }
  if (fd >= 0)
    close(fd);
  return js_undefined(env);
}
