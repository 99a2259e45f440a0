/* Argument and option parsing for the addon's functions. Every helper leaves a JS exception set
 * when it returns -1, so callers just return NULL. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sock.h"

napi_value js_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value js_undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

static int type_error(napi_env env, const char *what, const char *expected) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s must be %s", what, expected);
  throw_type(env, msg);
  return -1;
}

int arg_int(napi_env env, napi_value v, const char *what, int32_t *out) {
  napi_valuetype t;
  double d;
  if (v == NULL || napi_typeof(env, v, &t) != napi_ok || t != napi_number)
    return type_error(env, what, "an integer");
  napi_get_value_double(env, v, &d);
  if (d != (double)(int64_t)d || d < -2147483648.0 || d > 4294967295.0)
    return type_error(env, what, "an integer in 32 bits");
  /* Values above INT32_MAX are accepted as unsigned 32-bit and passed through bit for bit. */
  *out = (int32_t)(uint32_t)(int64_t)d;
  return 0;
}

int arg_bytes(napi_env env, napi_value v, const char *what, const uint8_t **data, size_t *len) {
  bool is_typed = false;
  if (v != NULL && napi_is_typedarray(env, v, &is_typed) == napi_ok && is_typed) {
    napi_typedarray_type type;
    void *ptr;
    size_t length;
    napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL);
    if (type == napi_uint8_array) {
      *data = ptr;
      *len = length;
      return 0;
    }
  }
  return type_error(env, what, "a Buffer or Uint8Array");
}

int arg_string(napi_env env, napi_value v, const char *what, char *out, size_t outlen) {
  napi_valuetype t;
  size_t n = 0;
  if (v == NULL || napi_typeof(env, v, &t) != napi_ok || t != napi_string)
    return type_error(env, what, "a string");
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  if (n + 1 > outlen)
    return type_error(env, what, "a shorter string");
  napi_get_value_string_utf8(env, v, out, outlen, &n);
  if (strlen(out) != n)
    return type_error(env, what, "a string without NUL");
  return 0;
}

int arg_ipv4(napi_env env, napi_value v, const char *what, uint32_t *addr_be) {
  char text[INET_ADDRSTRLEN + 1];
  struct in_addr a;
  if (arg_string(env, v, what, text, sizeof text) < 0)
    return -1;
  if (inet_pton(AF_INET, text, &a) != 1)
    return type_error(env, what, "a dotted-quad IPv4 address");
  *addr_be = a.s_addr;
  return 0;
}

/* Looks up opts[name]; returns 1 with *v set, 0 if absent/undefined, -1 on a bad opts. */
static int opt_get(napi_env env, napi_value opts, const char *name, napi_value *v) {
  napi_valuetype t;
  if (opts == NULL || napi_typeof(env, opts, &t) != napi_ok || t == napi_undefined || t == napi_null)
    return 0;
  if (t != napi_object)
    return type_error(env, "options", "an object");
  if (napi_get_named_property(env, opts, name, v) != napi_ok)
    return -1;
  napi_typeof(env, *v, &t);
  return t == napi_undefined ? 0 : 1;
}

int opt_int(napi_env env, napi_value opts, const char *name, int32_t *out) {
  napi_value v;
  int r = opt_get(env, opts, name, &v);
  if (r <= 0)
    return r;
  return arg_int(env, v, name, out) < 0 ? -1 : 1;
}

int opt_ipv4(napi_env env, napi_value opts, const char *name, uint32_t *addr_be) {
  napi_value v;
  int r = opt_get(env, opts, name, &v);
  if (r <= 0)
    return r;
  return arg_ipv4(env, v, name, addr_be) < 0 ? -1 : 1;
}

napi_value js_ipv4(napi_env env, uint32_t addr_be) {
  char text[INET_ADDRSTRLEN];
  struct in_addr a = {.s_addr = addr_be};
  napi_value v;
  inet_ntop(AF_INET, &a, text, sizeof text);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  return v;
}

int opt_bool(napi_env env, napi_value opts, const char *name, int *out) {
  napi_value v;
  napi_valuetype t;
  bool b;
  int r = opt_get(env, opts, name, &v);
  if (r <= 0)
    return r;
  napi_typeof(env, v, &t);
  if (t != napi_boolean)
    return type_error(env, name, "a boolean");
  napi_get_value_bool(env, v, &b);
  *out = b ? 1 : 0;
  return 1;
}

int opt_string(napi_env env, napi_value opts, const char *name, char *out, size_t outlen) {
  napi_value v;
  int r = opt_get(env, opts, name, &v);
  if (r <= 0)
    return r;
  return arg_string(env, v, name, out, outlen) < 0 ? -1 : 1;
}
