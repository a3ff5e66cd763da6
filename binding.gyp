{
  "targets": [
    {
      "target_name": "sockscope",
      "sources": [
        "native/addon.cc",
        "native/aggregate/group_counter.cc",
        "native/curr_estab.cc",
        "native/error.cc",
        "native/events/close_events.cc",
        "native/events/events_socket.cc",
        "native/netlink/messages.cc",
        "native/netlink/netlink_reader.cc",
        "native/netlink/replay.cc",
        "native/netlink/request.cc",
        "native/netlink/rows.cc",
        "native/netns.cc",
        "native/partition/cpu_quota.cc",
        "native/partition/partition.cc",
        "native/partition/partitioned_reader.cc",
        "native/partition/pinned_pool.cc",
        "native/proc/proc_reader.cc",
        "native/proc/read_ahead.cc",
        "native/process_map.cc",
        "native/queue_of.cc",
        "native/reader.cc",
        "native/table/column_arena.cc",
        "native/table/socket_table.cc",
        "native/unix/unix_diag.cc",
        "native/unix/unix_proc.cc",
        "native/unix/unix_reader.cc"
      ],
      "include_dirs": ["native", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
