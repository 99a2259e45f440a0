/* The JS Socket object shared by all kinds: lifetime, libuv polling, delivery of received
 * datagrams to one JS callback, and the methods common to every kind.
 *
 * Lifetime: the C struct is owned jointly by the JS wrapper (finalizer), the uv_poll handle
 * (close callback) and the env's async cleanup hook (held until the handle has closed, so env
 * teardown waits for it); it is freed when all are gone. While a receive callback is registered
 * the wrapper is held strongly, so a receiving socket is not collected; the poll handle is
 * active only then, so an idle socket never keeps the event loop alive. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

typedef struct {
  napi_ref ctor;
} addon_data;

static void maybe_free(sock_t *s) {
  if (s->wrapper_gone && (!s->poll_inited || s->poll_closed) && s->cleanup == NULL)
    free(s);
}

/* The handle (if any) is closed: nothing of ours can run from the loop any more. */
static void release_cleanup_hook(sock_t *s) {
  if (s->cleanup != NULL && (!s->poll_inited || s->poll_closed)) {
    napi_async_cleanup_hook_handle h = s->cleanup;
    s->cleanup = NULL;
    napi_remove_async_cleanup_hook(h);
  }
}

static void on_poll_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  s->poll_closed = 1;
  release_cleanup_hook(s);
  maybe_free(s);
}

/* Drops the JS receive callback. js_ok: we are in a JS-capable context (not GC/teardown). */
static void drop_receiver(sock_t *s, napi_env env, int js_ok) {
  if (s->polling) {
    uv_poll_stop(&s->poll);
    s->polling = 0;
  }
  if (s->callback != NULL) {
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
    if (js_ok) {
      uint32_t count;
      if (s->in_poll)
        s->actx_to_destroy = s->actx; /* on_poll's callback scope still uses it */
      else
        napi_async_destroy(env, s->actx);
      napi_reference_unref(env, s->self, &count);
    }
    s->actx = NULL;
  }
}

static void close_internal(sock_t *s, napi_env env, int js_ok) {
  drop_receiver(s, env, js_ok);
  if (s->ext != NULL) {
    s->ext_free(s->ext);
    s->ext = NULL;
  }
  if (s->poll_inited && !s->poll_closing) {
    s->poll_closing = 1;
    /* uv_close unregisters the fd from epoll right away, so closing the fd after it is safe. */
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  free(s->buf);
  s->buf = NULL;
  release_cleanup_hook(s);
}

/* Environment teardown: close fd and handle; teardown completes when the handle has closed. */
static void async_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  sock_t *s = arg;
  (void)handle;
  close_internal(s, s->env, 0);
}

static void finalize(napi_env env, void *data, void *hint) {
  sock_t *s = data;
  (void)hint;
  close_internal(s, env, 0);
  if (s->self != NULL) {
    napi_delete_reference(env, s->self);
    s->self = NULL;
  }
  s->wrapper_gone = 1;
  maybe_free(s);
}

/* Calls the JS callback; on a throw, reports it as uncaught (like an event handler that throws)
 * and returns -1 so the batch stops. */
static int call_js(napi_env env, napi_value self, napi_value cb, size_t argc, napi_value *argv) {
  napi_value result;
  if (napi_call_function(env, self, cb, argc, argv, &result) == napi_ok)
    return 0;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  return -1;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  napi_env env = s->env;
  napi_handle_scope hscope;
  napi_callback_scope cscope;
  napi_value self, cb, argv[SOCK_MAX_ARGS];
  (void)events;

  if (s->callback == NULL)
    return;
  /* A wake-up handled in C (a repeat's connect, its timer) costs no JS scope. */
  if (status >= 0 && s->service != NULL && s->service(s) == 0)
    return;
  napi_open_handle_scope(env, &hscope);
  s->in_poll = 1;
  napi_get_reference_value(env, s->self, &self);
  napi_get_reference_value(env, s->callback, &cb);
  /* One callback scope per wake-up: promise jobs and nextTicks run once the batch is done. */
  napi_open_callback_scope(env, self, s->actx, &cscope);

  if (status < 0) {
    /* libuv reports POLLERR as EBADF and stops the handle. On a socket that means a pending
     * socket error (netlink receive overrun sets ENOBUFS this way): fetch it, deliver it, and
     * keep polling. Only a real failure of the fd ends polling. */
    int soerr = 0;
    socklen_t len = sizeof soerr;
    int ok = getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0;
    if (ok && soerr != 0) {
      uv_poll_start(&s->poll, UV_READABLE, on_poll);
      argv[0] = errno_error(env, soerr, "recvmsg", NULL);
    } else {
      s->polling = 0;
      argv[0] = errno_error(env, ok ? -status : errno, "poll", NULL);
    }
    if (call_js(env, self, cb, 1, argv) < 0 || !s->polling)
      goto done;
  }

  for (int n = 0; n < SOCK_RECV_BATCH && s->fd >= 0 && s->callback != NULL; n++) {
    size_t argc = 1;
    int r = s->recv_one(s, env, argv, &argc);
    if (r == 0)
      break;
    if (r < 0) {
      argv[0] = errno_error(env, -r, "recvmsg", NULL);
      argc = 1;
    } else {
      napi_get_null(env, &argv[0]);
    }
    /* The callback may close the socket or stop receiving; the loop condition re-checks. */
    napi_get_reference_value(env, s->callback, &cb);
    if (call_js(env, self, cb, argc, argv) < 0)
      break;
  }

done:
  napi_close_callback_scope(env, cscope);
  s->in_poll = 0;
  if (s->actx_to_destroy != NULL) {
    napi_async_destroy(env, s->actx_to_destroy);
    s->actx_to_destroy = NULL;
  }
  napi_close_handle_scope(env, hscope);
  /* The callback may have closed the socket: ext is gone then. */
  if (s->after != NULL && s->ext != NULL)
    s->after(s);
}

