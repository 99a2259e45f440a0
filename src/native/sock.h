/* Shared declarations of the stockade addon: one JS Socket object per fd, five kinds
 * (netlink, raw IPv4, packet, UDP, TCP connect prober) that differ only in how they open, send and receive.
 * The addon holds no protocol logic: framing and codecs live in src/kernel/ (TypeScript). The one
 * scheduler, the connect prober's repeating TCP checks, is repeat.c's, which says why. */
#ifndef STOCKADE_SOCK_H
#define STOCKADE_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <node_api.h>
#include <uv.h>


/* Largest datagram we accept: an IPv4 packet's maximum; netlink dump skbs are at most 32 KiB. */
#define SOCK_RECV_BUFFER 65536
/* Datagrams delivered per poll wake-up before yielding to the loop; the poll is level-triggered,
 * so anything left is delivered on the next iteration (timers get to run in between). */
#define SOCK_RECV_BATCH 256
/* Most JS arguments a receive callback gets (err, data, and up to four details). */
#define SOCK_MAX_ARGS 6

typedef enum { KIND_NETLINK = 1, KIND_RAWIP = 2, KIND_PACKET = 3, KIND_UDP = 4, KIND_PROBER = 5 } sock_kind;

typedef struct sock_s sock_t;

/* Receives one datagram without blocking. Returns 1 and fills argv[1..] / *argc (argv[0], the
 * error slot, is filled by the caller) when a datagram was read, 0 when none is queued
 * (EAGAIN), or -errno for an error to deliver to JS. */
typedef int (*sock_recv_fn)(sock_t *s, napi_env env, napi_value *argv, size_t *argc);

struct sock_s {
  int fd;
  sock_kind kind;
  sock_recv_fn recv_one;
  napi_env env;
  napi_ref self;          /* weak while idle, strong while a receive callback is registered */
  napi_ref callback;      /* JS receive callback, NULL when not receiving */
  napi_async_context actx;
  uv_poll_t poll;
  int poll_inited;        /* uv_poll_init done; the handle must be uv_close()d before free */
  int poll_closing;       /* uv_close issued */
  int poll_closed;        /* uv_close callback ran */
  int polling;            /* uv_poll_start active */
  int unrefed;            /* JS asked unref(): polling must not keep the loop alive */
  int wrapper_gone;       /* JS object finalized */
  int in_poll;            /* inside on_poll: the callback scope uses actx */
  napi_async_context actx_to_destroy; /* dropped while in_poll; destroyed when on_poll ends */
  /* Env teardown (process or worker exit) waits on this hook until the poll handle's close
   * callback has run: a worker unloads the addon after teardown, and a close callback that
   * ran later would jump into unmapped code. Registered from open until the handle is closed. */
  napi_async_cleanup_hook_handle cleanup;
  uint8_t *buf;
  /* packet sockets: what sendTo() needs to address a frame */
  int pkt_ifindex;
  int pkt_protocol;       /* host byte order */
  /* Kind-specific state (connect probers: their repeats), freed by ext_free at close. */
  void *ext;
  void (*ext_free)(void *ext);
  /* Optional: runs first on each wake-up, outside any JS scope; 0 when it handled everything
   * and JS has nothing to hear (then no scope is opened at all). */
  int (*service)(sock_t *s);
  /* Optional: runs last on each wake-up that reached JS, outside any JS scope, while ext lives. */
  void (*after)(sock_t *s);
  size_t staged;          /* connect probers: result records waiting in buf */
};

/* errors.c */
napi_value errno_error(napi_env env, int err, const char *syscall, const char *detail);
void throw_errno(napi_env env, int err, const char *syscall, const char *detail);
void throw_type(napi_env env, const char *msg);

