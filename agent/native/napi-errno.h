/*
 * The one way the agent's addons report a failed system call to JavaScript: an Error "<syscall>: <strerror>"
 * with `code` (the errno's name, as Node's own errors have it: "ENOENT"; `fallback` for an errno glibc does
 * not name), `errno` and `syscall`. Returns NULL with the exception pending.
 */
#ifndef GOVERNOR_NAPI_ERRNO_H
#define GOVERNOR_NAPI_ERRNO_H

#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>

/* The errno's name ("ENOENT"); NULL when unknown. glibc 2.32+ names every errno; older ones get a short list. */
static const char *errno_name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  return strerrorname_np(err);
#else
  switch (err) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case ENOTDIR: return "ENOTDIR";
    case ENOEXEC: return "ENOEXEC";
    case ENOSYS: return "ENOSYS";
    case EADDRINUSE: return "EADDRINUSE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTSOCK: return "ENOTSOCK";
    case ECONNREFUSED: return "ECONNREFUSED";
    default: return NULL;
  }
#endif
}

static napi_value throw_errno_named(napi_env env, const char *syscall, int err, const char *fallback) {
  napi_value msg, code, error, sys, num;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  const char *name = errno_name(err);
  napi_create_string_utf8(env, name != NULL ? name : fallback, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "syscall", sys);
  napi_set_named_property(env, error, "errno", num);
  napi_throw(env, error);
  return NULL;
}

#endif
