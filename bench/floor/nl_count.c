/* The netlink floor: the least work that counts TCP sockets per state through
 * NETLINK_SOCK_DIAG. One dump per family (or one legacy dump for both with --combined),
 * no extensions, states counted and nothing kept. Times itself over R repetitions and
 * prints JSON: {"mode","reps","medianNs","p25Ns","p75Ns","total","counts":{...}}.
 * With --serve it stays up and answers each line R on stdin with one such JSON line, so that a
 * benchmark can alternate it with other reads without spawning a process each time.
 *
 *   nl_count [--reps R] [--combined] [--serve]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ALL_STATES 0x1FFEu         /* bits 1..12: every TCP state and NEW_SYN_RECV */
#define TCPDIAG_GETSOCK_TYPE 18    /* legacy request: one hash walk, both families */
#define RECV_BUF (64 * 1024)       /* the kernel fills up to this much per recv */

static const char *state_names[13] = {
    "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
    "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

static void die(const char *what) {
  fprintf(stderr, "nl_count: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void send_request(int fd, int combined, int family) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  struct {
    struct nlmsghdr h;
    union {
      struct inet_diag_req_v2 v2;
      struct inet_diag_req legacy;
    } r;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  if (combined) {
    msg.h.nlmsg_type = TCPDIAG_GETSOCK_TYPE;
    msg.h.nlmsg_len = NLMSG_LENGTH(sizeof msg.r.legacy);
    msg.r.legacy.idiag_family = AF_INET; /* ignored by the kernel: legacy dumps match any family */
    msg.r.legacy.idiag_states = ALL_STATES;
  } else {
    msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.h.nlmsg_len = NLMSG_LENGTH(sizeof msg.r.v2);
    msg.r.v2.sdiag_family = family;
    msg.r.v2.sdiag_protocol = IPPROTO_TCP;
    msg.r.v2.idiag_states = ALL_STATES;
  }
  if (sendto(fd, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
    die("sendto");
}

/* Reads one dump to its NLMSG_DONE, adding each socket to counts[state]. */
static void count_dump(int fd, uint64_t counts[13]) {
  static char buf[RECV_BUF] __attribute__((aligned(8)));
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        errno = -e->error;
        die("netlink dump");
      }
      const struct inet_diag_msg *m = NLMSG_DATA(h);
      counts[m->idiag_state < 13 ? m->idiag_state : 0]++;
    }
  }
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* R timed repetitions on fd, then one JSON line on stdout. */
static void measure(int fd, int reps, int combined) {
  int64_t *times = malloc(sizeof *times * reps);
  if (!times) die("malloc");
  uint64_t counts[13];
  for (int r = 0; r < reps; r++) {
    memset(counts, 0, sizeof counts);
    int64_t t0 = now_ns();
    if (combined) {
      send_request(fd, 1, AF_UNSPEC);
      count_dump(fd, counts);
    } else {
      send_request(fd, 0, AF_INET);
      count_dump(fd, counts);
      send_request(fd, 0, AF_INET6);
      count_dump(fd, counts);
    }
    times[r] = now_ns() - t0;
  }
  qsort(times, reps, sizeof *times, cmp_i64);

  uint64_t total = 0;
  for (int s = 0; s < 13; s++) total += counts[s];
  printf("{\"mode\":\"%s\",\"reps\":%d,\"medianNs\":%lld,\"p25Ns\":%lld,\"p75Ns\":%lld,\"total\":%llu,\"counts\":{",
         combined ? "combined" : "per-family", reps, (long long)times[reps / 2],
         (long long)times[reps / 4], (long long)times[(3 * reps) / 4], (unsigned long long)total);
  for (int s = 0, first = 1; s < 13; s++) {
    if (!counts[s]) continue;
    printf("%s\"%s\":%llu", first ? "" : ",", state_names[s], (unsigned long long)counts[s]);
    first = 0;
  }
  printf("}}\n");
  fflush(stdout);
  free(times);
}

int main(int argc, char **argv) {
  int reps = 21, combined = 0, serve = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--combined")) combined = 1;
    else if (!strcmp(argv[i], "--serve")) serve = 1;
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: nl_count [--reps R] [--combined] [--serve]\n");
      return 2;
    }
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) die("socket");
  if (!serve) {
    measure(fd, reps < 1 ? 1 : reps, combined);
  } else {
    char line[32];
    while (fgets(line, sizeof line, stdin)) {
      int r = atoi(line);
      measure(fd, r < 1 ? 1 : r, combined);
    }
  }
  close(fd);
  return 0;
}