napi_value socket_new(napi_env env, int fd, sock_kind kind, sock_recv_fn recv_one, sock_t **out) {
  addon_data *data;
  napi_value ctor, obj;
  sock_t *s;

  napi_get_instance_data(env, (void **)&data);
  napi_get_reference_value(env, data->ctor, &ctor);
  s = calloc(1, sizeof *s);
  if (s != NULL)
    s->buf = malloc(SOCK_RECV_BUFFER);
  if (s == NULL || s->buf == NULL) {
    if (s != NULL)
      free(s);
    close(fd);
    throw_errno(env, ENOMEM, "malloc", NULL);
    return NULL;
  }
  s->fd = fd;
  s->kind = kind;
  s->recv_one = recv_one;
  s->env = env;
  if (napi_new_instance(env, ctor, 0, NULL, &obj) != napi_ok ||
      napi_wrap(env, obj, s, finalize, NULL, &s->self) != napi_ok) {
    free(s->buf);
    free(s);
    close(fd);
    return NULL;
  }
  napi_add_async_cleanup_hook(env, async_cleanup, s, &s->cleanup);
  if (out != NULL)
    *out = s;
  return obj;
}

sock_t *socket_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, int allow_closed) {
  napi_value self;
  sock_t *s = NULL;
  size_t zero = 0;
  if (napi_get_cb_info(env, info, argc != NULL ? argc : &zero, argv, &self, NULL) != napi_ok)
    return NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || s == NULL) {
    throw_type(env, "this is not a stockade Socket");
    return NULL;
  }
  if (!allow_closed && s->fd < 0) {
    throw_errno(env, EBADF, "socket", "socket is closed");
    return NULL;
  }
  return s;
}

/* new Socket() from JS gives an inert object; sockets come from the open* functions. */
static napi_value ctor_cb(napi_env env, napi_callback_info info) {
  napi_value self;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  return self;
}

/* recvStart(callback): deliver each received datagram as callback(null, data, ...details), and
 * each receive error (e.g. ENOBUFS) as callback(err). Replaces a previous callback. */
static napi_value m_recv_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, name;
  napi_valuetype t;
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL)
    return NULL;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    throw_type(env, "callback must be a function");
    return NULL;
  }
  if (s->callback != NULL) {
    /* Replace the callback; restart polling if a poll error had stopped it. */
    napi_delete_reference(env, s->callback);
    napi_create_reference(env, argv[0], 1, &s->callback);
    if (!s->polling) {
      int r = uv_poll_start(&s->poll, UV_READABLE, on_poll);
      if (r < 0) {
        throw_errno(env, -r, "uv_poll_start", NULL);
        return NULL;
      }
      s->polling = 1;
    }
    return js_undefined(env);
  }
  if (!s->poll_inited) {
    uv_loop_t *loop;
    int r;
    napi_get_uv_event_loop(env, &loop);
    r = uv_poll_init_socket(loop, &s->poll, s->fd);
    if (r < 0) {
      throw_errno(env, -r, "uv_poll_init", NULL);
      return NULL;
    }
    s->poll.data = s;
    s->poll_inited = 1;
    if (s->unrefed)
      uv_unref((uv_handle_t *)&s->poll);
  }
  int r = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (r < 0) {
    throw_errno(env, -r, "uv_poll_start", NULL);
    return NULL;
  }
  s->polling = 1;
  napi_create_reference(env, argv[0], 1, &s->callback);
  napi_get_reference_value(env, s->self, &self);
  napi_create_string_utf8(env, "StockadeSocket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &s->actx);
  uint32_t count;
  napi_reference_ref(env, s->self, &count);
  return js_undefined(env);
}

