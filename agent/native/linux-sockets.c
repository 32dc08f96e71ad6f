/*
 * Linux socket calls Node.js lacks, for the agent (agent/native/linux-sockets.ts loads this):
 *
 * - a unix datagram socket that receives each message WITH its sender's credentials (SO_PASSCRED +
 *   SCM_CREDENTIALS: the kernel fills in the sending process's PID, uid and gid; a sender cannot forge them
 *   without CAP_SYS_ADMIN). sd_notify senders (libsystemd, systemd-notify, every language's sd-notify
 *   library) write to NOTIFY_SOCKET this way, and systemd identifies them by that PID. unix-dgram, the
 *   usual Node binding, calls recvmsg without a control buffer, so the credentials are lost there.
 * - the credentials of the peer of a connected unix stream socket (SO_PEERCRED), for the local control
 *   socket's audit (`issued_by: local:<uid>`).
 *
 * Exports: openDatagram(path) -> fd; watch(fd, onReadable) -> watcher; receive(fd) -> messages;
 * close(watcher); peerCredentials(fd) -> {pid, uid, gid}; send(path, buffer) (one datagram from an unbound
 * socket, as sd_notify() sends it: for tests, benchmarks and fixtures). Errors are thrown as Error with `code` (the errno
 * name) and `syscall`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <node_api.h>
#include "napi-errno.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

/* systemd's own limit for one notification (NOTIFY_BUFFER_MAX is PIPE_BUF). */
#define MAX_MESSAGE 4096
/* Messages drained per receive() call: a flood cannot keep the event loop in one call. */
#define MAX_BATCH 256

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  int closed;
} watcher_t;

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  return throw_errno_named(env, syscall, err, "ERR_SOCKET");
}

static int arg_int(napi_env env, napi_callback_info info, size_t want, napi_value *argv, int32_t *out) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, NULL, "missing argument");
    return 0;
  }
  if (napi_get_value_int32(env, argv[0], out) != napi_ok) {
    napi_throw_type_error(env, NULL, "fd must be a number");
    return 0;
  }
  return 1;
}

/* A unix socket address from a JS string; false (with a JS exception pending) when it is none or too long. */
static int unix_address(napi_env env, napi_value value, const char *syscall, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, addr->sun_path, sizeof addr->sun_path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "path must be a string");
    return 0;
  }
  if (len >= sizeof addr->sun_path - 1) {
    throw_errno(env, syscall, ENAMETOOLONG);
    return 0;
  }
  return 1;
}

/* openDatagram(path): a bound AF_UNIX SOCK_DGRAM socket (non-blocking, close-on-exec) with SO_PASSCRED. */
static napi_value open_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "openDatagram(path)");
    return NULL;
  }
  if (!unix_address(env, argv[0], "bind", &addr)) return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt", err);
  }
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* receive(fd): every message waiting (at most MAX_BATCH), each {data, pid, uid, gid, truncated, fds}; the
   caller closes `fds`. */
static napi_value receive(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!arg_int(env, info, 1, argv, &fd)) return NULL;
  napi_value list;
  napi_create_array(env, &list);
  static char buf[MAX_MESSAGE + 1];
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
  } control;
  for (uint32_t i = 0; i < MAX_BATCH; i++) {
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return throw_errno(env, "recvmsg", errno);
    }
    int32_t pid = 0, uid = -1, gid = -1;
    napi_value fdlist;
    uint32_t nfds = 0;
    napi_create_array(env, &fdlist);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
          c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        pid = cred.pid;
        uid = (int32_t)cred.uid;
        gid = (int32_t)cred.gid;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        /* Descriptors passed along (BARRIER=1, FDSTORE=1): handed to the caller, which closes them once it
           has looked at the sender (a barrier's sender waits for that close, then may exit at once). */
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int fds[16];
        if (count > 16) count = 16;
        memcpy(fds, CMSG_DATA(c), count * sizeof(int));
        for (size_t k = 0; k < count; k++) {
          napi_value v;
          napi_create_int32(env, fds[k], &v);
          napi_set_element(env, fdlist, nfds++, v);
        }
      }
    }
    int truncated = (size_t)n > MAX_MESSAGE || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    size_t keep = (size_t)n > MAX_MESSAGE ? MAX_MESSAGE : (size_t)n;
    napi_value item, data, v;
    napi_create_object(env, &item);
    napi_create_buffer_copy(env, keep, buf, NULL, &data);
    napi_set_named_property(env, item, "data", data);
    napi_create_int32(env, pid, &v);
    napi_set_named_property(env, item, "pid", v);
    napi_create_int32(env, uid, &v);
    napi_set_named_property(env, item, "uid", v);
    napi_create_int32(env, gid, &v);
    napi_set_named_property(env, item, "gid", v);
    napi_get_boolean(env, truncated, &v);
    napi_set_named_property(env, item, "truncated", v);
    napi_set_named_property(env, item, "fds", fdlist);
    napi_set_element(env, list, i, item);
  }
  return list;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  watcher_t *w = (watcher_t *)handle->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv;
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_global(env, &recv);
  napi_make_callback(env, w->async, recv, cb, 0, NULL, NULL);
  napi_close_handle_scope(env, scope);
}

static void free_watcher(uv_handle_t *handle) { free(handle->data); }

static void stop_watcher(watcher_t *w) {
  if (w->closed) return;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->async);
  close(w->fd);
  uv_close((uv_handle_t *)&w->poll, free_watcher);
}

/* watch(fd, onReadable): calls onReadable() whenever fd is readable. Does not keep the process alive. */
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "watch(fd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  watcher_t *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  w->fd = fd;
  int err = uv_poll_init(loop, &w->poll, fd);
  if (err != 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -err);
  }
  w->poll.data = w;
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_value name;
  napi_create_string_utf8(env, "governor.notify", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->async);
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  uv_unref((uv_handle_t *)&w->poll);
  napi_value ext;
  napi_create_external(env, w, NULL, NULL, &ext);
  return ext;
}

/* close(watcher): stops watching and closes the descriptor (once; later calls do nothing). */
static napi_value close_watcher(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "close(watcher)");
    return NULL;
  }
  stop_watcher((watcher_t *)data);
  return NULL;
}

/* peerCredentials(fd): {pid, uid, gid} of the process that connected the unix stream socket fd. */
static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!arg_int(env, info, 1, argv, &fd)) return NULL;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, "getsockopt", errno);
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int32(env, cred.pid, &v);
  napi_set_named_property(env, out, "pid", v);
  napi_create_int32(env, (int32_t)cred.uid, &v);
  napi_set_named_property(env, out, "uid", v);
  napi_create_int32(env, (int32_t)cred.gid, &v);
  napi_set_named_property(env, out, "gid", v);
  return out;
}

/* send(path, buffer): one datagram to the socket at path, from a fresh unbound socket. */
static napi_value send_datagram(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  void *data = NULL;
  size_t size = 0;
  if (argc < 2 || napi_get_buffer_info(env, argv[1], &data, &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(path, buffer)");
    return NULL;
  }
  if (!unix_address(env, argv[0], "sendto", &addr)) return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  ssize_t n = sendto(fd, data, size, MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof addr);
  int err = errno;
  close(fd);
  if (n < 0) return throw_errno(env, "sendto", err);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openDatagram", NULL, open_datagram, NULL, NULL, NULL, napi_default, NULL},
      {"receive", NULL, receive, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, watch, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_watcher, NULL, NULL, NULL, napi_default, NULL},
      {"peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, send_datagram, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
