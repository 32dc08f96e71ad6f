{
  "targets": [
    {
      "target_name": "linux_sockets",
      "sources": ["linux-sockets.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "process_spawn",
      "sources": ["process-spawn.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "thread_cpu",
      "sources": ["thread-cpu.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
