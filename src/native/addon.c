/* Module entry of stockade.node: sockets, no protocol logic (see sock.h); the one scheduler is
 * repeat.c's (it says why).
 *
 * JS API (typed in src/kernel/native.ts):
 *   openNetlink(protocol, {rcvbuf?, noEnobufs?}) -> Socket (+ portId)
 *   openRawIp(protocol, {ifname?, ttl?, multicastTtl?, multicastLoop?, multicastAll?}) -> Socket
 *   openPacket(ifindex, ethertype, {dgram?}) -> Socket
 *   openUdp({port, address?, device?, reuseAddr?, multicastGroup?, multicastTtl?, rcvbuf?, sndbuf?}) -> Socket
 *   ifNameToIndex(name) -> number
 *   openConnectProber({gridMs}) -> Socket (connectProbe(token, address, port), cancelProbe(fd),
 *     repeatProbe(token, address, port, delayMs, intervalMs, timeoutMs), cancelRepeat(handle, token),
 *     repeatStats(handle, token))
 *   peerCredentials(fd) -> {pid, uid, gid, groups} of a connected unix socket's peer
 *   Socket: send, sendTo, addMembership, dropMembership, setOption, getOption,
 *           recvStart(cb), recvStop, ref, unref, close; fd, closed
 * Errors carry code (errno name), errno (negative, like Node) and syscall. */
#include <errno.h>
#include <net/if.h>

#include "sock.h"

static napi_value if_name_to_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[IF_NAMESIZE];
  unsigned idx;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (arg_string(env, argc > 0 ? argv[0] : NULL, "name", name, sizeof name) < 0)
    return NULL;
  idx = if_nametoindex(name);
  if (idx == 0) {
    throw_errno(env, errno != 0 ? errno : ENODEV, "if_nametoindex", name);
    return NULL;
  }
  return js_int(env, idx);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor fns[] = {
    {"openNetlink", NULL, netlink_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openRawIp", NULL, rawip_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openPacket", NULL, packet_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openUdp", NULL, udp_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openConnectProber", NULL, prober_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"ifNameToIndex", NULL, if_name_to_index, NULL, NULL, NULL, napi_enumerable, NULL},
    {"peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (socket_class_init(env, exports) < 0)
    return NULL;
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}
