/*
 * A detached spawn without fork, for the agent's handler shims (agent/native/process-spawn.ts loads this).
 *
 * Node.js's child_process.spawn forks the agent (libuv's fork: the agent's page tables copied, then torn
 * down again by the child's exec, which the parent waits for): 5 ms of CPU and 10+ ms of wall time per
 * spawn on a loaded host, whatever the command. vfork runs the child on the agent's memory until it
 * execs: nothing is copied. The process it makes is the same as libuv's detached spawn: a new session
 * (setsid), every signal at its default and none blocked, stdin /dev/null, stdout and stderr the given
 * descriptors, no other descriptor inherited. (Not posix_spawn: glibc's leaves its two internal signals,
 * 32 and 33, ignored in the child, and exec keeps them so for the handler.)
 *
 * Its exit is heard through a pidfd (Linux 5.3+) watched on the event loop and reaped with waitid, so the
 * child never stays a zombie and nothing polls. libuv reaps only the PIDs it spawned itself, so the two
 * never take each other's children.
 *
 * Exports: pidfdUsable() -> boolean (checked before use: without a pidfd there is no exit to hear);
 * spawn(file, argv, env, cwd | null, stdoutFd, stderrFd, onExit) -> pid, onExit(code, signal)
 * called once when the child exited (code -1 when killed by `signal`); the watch does not keep the process
 * alive. Errors are thrown as Error with `code` (the errno name), `errno` and `syscall`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include "napi-errno.h"
#include <signal.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int pidfd;
} exit_watch_t;

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  return throw_errno_named(env, syscall, err, "ERR_SPAWN");
}

/* A malloc'd UTF-8 copy of a JS string; NULL (with a JS exception pending) when it is none. */
static char *string_of(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return NULL;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    throw_errno(env, "malloc", ENOMEM);
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static void free_strings(char **list) {
  if (list == NULL) return;
  for (char **p = list; *p != NULL; p++) free(*p);
  free(list);
}

/* A NULL-terminated malloc'd copy of a JS array of strings; NULL (exception pending) on a bad value. */
static char **strings_of(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected an array of strings");
    return NULL;
  }
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) {
    throw_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    if ((list[i] = string_of(env, item)) == NULL) {
      free_strings(list);
      return NULL;
    }
  }
  return list;
}

static void free_watch(uv_handle_t *handle) { free(handle->data); }

/* The pidfd is readable once the child exited: reap it, report, and stop watching. */
static void on_exit_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  exit_watch_t *w = (exit_watch_t *)handle->data;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r = waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
  if (r != 0 && errno != ECHILD) return; /* EINTR: the pidfd stays readable, the next wake-up tries again */
  if (r == 0 && si.si_pid == 0) return;  /* not exited yet (a spurious wake-up) */
  /* ECHILD (reaped elsewhere): reported as an exit of unknown status. */
  int code = -1, sig = 0;
  if (si.si_code == CLD_EXITED) code = si.si_status;
  else if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) sig = si.si_status;
  uv_poll_stop(&w->poll);
  close(w->pidfd);
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv, args[2];
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_global(env, &recv);
  napi_create_int32(env, code, &args[0]);
  napi_create_int32(env, sig, &args[1]);
  napi_make_callback(env, w->async, recv, cb, 2, args, NULL);
  /* A throw in onExit is the process's uncaught exception, as from child_process's 'exit' listener. Left
   * pending it would be lost, then thrown out of the next unrelated N-API call (a later spawn's "error"). */
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value thrown;
    napi_get_and_clear_last_exception(env, &thrown);
    napi_fatal_exception(env, thrown);
  }
  napi_close_handle_scope(env, scope);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->async);
  uv_close((uv_handle_t *)&w->poll, free_watch);
}

typedef struct {
  const char *file, *cwd;
  char **argv, **envp;
  int out_fd, err_fd;
  /* Set by the child before it gives up (vfork: the child writes the parent's memory). */
  volatile int err;
  const char *volatile failed;
} spawn_req_t;

/*
 * The child, between vfork and exec, on the parent's memory and stack: raw system calls only (no malloc,
 * no locks, no signal handler can run: every signal is blocked until the dispositions are reset).
 * Returns only on failure, with `err` and `failed` set.
 */
static void child_exec(spawn_req_t *r) {
  /* The kernel's struct sigaction, all zero: SIG_DFL (0), no flags, empty mask, whatever the layout. */
  unsigned long dfl[4] = {0, 0, 0, 0};
  /* Every signal at its default, glibc's internal ones (32, 33) too: what exec then keeps is nothing
   * ignored. (libuv's fork resets 1-31; exec resets the caught ones, and the agent ignores none above 31.) */
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, dfl, NULL, 8);
  if (setsid() < 0) {
    r->failed = "setsid";
    goto fail;
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    r->failed = "open /dev/null";
    goto fail;
  }
  /* Onto 0-2 (dup2 clears close-on-exec there); the sources are the agent's descriptors, all above 2. */
  if (dup2(null_fd, 0) < 0 || dup2(r->out_fd, 1) < 0 || dup2(r->err_fd, 2) < 0) {
    r->failed = "dup2";
    goto fail;
  }
  if (r->cwd != NULL && chdir(r->cwd) != 0) {
    r->failed = "chdir";
    goto fail;
  }
  /* Nothing else of the agent's reaches the handler (Linux 5.9+; older kernels: close-on-exec as before). */
  syscall(SYS_close_range, 3, ~0U, 0);
  unsigned long none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
  execve(r->file, r->argv, r->envp);
  r->failed = "execve";
