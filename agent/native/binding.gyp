{
  "targets": [
    {
      "target_name": "linux_sockets",
      "sources": ["linux-sockets.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
