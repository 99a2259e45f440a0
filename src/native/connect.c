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
 * No logic here: tokens, timeouts and cancels belong to JS (src/kernel/probes/tcp-connect.ts).
 * Repeating checks (repeatProbe) are repeat.c's, which says why they are scheduled in C. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repeat.h"
#include "sock.h"

/* Events per epoll_wait, and records per delivery (the receive buffer holds them). */
#define PROBE_BATCH 1024
#define MAX_RECORDS (SOCK_RECV_BUFFER / PROBE_RECORD)

/* Reads the epoll set: handles the repeats' events and timer here, and stages a
 * PROBE_RECORD-byte record (repeat.h) in buf for every plain probe finished and every repeat
 * failed. Records go to JavaScript before the repeats' successes and starts of the same read are
 * handled (repeat.c's header): prober_settle does those once JavaScript has had them. Returns
 * the records staged, or -errno. Called with none staged. */
static int prober_stage(sock_t *s) {
  struct epoll_event ev[PROBE_BATCH];
  repeats_t *rp = s->ext;
  size_t nrec = 0;
  repeats_settle(rp);
  if (!repeats_reports_pending(rp)) {
    /* Read before the events: every connect finished by then is in them, so none is timed out
     * below for having waited to be read. */
    int64_t now = mono_ns();
    int n;
    do {
      do
        n = epoll_wait(s->fd, ev, PROBE_BATCH, 0);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        return -errno;
      /* Failures first (plain probes, the repeats' and the timer's events), successes after. */
      for (int i = 0; i < n; i++) {
        uint64_t data = ev[i].data.u64;
        if (data & REPEAT_BIT) {
          if (data == REPEAT_TIMER_DATA || (ev[i].events & (EPOLLERR | EPOLLHUP)))
            repeats_event(rp, data, ev[i].events, now, 0);
          continue;
        }
        int fd = (int)(uint32_t)data;
        int err = 0;
        if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
          /* Only a failed connect needs its reason (EPOLLOUT alone means connected). */
          socklen_t len = sizeof err;
          if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
          else if (err == 0)
            err = ECONNRESET; /* connected, then closed before we looked */
        }
        /* A plain close (FIN), as keepalived's TCP_CHECK does. A reset (SO_LINGER 0) would leave
         * no TIME_WAIT here, but the real server's socket then fails with ECONNRESET, and a server
         * that does not handle that error dies of its health check (the lab test's server did). */
        close(fd);
        uint8_t *p = s->buf + PROBE_RECORD * nrec++;
        memset(p, 0, PROBE_RECORD);
        put_u32le(p, (uint32_t)(data >> 32));
        put_u32le(p + 4, (uint32_t)err);
      }
      int defer = nrec > 0 || repeats_reports_pending(rp);
      for (int i = 0; i < n; i++) {
        uint64_t data = ev[i].data.u64;
        if ((data & REPEAT_BIT) && data != REPEAT_TIMER_DATA && !(ev[i].events & (EPOLLERR | EPOLLHUP)))
          repeats_event(rp, data, ev[i].events, now, defer);
      }
    } while (n == PROBE_BATCH && nrec + PROBE_BATCH <= MAX_RECORDS);
    if (nrec > 0 || repeats_reports_pending(rp))
      repeats_defer_run(rp, now);
    else
      repeats_run(rp, now);
  }
  nrec += repeats_report(rp, s->buf + PROBE_RECORD * nrec, MAX_RECORDS - nrec, mono_ns());
  s->staged = nrec;
  return (int)nrec;
}

/* The wake-up's last step, once JS has had its records: what waited for them. */
static void prober_settle(sock_t *s) {
  repeats_settle(s->ext);
}

/* The wake-up's first step (outside JS): 0 when it brought JS nothing. */
static int prober_service(sock_t *s) {
  if (s->staged > 0)
    return 1;
  return prober_stage(s) != 0; /* an error goes to JS through prober_recv */
}

/* One "datagram" per wake-up that has news for JS: the staged records. A wake-up with none (a
 * repeat's success, the timer starting repeats) reaches no JavaScript. */
static int prober_recv(sock_t *s, napi_env env, napi_value *argv, size_t *argc) {
  void *copy;
  if (s->staged == 0) {
    int r = prober_stage(s);
    if (r <= 0)
      return r;
  }
  napi_create_buffer_copy(env, s->staged * PROBE_RECORD, s->buf, &copy, &argv[1]);
  s->staged = 0;
  *argc = 2;
  return 1;
}

