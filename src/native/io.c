/* System-call helpers every socket kind shares: one place for the EINTR retries, the
 * EAGAIN / truncation conventions of a receive, and closing a half-opened fd on error. */
#include <errno.h>
#include <unistd.h>

#include "sock.h"

int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

napi_value open_failed(napi_env env, int fd, const char *syscall, const char *detail) {
  int e = errno;
  close(fd);
  throw_errno(env, e, syscall, detail);
  return NULL;
}

int recv_msg(int fd, struct msghdr *msg, ssize_t *n) {
  do
    *n = recvmsg(fd, msg, MSG_DONTWAIT);
  while (*n < 0 && errno == EINTR);
  if (*n < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  if (msg->msg_flags & MSG_TRUNC)
    return -EMSGSIZE;
  return 1;
}

napi_value send_to(napi_env env, int fd, const uint8_t *data, size_t len, const void *to, socklen_t tolen) {
  ssize_t n;
  do
    n = sendto(fd, data, len, 0, (const struct sockaddr *)to, tolen);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw_errno(env, errno, "sendto", NULL);
    return NULL;
  }
  return js_int(env, n);
}
