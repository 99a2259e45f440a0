/* Raw IPv4 sockets for one IP protocol (VRRP is 112). The kernel builds the IP header on send
 * (no IP_HDRINCL). On receive the kernel hands us the whole packet; we strip the IP header
 * (IHL, options included) and report source, destination, received TTL and ifindex beside the
 * payload: callback(null, payload, source, destination, ttl, ifindex). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

static int rawip_recv(sock_t *s, napi_env env, napi_value *argv, size_t *argc) {
  struct sockaddr_in from;
  char control[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
  struct iovec iov = {.iov_base = s->buf, .iov_len = SOCK_RECV_BUFFER};
  struct msghdr msg = {
    .msg_name = &from, .msg_namelen = sizeof from,
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control, .msg_controllen = sizeof control,
  };
  struct in_addr dst = {0};
  int ttl = -1, ifindex = 0;
  size_t ihl;
  ssize_t n;
  void *copy;

  int r = recv_msg(s->fd, &msg, &n);
  if (r <= 0)
    return r;
  /* ip_rcv() validated the header before raw delivery; this only guards our indexing. */
  ihl = n > 0 ? (size_t)(s->buf[0] & 0x0f) * 4 : 0;
  if (n < (ssize_t)sizeof(struct iphdr) || (s->buf[0] >> 4) != 4 || ihl < sizeof(struct iphdr) || ihl > (size_t)n)
    return -EBADMSG;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IP)
      continue;
    if (c->cmsg_type == IP_TTL) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    } else if (c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = pi.ipi_ifindex;
      dst = pi.ipi_addr;
    }
  }
  napi_create_buffer_copy(env, (size_t)n - ihl, s->buf + ihl, &copy, &argv[1]);
  argv[2] = js_ipv4(env, from.sin_addr.s_addr);
  argv[3] = js_ipv4(env, dst.s_addr);
  argv[4] = js_int(env, ttl);
  argv[5] = js_int(env, ifindex);
  *argc = 6;
  return 1;
}

/* openRawIp(protocol, {ifname?, ttl?, multicastTtl?, multicastLoop?, multicastAll?, tos?,
 * dontFragment?}) -> Socket.
 * ifname binds the socket to the device (SO_BINDTODEVICE) and makes it the multicast output
 * interface. multicastAll: false limits multicast receive to groups this socket joined. tos sets
 * the IPv4 TOS byte of what it sends (IP_TOS; VRRP: 0xc0 as keepalived). dontFragment: false
 * sends without DF (IP_MTU_DISCOVER = IP_PMTUDISC_DONT), as keepalived's adverts go. */