/* recvStop(): no more callbacks; the socket stays open and queues datagrams in the kernel. */
static napi_value m_recv_stop(napi_env env, napi_callback_info info) {
  sock_t *s = socket_this(env, info, NULL, NULL, 1);
  if (s == NULL)
    return NULL;
  drop_receiver(s, env, 1);
  return js_undefined(env);
}

/* ref()/unref(): like Node handles; unref() lets the process exit while receiving. */
static napi_value set_ref(napi_env env, napi_callback_info info, int unrefed) {
  sock_t *s = socket_this(env, info, NULL, NULL, 1);
  if (s == NULL)
    return NULL;
  s->unrefed = unrefed;
  if (s->poll_inited && !s->poll_closing) {
    if (unrefed)
      uv_unref((uv_handle_t *)&s->poll);
    else
      uv_ref((uv_handle_t *)&s->poll);
  }
  return js_undefined(env);
}

static napi_value m_ref(napi_env env, napi_callback_info info) { return set_ref(env, info, 0); }
static napi_value m_unref(napi_env env, napi_callback_info info) { return set_ref(env, info, 1); }

/* close(): idempotent. */
static napi_value m_close(napi_env env, napi_callback_info info) {
  sock_t *s = socket_this(env, info, NULL, NULL, 1);
  if (s == NULL)
    return NULL;
  close_internal(s, env, 1);
  return js_undefined(env);
}

/* send(data): netlink to the kernel; packet SOCK_RAW a whole frame on the bound interface.
 * Returns the byte count; throws (e.g. EAGAIN when the send buffer is full). */
static napi_value m_send(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  const uint8_t *data;
  size_t len;
  ssize_t n;
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL || arg_bytes(env, argc > 0 ? argv[0] : NULL, "data", &data, &len) < 0)
    return NULL;
  if (s->kind == KIND_NETLINK)
    return netlink_send(env, s, data, len);
  do
    n = send(s->fd, data, len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw_errno(env, errno, "send", NULL);
    return NULL;
  }
  return js_int(env, n);
}

/* sendTo(data, dest[, source]): raw IPv4 to a dotted-quad address (optional source address);
 * packet sockets to a 6-byte MAC address; UDP (data, address, port). */
static napi_value m_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL)
    return NULL;
  if (s->kind == KIND_RAWIP)
    return rawip_send_to(env, s, argc, argv);
  if (s->kind == KIND_PACKET)
    return packet_send_to(env, s, argc, argv);
  if (s->kind == KIND_UDP)
    return udp_send_to(env, s, argc, argv);
  throw_errno(env, EOPNOTSUPP, "sendto", "netlink sockets use send()");
  return NULL;
}

static napi_value membership(napi_env env, napi_callback_info info, int join) {
  size_t argc = 2;
  napi_value argv[2];
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL)
    return NULL;
  if (s->kind == KIND_NETLINK)
    return netlink_membership(env, s, argc, argv, join);
  if (s->kind == KIND_RAWIP)
    return rawip_membership(env, s, argc, argv, join);
  throw_errno(env, EOPNOTSUPP, "setsockopt", "only netlink and raw IPv4 sockets have memberships here");
  return NULL;
}

/* addMembership(group) on netlink (group number); addMembership(groupAddr, ifindex) on raw IPv4. */
static napi_value m_add_membership(napi_env env, napi_callback_info info) { return membership(env, info, 1); }
static napi_value m_drop_membership(napi_env env, napi_callback_info info) { return membership(env, info, 0); }

/* setOption(level, name, value) / getOption(level, name): integer socket options. */
static napi_value m_set_option(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t level, name, value;
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL || argc < 3 || arg_int(env, argv[0], "level", &level) < 0 ||
      arg_int(env, argv[1], "name", &name) < 0 || arg_int(env, argv[2], "value", &value) < 0) {
    if (s != NULL && argc < 3)
      throw_type(env, "setOption(level, name, value) needs three integers");
    return NULL;
  }
  int v = value;
  if (setsockopt(s->fd, level, name, &v, sizeof v) < 0) {
    throw_errno(env, errno, "setsockopt", NULL);
    return NULL;
  }
  return js_undefined(env);
}

static napi_value m_get_option(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t level, name;
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL || argc < 2 || arg_int(env, argv[0], "level", &level) < 0 ||
      arg_int(env, argv[1], "name", &name) < 0) {
    if (s != NULL && argc < 2)
      throw_type(env, "getOption(level, name) needs two integers");
    return NULL;
  }
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(s->fd, level, name, &v, &len) < 0) {
    throw_errno(env, errno, "getsockopt", NULL);
    return NULL;
  }
  return js_int(env, v);
}

