{
  "targets": [
    {
      "target_name": "sockscope",
      "sources": [
        "native/addon.cc",
        "native/column_arena.cc",
        "native/cpu_quota.cc",
        "native/curr_estab.cc",
        "native/netlink_parse.cc",
        "native/netlink_reader.cc",
        "native/netns.cc",
        "native/partition.cc",
        "native/partitioned_reader.cc",
        "native/pinned_pool.cc",
        "native/proc_reader.cc",
        "native/process_map.cc",
        "native/queue_of.cc",
        "native/read_ahead.cc",
        "native/reader.cc",
        "native/unix/unix_diag.cc",
        "native/unix/unix_proc.cc",
        "native/unix/unix_reader.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