fail:
  r->err = errno;
}

/* vfork, then the child execs (or fails): returns the PID, or -1 with `err` and `failed` set. */
static pid_t spawn_child(spawn_req_t *r) {
  sigset_t all, old;
  sigfillset(&all);
  /* No handler of the agent's may run in the child on the shared stack: blocked until the child resets them. */
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = vfork();
  if (pid == 0) {
    child_exec(r);
    _exit(127);
  }
  int vfork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    r->err = vfork_err;
    r->failed = "vfork";
    return -1;
  }
  if (r->failed != NULL) {
    waitpid(pid, NULL, 0); /* it exited (127) without exec */
    return -1;
  }
  return pid;
}

/* spawn(file, argv, env, cwd | null, stdoutFd, stderrFd, onExit) -> pid (see the header). */
static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t out_fd, err_fd;
  napi_valuetype cwd_type, cb_type;
  if (argc < 7 || napi_typeof(env, argv[3], &cwd_type) != napi_ok ||
      napi_get_value_int32(env, argv[4], &out_fd) != napi_ok ||
      napi_get_value_int32(env, argv[5], &err_fd) != napi_ok || napi_typeof(env, argv[6], &cb_type) != napi_ok ||
      cb_type != napi_function || out_fd < 3 || err_fd < 3) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, cwd, stdoutFd >= 3, stderrFd >= 3, onExit)");
    return NULL;
  }
  spawn_req_t req;
  memset(&req, 0, sizeof req);
  char *file = NULL, *cwd = NULL, **args = NULL, **envp = NULL;
  napi_value result = NULL;
  int err = 0;
  const char *failed = NULL;
  if ((file = string_of(env, argv[0])) == NULL) goto done;
  if ((args = strings_of(env, argv[1])) == NULL) goto done;
  if ((envp = strings_of(env, argv[2])) == NULL) goto done;
  if (cwd_type == napi_string && (cwd = string_of(env, argv[3])) == NULL) goto done;
  req.file = file;
  req.cwd = cwd;
  req.argv = args;
  req.envp = envp;
  req.out_fd = out_fd;
  req.err_fd = err_fd;
  pid_t pid = spawn_child(&req);
  if (pid < 0) {
    err = req.err;
    failed = req.failed;
    goto done;
  }
  /* The child is ours and not reaped, so its PID cannot be reused before the pidfd holds it. */
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int watch_err = pidfd < 0 ? errno : 0; /* before any other call can overwrite errno */
  exit_watch_t *w = pidfd < 0 ? NULL : calloc(1, sizeof *w);
  if (pidfd >= 0 && w == NULL) watch_err = ENOMEM;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int poll_rc = w == NULL ? 0 : uv_poll_init(loop, &w->poll, pidfd);
  if (w == NULL || poll_rc != 0) {
    /* Cannot be watched: ended and reaped now rather than left unsupervised (the caller falls back). */
    err = w == NULL ? watch_err : -poll_rc;
    if (pidfd >= 0) close(pidfd);
    free(w);
    kill(-pid, SIGKILL); /* its process group: whatever the shim forked meanwhile too */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    failed = "pidfd_open";
    goto done;
  }
  w->env = env;
  w->pidfd = pidfd;
  w->poll.data = w;
  napi_create_reference(env, argv[6], 1, &w->callback);
  napi_value name;
  napi_create_string_utf8(env, "governor.spawn", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->async);
  uv_poll_start(&w->poll, UV_READABLE, on_exit_readable);
  uv_unref((uv_handle_t *)&w->poll);
  napi_create_int32(env, pid, &result);

done:
  free(file);
  free(cwd);
  free_strings(args);
  free_strings(envp);
  if (failed != NULL) return throw_errno(env, failed, err);
  return result;
}

/*
 * pidfdUsable() -> true when pidfd_open (Linux 5.3) and waitid(P_PIDFD) (Linux 5.4) both work here: neither
 * an old kernel nor a seccomp filter refuses them. waitid on a pidfd of a process that is not our child
 * answers ECHILD where P_PIDFD is known, EINVAL where it is not (there the exit watch would spin).
 */
static napi_value pidfd_usable(napi_env env, napi_callback_info info) {
  (void)info;
  bool usable = false;
  int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (fd >= 0) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    usable = waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD;
    close(fd);
  }
  napi_value ok;
  napi_get_boolean(env, usable, &ok);
  return ok;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawn", NULL, spawn, NULL, NULL, NULL, napi_default, NULL},
      {"pidfdUsable", NULL, pidfd_usable, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