napi_value rawip_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t protocol, ttl = 0, mttl = 0, tos = 0;
  int loop = 0, mall = 0, df = 1, has_ttl, has_mttl, has_loop, has_mall, has_ifname, has_tos, has_df;
  char ifname[IF_NAMESIZE];
  int fd;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (arg_int(env, argc > 0 ? argv[0] : NULL, "protocol", &protocol) < 0)
    return NULL;
  napi_value opts = argc > 1 ? argv[1] : NULL;
  if ((has_ifname = opt_string(env, opts, "ifname", ifname, sizeof ifname)) < 0 ||
      (has_ttl = opt_int(env, opts, "ttl", &ttl)) < 0 ||
      (has_mttl = opt_int(env, opts, "multicastTtl", &mttl)) < 0 ||
      (has_loop = opt_bool(env, opts, "multicastLoop", &loop)) < 0 ||
      (has_mall = opt_bool(env, opts, "multicastAll", &mall)) < 0 ||
      (has_tos = opt_int(env, opts, "tos", &tos)) < 0 ||
      (has_df = opt_bool(env, opts, "dontFragment", &df)) < 0)
    return NULL;
  if (has_tos && (tos < 0 || tos > 255)) {
    throw_errno(env, EINVAL, "openRawIp", "tos must be 0..255");
    return NULL;
  }

  fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "AF_INET SOCK_RAW");
    return NULL;
  }
  if (has_ifname) {
    struct ip_mreqn mreq;
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0)
      return open_failed(env, fd, "setsockopt", "SO_BINDTODEVICE");
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_ifindex = (int)if_nametoindex(ifname);
    if (mreq.imr_ifindex == 0 || setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0)
      return open_failed(env, fd, "setsockopt", "IP_MULTICAST_IF");
  }
  if (has_ttl && set_int(fd, IPPROTO_IP, IP_TTL, ttl) < 0)
    return open_failed(env, fd, "setsockopt", "IP_TTL");
  if (has_mttl && set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, mttl) < 0)
    return open_failed(env, fd, "setsockopt", "IP_MULTICAST_TTL");
  if (has_loop && set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, loop) < 0)
    return open_failed(env, fd, "setsockopt", "IP_MULTICAST_LOOP");
  if (has_mall && set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, mall) < 0)
    return open_failed(env, fd, "setsockopt", "IP_MULTICAST_ALL");
  if (has_tos && set_int(fd, IPPROTO_IP, IP_TOS, tos) < 0)
    return open_failed(env, fd, "setsockopt", "IP_TOS");
  if (has_df && set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, df ? IP_PMTUDISC_WANT : IP_PMTUDISC_DONT) < 0)
    return open_failed(env, fd, "setsockopt", "IP_MTU_DISCOVER");
  if (set_int(fd, IPPROTO_IP, IP_RECVTTL, 1) < 0)
    return open_failed(env, fd, "setsockopt", "IP_RECVTTL");
  if (set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0)
    return open_failed(env, fd, "setsockopt", "IP_PKTINFO");
  /* Until SO_BINDTODEVICE took effect any interface's packets could queue; drop them. */
  if (has_ifname) {
    char scratch[1];
    while (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT | MSG_TRUNC) >= 0 || errno == EINTR) {
    }
  }
  return socket_new(env, fd, KIND_RAWIP, rawip_recv, NULL);
}

napi_value rawip_send_to(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  const uint8_t *data;
  size_t len;
  uint32_t dst, src = 0;
  struct sockaddr_in to;
  char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
  struct iovec iov;
  struct msghdr msg;
  ssize_t n;
  napi_valuetype t = napi_undefined;

  if (arg_bytes(env, argc > 0 ? argv[0] : NULL, "data", &data, &len) < 0 ||
      arg_ipv4(env, argc > 1 ? argv[1] : NULL, "destination", &dst) < 0)
    return NULL;
  if (argc > 2)
    napi_typeof(env, argv[2], &t);
  if (t != napi_undefined && t != napi_null && arg_ipv4(env, argv[2], "source", &src) < 0)
    return NULL;

  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = dst;
  iov.iov_base = (void *)data;
  iov.iov_len = len;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (src != 0) {
    /* ipi_spec_dst chooses the source address of this packet (see ip(7), IP_PKTINFO). */
    struct in_pktinfo pi;
    struct cmsghdr *c;
    memset(control, 0, sizeof control);
    memset(&pi, 0, sizeof pi);
    pi.ipi_spec_dst.s_addr = src;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  do
    n = sendmsg(s->fd, &msg, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw_errno(env, errno, "sendmsg", NULL);
    return NULL;
  }
  return js_int(env, n);
}

/* addMembership(group, ifindex) / dropMembership(group, ifindex) */
napi_value rawip_membership(napi_env env, sock_t *s, size_t argc, napi_value *argv, int join) {
  struct ip_mreqn mreq;
  uint32_t group;
  int32_t ifindex;
  if (arg_ipv4(env, argc > 0 ? argv[0] : NULL, "group", &group) < 0 ||
      arg_int(env, argc > 1 ? argv[1] : NULL, "ifindex", &ifindex) < 0)
    return NULL;
  memset(&mreq, 0, sizeof mreq);
  mreq.imr_multiaddr.s_addr = group;
  mreq.imr_ifindex = ifindex;
  if (setsockopt(s->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mreq, sizeof mreq) < 0) {
    throw_errno(env, errno, "setsockopt", join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP");
    return NULL;
  }
  return js_undefined(env);
}