/* openConnectProber({gridMs}) -> Socket: connectProbe, cancelProbe, repeatProbe, cancelRepeat,
 * repeatStats. gridMs: repeats start on this grid (default 1). */
napi_value prober_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  int32_t grid = 1;
  sock_t *s;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (opt_int(env, argc > 0 ? argv[0] : NULL, "gridMs", &grid) < 0)
    return NULL;
  if (grid < 1 || grid > 1000) {
    throw_type(env, "gridMs must be an integer 1..1000");
    return NULL;
  }
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "epoll_create1", NULL);
    return NULL;
  }
  repeats_t *rp = repeats_new(fd, grid);
  if (rp == NULL)
    return open_failed(env, fd, "timerfd_create", NULL);
  napi_value obj = socket_new(env, fd, KIND_PROBER, prober_recv, &s);
  if (obj == NULL) {
    repeats_free(rp);
    return NULL;
  }
  s->ext = rp;
  s->ext_free = repeats_free;
  s->service = prober_service;
  s->after = prober_settle;
  return obj;
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

/* repeatProbe(token, address, port, delayMs, intervalMs, timeoutMs) -> a handle: connects to
 * address:port delayMs from now and then every intervalMs on that grid, each connect failing after
 * timeoutMs, until one fails (a record to JS) or cancelRepeat(handle, token). */
napi_value prober_repeat(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  int32_t token, port, delay, interval, timeout;
  uint32_t addr;
  if (argc < 6) {
    throw_type(env, "repeatProbe(token, address, port, delayMs, intervalMs, timeoutMs)");
    return NULL;
  }
  if (arg_int(env, argv[0], "token", &token) < 0 || arg_ipv4(env, argv[1], "address", &addr) < 0 ||
      arg_int(env, argv[2], "port", &port) < 0 || arg_int(env, argv[3], "delayMs", &delay) < 0 ||
      arg_int(env, argv[4], "intervalMs", &interval) < 0 || arg_int(env, argv[5], "timeoutMs", &timeout) < 0)
    return NULL;
  if (token < 1) {
    throw_type(env, "token must be an integer 1..2^31-1");
    return NULL;
  }
  if (port < 1 || port > 65535) {
    throw_type(env, "port must be an integer 1..65535");
    return NULL;
  }
  if (interval < 1 || timeout < 1) {
    throw_type(env, "intervalMs and timeoutMs must be positive");
    return NULL;
  }
  int h = repeats_add(s->ext, (uint32_t)token, addr, (uint16_t)port, (int64_t)delay * 1000000, (int64_t)interval * 1000000,
                      (int64_t)timeout * 1000000);
  if (h < 0) {
    throw_errno(env, -h, "repeatProbe", NULL);
    return NULL;
  }
  return js_int(env, h);
}

/* cancelRepeat(handle, token): ends the repeat if it is still token's (else nothing). */
napi_value prober_cancel_repeat(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  int32_t h, token;
  if (argc < 2 || arg_int(env, argv[0], "handle", &h) < 0 || arg_int(env, argv[1], "token", &token) < 0) {
    if (argc < 2)
      throw_type(env, "cancelRepeat(handle, token)");
    return NULL;
  }
  if (h >= 0)
    repeats_cancel(s->ext, (uint32_t)h, (uint32_t)token);
  return js_undefined(env);
}

/* repeatStats(handle, token) -> [successes, ms since the last success or -1], or undefined
 * when the repeat is no longer token's. */
napi_value prober_repeat_stats(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  int32_t h, token;
  uint32_t successes;
  int64_t last_ok;
  napi_value out, v;
  if (argc < 2 || arg_int(env, argv[0], "handle", &h) < 0 || arg_int(env, argv[1], "token", &token) < 0) {
    if (argc < 2)
      throw_type(env, "repeatStats(handle, token)");
    return NULL;
  }
  if (h < 0 || repeats_stats(s->ext, (uint32_t)h, (uint32_t)token, &successes, &last_ok) < 0)
    return js_undefined(env);
  napi_create_array_with_length(env, 2, &out);
  napi_create_uint32(env, successes, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, last_ok == 0 ? -1.0 : (double)(mono_ns() - last_ok) / 1e6, &v);
  napi_set_element(env, out, 1, v);
  return out;
}
