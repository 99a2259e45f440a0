/* Errors shaped like Node's own system errors: message "<syscall> <CODE>: <text>[, <detail>]",
 * with code (the errno name, e.g. 'ENODEV'), errno (negative, as Node sets it) and syscall. */
#include <stdio.h>
#include <string.h>

#include "sock.h"

napi_value errno_error(napi_env env, int err, const char *syscall, const char *detail) {
  char code[64];
  char text[128];
  char msg[512];
  napi_value js_msg, js_code, error;

  /* libuv's names are Node's names (util.getSystemErrorName); the _r variants do not allocate.
   * Codes libuv does not know become "E<n>", as src/kernel/errors.ts names them. */
  uv_err_name_r(-err, code, sizeof code);
  if (code[0] != 'E')
    snprintf(code, sizeof code, "E%d", err);
  uv_strerror_r(-err, text, sizeof text);
  if (detail != NULL && detail[0] != '\0')
    snprintf(msg, sizeof msg, "%s %s: %s, %s", syscall, code, text, detail);
  else
    snprintf(msg, sizeof msg, "%s %s: %s", syscall, code, text);

  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code);
  napi_create_error(env, js_code, js_msg, &error);
  napi_set_named_property(env, error, "errno", js_int(env, -err));
  napi_value js_syscall;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall);
  napi_set_named_property(env, error, "syscall", js_syscall);
  return error;
}

void throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  napi_throw(env, errno_error(env, err, syscall, detail));
}

void throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}
