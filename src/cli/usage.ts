// The text `sockscope --help` prints, and the hint a usage error prints instead of it.

/** What a usage error prints after its one-line message. */
export const HELP_HINT = "Try 'sockscope --help' for more information.";

export const USAGE = `Usage: sockscope [COMMAND] [OPTIONS]

Commands:
  (none)    state counts, then the listening sockets with their queues
  states    per-state TCP counts, as netstat -an | awk | sort | uniq -c      [-4|-6] [--json]
  list      sockets, as ss -tan   [-tulan46eimpoHs] [--state NAME]... [--json|--ndjson] [FILTER]
            FILTER: ss's language, e.g. state established '( dport = :443 or sport = :443 )', dst 10.0.0.0/8
            UNIX sockets, as ss -x: list -x [-l|-a] [-e] [-p] [--state NAME]... [--json|--ndjson]
  queues    listeners' accept queue, backlog, half-open count and drops (TCP, then UNIX), and the overflow counters   [-4|-6] [--json]
  watch     [SECONDS] a sample every SECONDS (default 1): counter increases, listeners that dropped, busy accept queues
            [--count N] [--json] (one JSON object a line)
  counters  [PATTERN] kernel counters named as nstat -az names them; PATTERN: a regex, any case   [--json]
  doctor    what the tables, counters and sysctls say is wrong   [--duration SECONDS] [--json]
  top       socket counts by key, largest first, as ss | awk | sort | uniq -c | sort -nr
            [--by KEY[,KEY...]] [--prefix N] [--top N] [--state NAME]... [--sport/--dport P] [-4|-6] [--json]
  ports     ephemeral-port use per destination, against ip_local_port_range   [--top N] [--json]
  events    sockets as the kernel destroys them, as ss -E (TCP and UDP), with their final tcp_info, until Ctrl-C
            [-t] [-u] [-4|-6] [--state NAME] [--sport P] [--dport P] [--json] [--summary SECONDS [--by remote|port]]
  serve     Prometheus metrics on http://HOST:PORT/metrics (needs prom-client)   [--port N] [--host ADDR]
            [--count-ports P,P...] [--top-prefixes N] [--top-destinations N]

Options:
  -t, --tcp          TCP sockets (the default)
  -u, --udp          UDP sockets
  -x, --unix         UNIX sockets (list only; alone: not with -t, -u, -4, -6, -i, -m, ports or --record)
  -l, --listening    listening sockets only
  -a, --all          every socket (without -l or -a, as ss: no LISTEN, TIME_WAIT, SYN_RECV or CLOSE)
  -4, -6             IPv4 or IPv6 only
  -e, --extended     add uid, inode and (netlink) the socket cookie
  -i, --info         add tcp_info: rtt, cwnd, bytes acked and received, ... (netlink)
  -m, --memory       add socket memory: SK_MEMINFO (netlink)
  -p, --processes    add the processes holding each socket, as ss -p (none for TIME_WAIT and SYN_RECV)
  --state NAME       keep sockets in this state (netstat's names, or ss's); repeatable
  --sport PORT       keep sockets whose local port is PORT or in LOW-HIGH (filtered in the kernel)
  --dport PORT       the same for the remote port
  --source SOURCE    auto, netlink or proc (default auto: netlink, else /proc)
  --proc-root DIR    read the /proc tables from DIR (e.g. /proc/PID/net)
  --record FILE      list: also write the raw netlink dump to FILE; replay it with
                     SOCKSCOPE_NETLINK_FILE=FILE sockscope ... (as ss's TCPDIAG_FILE)
  -N, --netns NAME   read network namespace NAME (/var/run/netns/NAME, as ip netns) or a namespace file path
  --json, --ndjson   JSON array, or one JSON object a line
  --count N          watch: stop after N samples
  --duration SECONDS doctor: sample twice, SECONDS apart, to see counters grow
  --by KEYS          top: state, family, localAddress, localPort, remoteAddress, remotePort, uid,
                     remotePrefix; comma-separated (default remoteAddress)
  --prefix N         top: remotePrefix's IPv4 prefix length (default 24; IPv6 /64)
  --top N            top, ports: the N largest groups (default 20), the rest summed as other
  --port N           serve: TCP port, 0 for any free one (default 9464)
  --host ADDR        serve: address to listen on (default 127.0.0.1)
  --count-ports LIST serve: sockets per state on these local ports (an allowlist)
  --top-prefixes N   serve: the N remote /24s (/64s) with the most established connections, and other
  --top-destinations N  serve: the N destinations holding the most ephemeral ports
  -n, --numeric      accepted, as ss takes it: sockscope never resolves names (-r/--resolve is refused)
  -o, --options      list: each socket's timer, as ss -o: timer:(keepalive,9min,0)
  -H, --no-header    list: no header line
  -s, --stats        list: the summary ss -s prints (then the sockets too with -t, -u or a FILTER)
  --summary SECONDS  events: per SECONDS, closes, bytes, retransmits and rtt percentiles per group
  --by remote|port   events --summary: group by remote /24 (IPv6 /64) or by local port (default remote)
  -h, --help         this text

Short flags combine as in ss: sockscope list -tanp, -tlnp, -4tan.`;
