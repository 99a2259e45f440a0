/* AF_PACKET sockets bound to one interface and one ethertype (ARP for gratuitous ARP).
 * SOCK_RAW sends and receives whole Ethernet frames; SOCK_DGRAM the payload only, with the
 * link-layer destination given to sendTo(). callback(null, data, ifindex, pkttype, protocol). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"

static int packet_recv(sock_t *s, napi_env env, napi_value *argv, size_t *argc) {
  struct sockaddr_ll from;
  socklen_t fromlen = sizeof from;
  ssize_t n;
  void *copy;

  do
    n = recvfrom(s->fd, s->buf, SOCK_RECV_BUFFER, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  if (n > SOCK_RECV_BUFFER)
    return -EMSGSIZE;
  napi_create_buffer_copy(env, (size_t)n, s->buf, &copy, &argv[1]);
  argv[2] = js_int(env, from.sll_ifindex);
  argv[3] = js_int(env, from.sll_pkttype);
  argv[4] = js_int(env, ntohs(from.sll_protocol));
  *argc = 5;
  return 1;
}

/* openPacket(ifindex, protocol, {dgram?}) -> Socket. protocol is the ethertype (0x0806 ARP). */
napi_value packet_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t ifindex, protocol;
  int dgram = 0;
  struct sockaddr_ll addr;
  sock_t *s;
  napi_value obj;
  int fd;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (arg_int(env, argc > 0 ? argv[0] : NULL, "ifindex", &ifindex) < 0 ||
      arg_int(env, argc > 1 ? argv[1] : NULL, "protocol", &protocol) < 0 ||
      opt_bool(env, argc > 2 ? argv[2] : NULL, "dgram", &dgram) < 0)
    return NULL;
  if (protocol < 0 || protocol > 0xffff) {
    throw_type(env, "protocol must be an ethertype (0..65535)");
    return NULL;
  }
  /* Protocol 0 receives nothing until bind() names interface and ethertype together, so no
   * other interface's frames can queue in between. */
  fd = socket(AF_PACKET, (dgram ? SOCK_DGRAM : SOCK_RAW) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "AF_PACKET");
    return NULL;
  }
  memset(&addr, 0, sizeof addr);
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons((uint16_t)protocol);
  addr.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int e = errno;
    close(fd);
    throw_errno(env, e, "bind", "AF_PACKET");
    return NULL;
  }
  obj = socket_new(env, fd, KIND_PACKET, packet_recv, &s);
  if (obj == NULL)
    return NULL;
  s->pkt_ifindex = ifindex;
  s->pkt_protocol = protocol;
  return obj;
}

/* sendTo(data, mac): to a 6-byte link-layer address on the bound interface. */
napi_value packet_send_to(napi_env env, sock_t *s, size_t argc, napi_value *argv) {
  const uint8_t *data, *mac;
  size_t len, maclen;
  struct sockaddr_ll to;

  if (arg_bytes(env, argc > 0 ? argv[0] : NULL, "data", &data, &len) < 0 ||
      arg_bytes(env, argc > 1 ? argv[1] : NULL, "mac", &mac, &maclen) < 0)
    return NULL;
  if (maclen != ETH_ALEN) {
    throw_type(env, "mac must be 6 bytes");
    return NULL;
  }
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons((uint16_t)s->pkt_protocol);
  to.sll_ifindex = s->pkt_ifindex;
  to.sll_halen = ETH_ALEN;
  memcpy(to.sll_addr, mac, ETH_ALEN);
  return send_to(env, s->fd, data, len, &to, sizeof to);
}
