/* UDP/IPv4 sockets (conntrack sync). node:dgram can neither bind a socket to a device
 * (SO_BINDTODEVICE) nor report the arrival interface, so a datagram carrying the peer's source
 * address on another interface would be accepted. Receive reports the arrival ifindex
 * (IP_PKTINFO): callback(null, data, source, sourcePort, ifindex). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

static int udp_recv(sock_t *s, napi_env env, napi_value *argv, size_t *argc) {
  struct sockaddr_in from;
  char control[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
  struct iovec iov = {.iov_base = s->buf, .iov_len = SOCK_RECV_BUFFER};
  struct msghdr msg = {
    .msg_name = &from, .msg_namelen = sizeof from,
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control, .msg_controllen = sizeof control,
  };
  int ifindex = 0;
  ssize_t n;
  void *copy;

  int r = recv_msg(s->fd, &msg, &n);
  if (r <= 0)
    return r;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = pi.ipi_ifindex;
    }
  }
  napi_create_buffer_copy(env, (size_t)n, s->buf, &copy, &argv[1]);
  argv[2] = js_ipv4(env, from.sin_addr.s_addr);
  argv[3] = js_int(env, ntohs(from.sin_port));
  argv[4] = js_int(env, ifindex);
  *argc = 5;
  return 1;
}

/* openUdp({port, address?, device?, reuseAddr?, multicastGroup?, multicastTtl?, rcvbuf?,
 * sndbuf?}) -> Socket. The device is bound before bind() so no other interface's datagram is
 * ever queued. multicastGroup (needs device) is joined on the device, which also becomes the
 * multicast output interface; loopback and IP_MULTICAST_ALL are off. */
napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t port = 0, mttl = 1, rcvbuf = 0, sndbuf = 0;
  int reuse = 0, has_port, has_addr, has_dev, has_group, has_rcv, has_snd;
  uint32_t addr = INADDR_ANY, group = 0;
  char device[IF_NAMESIZE];
  struct sockaddr_in sa;
  int fd, ifindex = 0;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_value opts = argc > 0 ? argv[0] : NULL;
  if ((has_port = opt_int(env, opts, "port", &port)) < 0 ||
      (has_addr = opt_ipv4(env, opts, "address", &addr)) < 0 ||
      (has_dev = opt_string(env, opts, "device", device, sizeof device)) < 0 ||
      opt_bool(env, opts, "reuseAddr", &reuse) < 0 ||
      (has_group = opt_ipv4(env, opts, "multicastGroup", &group)) < 0 ||
      opt_int(env, opts, "multicastTtl", &mttl) < 0 ||
      (has_rcv = opt_int(env, opts, "rcvbuf", &rcvbuf)) < 0 ||
      (has_snd = opt_int(env, opts, "sndbuf", &sndbuf)) < 0)
    return NULL;
  if (!has_port || port < 0 || port > 65535) {
    throw_type(env, "port must be an integer 0..65535");
    return NULL;
  }
  if (has_dev) {
    ifindex = (int)if_nametoindex(device);
    if (ifindex == 0) {
      throw_errno(env, errno != 0 ? errno : ENODEV, "if_nametoindex", device);
      return NULL;
    }
  } else if (has_group) {
    throw_errno(env, EINVAL, "openUdp", "multicastGroup needs device");
    return NULL;
  }

  fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "AF_INET SOCK_DGRAM");
    return NULL;
  }
  if (reuse && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0)
    return open_failed(env, fd, "setsockopt", "SO_REUSEADDR");
  if (has_rcv && set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf) < 0)
    return open_failed(env, fd, "setsockopt", "SO_RCVBUF");
  if (has_snd && set_int(fd, SOL_SOCKET, SO_SNDBUF, sndbuf) < 0)
    return open_failed(env, fd, "setsockopt", "SO_SNDBUF");
  if (has_dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, strlen(device) + 1) < 0)
    return open_failed(env, fd, "setsockopt", "SO_BINDTODEVICE");
  if (set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0)
    return open_failed(env, fd, "setsockopt", "IP_PKTINFO");
  if (has_group) {
    struct ip_mreqn mreq;
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_multiaddr.s_addr = group;
    mreq.imr_ifindex = ifindex;
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
      return open_failed(env, fd, "setsockopt", "IP_ADD_MEMBERSHIP");
    mreq.imr_multiaddr.s_addr = INADDR_ANY;
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0)
      return open_failed(env, fd, "setsockopt", "IP_MULTICAST_IF");
    if (set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0)
      return open_failed(env, fd, "setsockopt", "IP_MULTICAST_LOOP");
    if (set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0) < 0)
      return open_failed(env, fd, "setsockopt", "IP_MULTICAST_ALL");
    if (set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, mttl) < 0)
      return open_failed(env, fd, "setsockopt", "IP_MULTICAST_TTL");
  }
  /* The address as text for a bind error, made before the call so errno stays the bind's. */
  char where[INET_ADDRSTRLEN] = "";
  if (has_addr)
    inet_ntop(AF_INET, &(struct in_addr){.s_addr = addr}, where, sizeof where);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = addr;
  sa.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return open_failed(env, fd, "bind", has_addr ? where : NULL);
  return socket_new(env, fd, KIND_UDP, udp_recv, NULL);
}

/* sendTo(data, address, port) -> bytes sent */
napi_value udp_send_to(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  const uint8_t *data;
  size_t len;
  uint32_t dst;
  int32_t port;
  struct sockaddr_in to;

  if (arg_bytes(env, argc > 0 ? argv[0] : NULL, "data", &data, &len) < 0 ||
      arg_ipv4(env, argc > 1 ? argv[1] : NULL, "address", &dst) < 0 ||
      arg_int(env, argc > 2 ? argv[2] : NULL, "port", &port) < 0)
    return NULL;
  if (port <= 0 || port > 65535) {
    throw_type(env, "port must be an integer 1..65535");
    return NULL;
  }
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = dst;
  to.sin_port = htons((uint16_t)port);
  return send_to(env, s->fd, data, len, &to, sizeof to);
}
