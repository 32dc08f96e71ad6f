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
 * The same spawn starts `gov exec`'s piped programs in their instance's context (`options`), doing in the
 * child what a chain of `sh` (joining the cgroups), `setpriv` (the user) and `setpriv --pdeathsig` did,
 * each an exec of its own: it joins each cgroup (writes "0" to each `cgroup.procs`, in order), takes the
 * instance's groups, gid and uid (supplementary groups resolved by the caller), sets PR_SET_PDEATHSIG
 * SIGKILL after that change (which would clear it) and dies at once when the agent already died; then it
 * execs the first of the PATH candidates that can be executed, as execvp would (EACCES remembered, ENOEXEC
 * run by /bin/sh). With `execFailure` a failed exec is the program's own end, as setpriv's was: that text,
 * the reason, on its stderr, and exit 127 (not found) or 126.
 *
 * Exports: pidfdUsable() -> boolean (checked before use: without a pidfd there is no exit to hear);
 * stdioPair() -> [fd, fd] (close-on-exec; a unix socket pair, as libuv's stdio 'pipe');
 * spawn(file, argv, env, cwd | null, stdoutFd, stderrFd, onExit[, options]) -> pid, onExit(code, signal)
 * called once when the child exited (code -1 when killed by `signal`); the watch does not keep the process
 * alive unless options.ref; options { stdinFd, procs, uid, gid, groups, pdeathsig, candidates, execFailure,
 * ref } (process-spawn.ts).
 * Errors are thrown as Error with `code` (the errno name), `errno` and `syscall`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <node_api.h>
#include "napi-errno.h"
#include <signal.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

/* A malloc'd UTF-8 copy of a JS string; NULL (with a JS exception pending) when it is none, or when it holds
 * a NUL byte: C would cut it there, and the program run would not be the one asked for (child_process
 * refuses those too). */
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
  if (strlen(s) != len) {
    free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "a string must be without null bytes");
    return NULL;
  }
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

/* The pidfd is closed only here, once libuv is done with it: closed before, its number could be a new
 * descriptor's by the time uv_close runs (onExit may open some), and libuv would drop that one from epoll. */
static void free_watch(uv_handle_t *handle) {
  exit_watch_t *w = (exit_watch_t *)handle->data;
  close(w->pidfd);
  free(w);
}

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
  int in_fd, out_fd, err_fd; /* in_fd -1: /dev/null */
  /* The cgroup.procs files to join, in order (NULL: none). */
  char **procs;
  /* The identity to take (has_ids), supplementary groups included. */
  bool has_ids;
  uid_t uid;
  gid_t gid;
  size_t ngroups;
  gid_t *groups;
  /* PR_SET_PDEATHSIG SIGKILL, with the PID of the parent that must still be alive after it. */
  bool pdeathsig;
  pid_t parent;
  /* The paths to try in order (NULL: `file` only); sh_argv: /bin/sh, the script (set by the child), args. */
  char **candidates;
  char **sh_argv;
  /* Set: a failed exec is written to stderr after this text and the child exits 127 or 126. */
  const char *exec_failure;
  /* The exit watch keeps the event loop alive (as child_process's does). */
  bool ref;
  /* Set by the child before it gives up (vfork: the child writes the parent's memory). */
  volatile int err;
  const char *volatile failed;
} spawn_req_t;