/* args.c: argument and option helpers; each returns 0 on success, -1 with a JS exception set */
int arg_int(napi_env env, napi_value v, const char *what, int32_t *out);
int arg_bytes(napi_env env, napi_value v, const char *what, const uint8_t **data, size_t *len);
int arg_string(napi_env env, napi_value v, const char *what, char *out, size_t outlen);
int arg_ipv4(napi_env env, napi_value v, const char *what, uint32_t *addr_be);
/* Optional property of an options object: returns 1 if present (and sets *out), 0 if absent or
 * undefined, -1 on a type error (exception set). opts may be NULL or undefined. */
int opt_int(napi_env env, napi_value opts, const char *name, int32_t *out);
int opt_bool(napi_env env, napi_value opts, const char *name, int *out);
int opt_string(napi_env env, napi_value opts, const char *name, char *out, size_t outlen);
napi_value js_int(napi_env env, int64_t v);
napi_value js_undefined(napi_env env);

/* io.c: system calls as every kind makes them */
int set_int(int fd, int level, int name, int value);
/* Closes a half-opened fd and throws the errno of the failed call; returns NULL. */
napi_value open_failed(napi_env env, int fd, const char *syscall, const char *detail);
/* recvmsg without blocking, EINTR retried: 1 read (*n bytes), 0 nothing queued, -errno
 * (-EMSGSIZE when the datagram was truncated) -- the sock_recv_fn convention. */
int recv_msg(int fd, struct msghdr *msg, ssize_t *n);
/* sendto, EINTR retried: bytes sent as a JS number, or NULL with the errno thrown. */
napi_value send_to(napi_env env, int fd, const uint8_t *data, size_t len, const void *to, socklen_t tolen);
/* IPv4 address option as a dotted quad: 1 present (*addr_be set), 0 absent, -1 exception set. */
int opt_ipv4(napi_env env, napi_value opts, const char *name, uint32_t *addr_be);
/* An IPv4 address as a JS string. */
napi_value js_ipv4(napi_env env, uint32_t addr_be);

/* socket.c: the JS Socket class shared by all kinds */
int socket_class_init(napi_env env, napi_value exports);
/* Wraps an open fd into a new JS Socket; on failure closes fd and returns NULL (exception set). */
napi_value socket_new(napi_env env, int fd, sock_kind kind, sock_recv_fn recv_one, sock_t **out);
/* Unwraps `this` of a method call; throws and returns NULL if it is not an open Socket. */
sock_t *socket_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, int allow_closed);

/* netlink.c, rawip.c, packet.c, udp.c: open functions and kind-specific methods */
napi_value netlink_open(napi_env env, napi_callback_info info);
napi_value netlink_send(napi_env env, sock_t *s, const uint8_t *data, size_t len);
napi_value netlink_membership(napi_env env, sock_t *s, size_t argc, napi_value *argv, int join);
napi_value rawip_open(napi_env env, napi_callback_info info);
napi_value rawip_send_to(napi_env env, sock_t *s, size_t argc, napi_value *argv);
napi_value rawip_membership(napi_env env, sock_t *s, size_t argc, napi_value *argv, int join);
napi_value packet_open(napi_env env, napi_callback_info info);
napi_value packet_send_to(napi_env env, sock_t *s, size_t argc, napi_value *argv);
napi_value udp_open(napi_env env, napi_callback_info info);
napi_value udp_send_to(napi_env env, sock_t *s, size_t argc, napi_value *argv);
/* connect.c: batched TCP connects (the Socket's fd is an epoll set) */
napi_value prober_open(napi_env env, napi_callback_info info);
napi_value prober_connect(napi_env env, sock_t *s, size_t argc, napi_value *argv);
napi_value prober_cancel(napi_env env, sock_t *s, size_t argc, napi_value *argv);
napi_value prober_repeat(napi_env env, sock_t *s, size_t argc, napi_value *argv);
napi_value prober_cancel_repeat(napi_env env, sock_t *s, size_t argc, napi_value *argv);
napi_value prober_repeat_stats(napi_env env, sock_t *s, size_t argc, napi_value *argv);

/* peercred.c */
napi_value peer_credentials(napi_env env, napi_callback_info info);

#endif