/* Connect probers only (connect.c): connectProbe, cancelProbe, repeatProbe, cancelRepeat, repeatStats. */
typedef napi_value (*prober_fn)(napi_env env, sock_t *s, size_t argc, napi_value *argv);

static napi_value prober_method(napi_env env, napi_callback_info info, prober_fn fn) {
  size_t argc = 6;
  napi_value argv[6];
  sock_t *s = socket_this(env, info, &argc, argv, 0);
  if (s == NULL)
    return NULL;
  if (s->kind != KIND_PROBER) {
    throw_errno(env, EOPNOTSUPP, "connect", "only connect probers make probes");
    return NULL;
  }
  return fn(env, s, argc, argv);
}

static napi_value m_connect_probe(napi_env env, napi_callback_info info) { return prober_method(env, info, prober_connect); }
static napi_value m_cancel_probe(napi_env env, napi_callback_info info) { return prober_method(env, info, prober_cancel); }
static napi_value m_repeat_probe(napi_env env, napi_callback_info info) { return prober_method(env, info, prober_repeat); }
static napi_value m_cancel_repeat(napi_env env, napi_callback_info info) { return prober_method(env, info, prober_cancel_repeat); }
static napi_value m_repeat_stats(napi_env env, napi_callback_info info) { return prober_method(env, info, prober_repeat_stats); }

static napi_value g_fd(napi_env env, napi_callback_info info) {
  sock_t *s = socket_this(env, info, NULL, NULL, 1);
  return s == NULL ? NULL : js_int(env, s->fd);
}

static napi_value g_closed(napi_env env, napi_callback_info info) {
  napi_value v;
  sock_t *s = socket_this(env, info, NULL, NULL, 1);
  if (s == NULL)
    return NULL;
  napi_get_boolean(env, s->fd < 0, &v);
  return v;
}

static void free_addon_data(napi_env env, void *data, void *hint) {
  addon_data *d = data;
  (void)hint;
  napi_delete_reference(env, d->ctor);
  free(d);
}

int socket_class_init(napi_env env, napi_value exports) {
  (void)exports;
  napi_property_descriptor props[] = {
    {"recvStart", NULL, m_recv_start, NULL, NULL, NULL, napi_default_method, NULL},
    {"recvStop", NULL, m_recv_stop, NULL, NULL, NULL, napi_default_method, NULL},
    {"ref", NULL, m_ref, NULL, NULL, NULL, napi_default_method, NULL},
    {"unref", NULL, m_unref, NULL, NULL, NULL, napi_default_method, NULL},
    {"close", NULL, m_close, NULL, NULL, NULL, napi_default_method, NULL},
    {"send", NULL, m_send, NULL, NULL, NULL, napi_default_method, NULL},
    {"sendTo", NULL, m_send_to, NULL, NULL, NULL, napi_default_method, NULL},
    {"addMembership", NULL, m_add_membership, NULL, NULL, NULL, napi_default_method, NULL},
    {"dropMembership", NULL, m_drop_membership, NULL, NULL, NULL, napi_default_method, NULL},
    {"setOption", NULL, m_set_option, NULL, NULL, NULL, napi_default_method, NULL},
    {"getOption", NULL, m_get_option, NULL, NULL, NULL, napi_default_method, NULL},
    {"connectProbe", NULL, m_connect_probe, NULL, NULL, NULL, napi_default_method, NULL},
    {"cancelProbe", NULL, m_cancel_probe, NULL, NULL, NULL, napi_default_method, NULL},
    {"repeatProbe", NULL, m_repeat_probe, NULL, NULL, NULL, napi_default_method, NULL},
    {"cancelRepeat", NULL, m_cancel_repeat, NULL, NULL, NULL, napi_default_method, NULL},
    {"repeatStats", NULL, m_repeat_stats, NULL, NULL, NULL, napi_default_method, NULL},
    {"fd", NULL, NULL, g_fd, NULL, NULL, napi_enumerable, NULL},
    {"closed", NULL, NULL, g_closed, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value ctor;
  addon_data *d = calloc(1, sizeof *d);
  if (d == NULL)
    return -1;
  if (napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, ctor_cb, NULL, sizeof props / sizeof props[0],
                        props, &ctor) != napi_ok) {
    free(d);
    return -1;
  }
  napi_create_reference(env, ctor, 1, &d->ctor);
  napi_set_instance_data(env, d, free_addon_data, NULL);
  return 0;
}