static void write_all(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* The errno's text without locale or allocation (glibc 2.32+; older ones: its name, or nothing). */
static const char *errno_text(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *t = strerrordesc_np(err);
#else
  const char *t = errno_name(err);
#endif
  return t != NULL ? t : "error";
}

/* execvp's search over the prepared candidates: the errno to report when none could be executed. */
static int exec_candidates(spawn_req_t *r) {
  if (r->candidates == NULL) {
    execve(r->file, r->argv, r->envp);
    return errno;
  }
  bool eacces = false;
  int err = ENOENT;
  for (char **c = r->candidates; *c != NULL; c++) {
    execve(*c, r->argv, r->envp);
    err = errno;
    if (err == ENOEXEC) {
      /* A file without a #! line: run by the shell, as execvp does. */
      r->sh_argv[1] = *c;
      execve("/bin/sh", r->sh_argv, r->envp);
      return errno;
    }
    if (err == EACCES) eacces = true;
    else if (err != ENOENT && err != ESTALE && err != ENOTDIR && err != ENODEV && err != ETIMEDOUT) return err;
  }
  return eacces ? EACCES : err;
}

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
  int in_fd = r->in_fd;
  if (in_fd < 0 && (in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
    r->failed = "open /dev/null";
    goto fail;
  }
  /* Onto 0-2 (dup2 clears close-on-exec there); the sources are the agent's descriptors, all above 2. */
  if (dup2(in_fd, 0) < 0 || dup2(r->out_fd, 1) < 0 || dup2(r->err_fd, 2) < 0) {
    r->failed = "dup2";
    goto fail;
  }
  if (r->cwd != NULL && chdir(r->cwd) != 0) {
    r->failed = "chdir";
    goto fail;
  }
  /* "0": the writer itself. The failure names the file. */
  for (char **p = r->procs; p != NULL && *p != NULL; p++) {
    int fd = open(*p, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) {
      r->failed = *p;
      goto fail;
    }
    close(fd);
  }
  /* Raw system calls: glibc's setuid & co. would signal the agent's threads to change theirs too (vfork
   * shares its memory, so the child looks multi-threaded). Groups, then gid, then uid, as setpriv does. */
  if (r->has_ids) {
    if (syscall(SYS_setgroups, r->ngroups, r->groups) != 0) {
      r->failed = "setgroups";
      goto fail;
    }
    if (syscall(SYS_setresgid, r->gid, r->gid, r->gid) != 0) {
      r->failed = "setresgid";
      goto fail;
    }
    if (syscall(SYS_setresuid, r->uid, r->uid, r->uid) != 0) {
      r->failed = "setresuid";
      goto fail;
    }
  }
  /* After the change of user, which clears it. An agent that died before it was set sends nothing: the
   * child is then no longer the agent's, and ends itself. */
  if (r->pdeathsig) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      r->failed = "prctl PR_SET_PDEATHSIG";
      goto fail;
    }
    if (getppid() != r->parent) syscall(SYS_kill, getpid(), SIGKILL);
  }
  /* Nothing else of the agent's reaches the handler (Linux 5.9+; older kernels: close-on-exec as before). */
  syscall(SYS_close_range, 3, ~0U, 0);
  unsigned long none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
  int err = exec_candidates(r);
  if (r->exec_failure != NULL) {
    /* The program's own end, as the exec of a shell or setpriv reports it: nothing for the parent. */
    write_all(2, r->exec_failure);
    write_all(2, errno_text(err));
    write_all(2, "\n");
    _exit(err == ENOENT ? 127 : 126);
  }
  errno = err;
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

/* options[name], or NULL when absent or undefined. */
static napi_value option(napi_env env, napi_value options, const char *name) {
  if (options == NULL) return NULL;
  bool has = false;
  napi_value v;
  napi_valuetype t;
  if (napi_has_named_property(env, options, name, &has) != napi_ok || !has) return NULL;
  if (napi_get_named_property(env, options, name, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return NULL;
  return t == napi_undefined || t == napi_null ? NULL : v;
}

/* A malloc'd copy of a JS array of numbers as gid_t; false (exception pending) on a bad value. */
static bool gids_of(napi_env env, napi_value arr, gid_t **out, size_t *count) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "groups: expected an array of numbers");
    return false;
  }
  gid_t *g = calloc((size_t)n + 1, sizeof *g);
  if (g == NULL) {
    throw_errno(env, "calloc", ENOMEM);
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    uint32_t id;
    napi_get_element(env, arr, i, &item);
    if (napi_get_value_uint32(env, item, &id) != napi_ok) {
      free(g);
      napi_throw_type_error(env, NULL, "groups: expected an array of numbers");
      return false;
    }
    g[i] = (gid_t)id;
  }
  *out = g;
  *count = n;
  return true;
}

