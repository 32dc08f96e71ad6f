/*
 * The calling thread's own CPU time (agent/native/thread-cpu.ts loads this): clock_gettime(
 * CLOCK_THREAD_CPUTIME_ID), which Node.js 20 has no call for (process.cpuUsage() is the whole process's:
 * the libuv pool's and V8's helper threads count in it too; process.threadCpuUsage() is Node 23.9+).
 * What runs on the calling thread counts, V8's work done there (a scavenge, a compile on the main thread)
 * included.
 *
 * Exports: threadCpuNs() -> number, the calling thread's CPU time in nanoseconds (user and system).
 * Errors are thrown as Error with `code` (the errno name), `errno` and `syscall`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include "napi-errno.h"
#include <time.h>

static napi_value thread_cpu_ns(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return throw_errno_named(env, "clock_gettime", errno, "ERR_THREAD_CPU");
  napi_value out;
  if (napi_create_double(env, (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec, &out) != napi_ok) return NULL;
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "threadCpuNs", NAPI_AUTO_LENGTH, thread_cpu_ns, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "threadCpuNs", fn) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