/* spawn(file, argv, env, cwd | null, stdoutFd, stderrFd, onExit[, options]) -> pid (see the header). */
static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t out_fd, err_fd;
  napi_valuetype cwd_type, cb_type, opt_type = napi_undefined;
  if (argc < 7 || napi_typeof(env, argv[3], &cwd_type) != napi_ok ||
      napi_get_value_int32(env, argv[4], &out_fd) != napi_ok ||
      napi_get_value_int32(env, argv[5], &err_fd) != napi_ok || napi_typeof(env, argv[6], &cb_type) != napi_ok ||
      cb_type != napi_function || out_fd < 3 || err_fd < 3 ||
      (argc > 7 && napi_typeof(env, argv[7], &opt_type) != napi_ok)) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, cwd, stdoutFd >= 3, stderrFd >= 3, onExit, options?)");
    return NULL;
  }
  napi_value options = opt_type == napi_object ? argv[7] : NULL;
  spawn_req_t req;
  memset(&req, 0, sizeof req);
  req.in_fd = -1;
  char *file = NULL, *cwd = NULL, **args = NULL, **envp = NULL, **procs = NULL, **candidates = NULL;
  char **sh_argv = NULL, *exec_failure = NULL;
  gid_t *groups = NULL;
  napi_value result = NULL, v;
  int err = 0;
  const char *failed = NULL;
  if ((file = string_of(env, argv[0])) == NULL) goto done;
  if ((args = strings_of(env, argv[1])) == NULL) goto done;
  if ((envp = strings_of(env, argv[2])) == NULL) goto done;
  if (cwd_type == napi_string && (cwd = string_of(env, argv[3])) == NULL) goto done;
  if ((v = option(env, options, "stdinFd")) != NULL) {
    int32_t fd;
    if (napi_get_value_int32(env, v, &fd) != napi_ok || fd < 3) {
      napi_throw_type_error(env, NULL, "stdinFd: expected a descriptor >= 3");
      goto done;
    }
    req.in_fd = fd;
  }
  if ((v = option(env, options, "procs")) != NULL && (procs = strings_of(env, v)) == NULL) goto done;
  if ((v = option(env, options, "uid")) != NULL) {
    napi_value g = option(env, options, "gid"), gs = option(env, options, "groups");
    uint32_t uid, gid;
    if (napi_get_value_uint32(env, v, &uid) != napi_ok || g == NULL ||
        napi_get_value_uint32(env, g, &gid) != napi_ok || gs == NULL) {
      napi_throw_type_error(env, NULL, "uid: needs gid and groups too");
      goto done;
    }
    if (!gids_of(env, gs, &groups, &req.ngroups)) goto done;
    req.has_ids = true;
    req.uid = (uid_t)uid;
    req.gid = (gid_t)gid;
    req.groups = groups;
  }
  if ((v = option(env, options, "pdeathsig")) != NULL) {
    bool on = false;
    napi_get_value_bool(env, v, &on);
    req.pdeathsig = on;
    req.parent = getpid();
  }
  if ((v = option(env, options, "candidates")) != NULL) {
    if ((candidates = strings_of(env, v)) == NULL) goto done;
    size_t n = 0;
    while (args[n] != NULL) n++;
    /* /bin/sh, the script, then argv[1..]: the strings are args' own (not freed twice). */
    if ((sh_argv = calloc(n + 2, sizeof *sh_argv)) == NULL) {
      throw_errno(env, "calloc", ENOMEM);
      goto done;
    }
    sh_argv[0] = "/bin/sh";
    for (size_t i = 1; i < n; i++) sh_argv[i + 1] = args[i];
  }
  if ((v = option(env, options, "ref")) != NULL) napi_get_value_bool(env, v, &req.ref);
  if ((v = option(env, options, "execFailure")) != NULL && (exec_failure = string_of(env, v)) == NULL) goto done;
  req.file = file;
  req.cwd = cwd;
  req.argv = args;
  req.envp = envp;
  req.out_fd = out_fd;
  req.err_fd = err_fd;
  req.procs = procs;
  req.candidates = candidates;
  req.sh_argv = sh_argv;
  req.exec_failure = exec_failure;
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
  if (!req.ref) uv_unref((uv_handle_t *)&w->poll);
  napi_create_int32(env, pid, &result);

done:
  /* Thrown before the strings are freed: `failed` may be one of them (a cgroup.procs path). */
  if (failed != NULL) result = throw_errno(env, failed, err);
  free(file);
  free(cwd);
  free_strings(args);
  free_strings(envp);
  free_strings(procs);
  free_strings(candidates);
  free(sh_argv);
  free(exec_failure);
  free(groups);
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

/*
 * stdioPair() -> [fd, fd], both close-on-exec: one end for the child (dup2), one for the parent. A unix
 * stream socket pair, as libuv makes for child_process's 'pipe' stdio: the program sees the stdio it saw
 * before, and as much of its output is buffered before it blocks (a pipe holds 64 KiB, the pair about
 * 200 KiB each way). Either end reads and writes; stdin's EOF is the parent's shutdown(SHUT_WR).
 */
static napi_value stdio_pair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return throw_errno(env, "socketpair", errno);
  napi_value arr, r, w;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, fds[0], &r);
  napi_create_int32(env, fds[1], &w);
  napi_set_element(env, arr, 0, r);
  napi_set_element(env, arr, 1, w);
  return arr;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/*
 * Marks every descriptor from 3 up close-on-exec: those the agent inherited from its parent (a shell's, a
 * test harness's pipe) would otherwise reach whatever a fork of the agent execs that does not close them
 * itself (node-pty's terminal sessions). Descriptors Node opens are close-on-exec already; a spawn that
 * hands one on (a log file as stdout) dup2s it, which clears the flag on the copy only. close_range (Linux
 * 5.11+) in one call, else each entry of /proc/self/fd.
 */
static napi_value cloexec_inherited(napi_env env, napi_callback_info info) {
  (void)info;
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return NULL;
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) return throw_errno(env, "opendir /proc/self/fd", errno);
  int own = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end != '\0' || end == e->d_name || fd < 3 || fd == own) continue;
    int flags = fcntl((int)fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
  }
  closedir(d);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"spawn", NULL, spawn, NULL, NULL, NULL, napi_default, NULL},
      {"stdioPair", NULL, stdio_pair, NULL, NULL, NULL, napi_default, NULL},
      {"pidfdUsable", NULL, pidfd_usable, NULL, NULL, NULL, napi_default, NULL},
      {"cloexecInherited", NULL, cloexec_inherited, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
