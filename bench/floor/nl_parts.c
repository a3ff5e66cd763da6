/* Two halves of one dump, alone and side by side: what running partitions at once costs.
 * Each half is a combined-family dump (TCPDIAG_GETSOCK, every TCP state) with a bytecode
 * filter on the local port, [0, C] and [C+1, 65535]; without --cut both "halves" are whole
 * dumps with no filter. Messages are counted, nothing kept.
 *
 *   nl_parts [--cut C] [--reps R] alone     half 0 then half 1, on this thread
 *   nl_parts [--cut C] [--reps R] threads   both at once, on two threads of this process
 *   nl_parts [--cut C] [--reps R] half I    half I only (run two such processes at once)
 *
 * Thread or process I runs on the I-th CPU this process may use. Prints one JSON line:
 * {"how","cut","reps","medianMs":[half 0, half 1],"rows":[half 0, half 1]} (null: not run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ALL_STATES 0x1FFEu
#define TCPDIAG_GETSOCK_TYPE 18
#define RECV_BUF (64 * 1024)
#define MAX_REPS 1000

struct half {
  int lo, hi, filtered, cpu; /* ports [lo, hi]; cpu: -1 = leave as is */
  long rows;
  double ms;
};

static void die(const char *what) {
  fprintf(stderr, "nl_parts: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The CPU of index i among those this process may use (-1 if there are fewer). */
static int nth_cpu(int i) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) < 0) die("sched_getaffinity");
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set) && i-- == 0) return c;
  return -1;
}

/* One comparison op and the op holding its port; a miss jumps 4 past the end (rejects). */
static size_t put_cmp(unsigned char *p, size_t at, size_t total, int code, int port) {
  struct inet_diag_bc_op *op = (struct inet_diag_bc_op *)(p + at);
  op[0] = (struct inet_diag_bc_op){.code = code, .yes = 8, .no = (unsigned short)(total - at + 4)};
  op[1] = (struct inet_diag_bc_op){.no = (unsigned short)port};
  return at + 8;
}

static void send_request(int fd, const struct half *h) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  struct {
    struct nlmsghdr h;
    struct inet_diag_req r;
    struct nlattr bc_attr;
    unsigned char bc[16];
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.h.nlmsg_type = TCPDIAG_GETSOCK_TYPE;
  msg.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.r.idiag_family = AF_INET; /* ignored: legacy dumps match both families */
  msg.r.idiag_states = ALL_STATES;
  size_t len = NLMSG_LENGTH(sizeof msg.r), total = 0;
  if (h->filtered) {
    total = (h->lo > 0) * 8 + (h->hi < 65535) * 8; /* a bound at the end of the range needs no op */
    size_t at = 0;
    if (h->lo > 0) at = put_cmp(msg.bc, at, total, INET_DIAG_BC_S_GE, h->lo);
    if (h->hi < 65535) put_cmp(msg.bc, at, total, INET_DIAG_BC_S_LE, h->hi);
  }
  if (total) {
    msg.bc_attr.nla_type = INET_DIAG_REQ_BYTECODE;
    msg.bc_attr.nla_len = NLA_HDRLEN + total;
    len += NLA_HDRLEN + total;
  }
  msg.h.nlmsg_len = len;
  if (sendto(fd, &msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) die("sendto");
}

/* One dump of h on a socket of its own, timed from the request to NLMSG_DONE. */
static void dump(struct half *h) {
  static __thread char buf[RECV_BUF] __attribute__((aligned(8)));
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) die("socket");
  double t0 = now_ms();
  send_request(fd, h);
  h->rows = 0;
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0 && errno == EINTR) continue;
    if (len < 0) die("recv");
    for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)len); m = NLMSG_NEXT(m, len)) {
      if (m->nlmsg_type == NLMSG_DONE) goto done;
      if (m->nlmsg_type == NLMSG_ERROR) {
        errno = -((struct nlmsgerr *)NLMSG_DATA(m))->error;
        die("netlink dump");
      }
      h->rows++;
    }
  }
done:
  h->ms = now_ms() - t0;
  close(fd);
}

static void *dump_on_cpu(void *arg) {
  struct half *h = arg;
  if (h->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(h->cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity");
  }
  dump(h);
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *xs, int n) {
  qsort(xs, n, sizeof *xs, cmp_double);
  return xs[n / 2];
}

int main(int argc, char **argv) {
  int reps = 5, cut = -1, only = -1;
  const char *how = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cut") && i + 1 < argc) cut = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "alone") || !strcmp(argv[i], "threads")) how = argv[i];
    else if (!strcmp(argv[i], "half") && i + 1 < argc) how = argv[i], only = atoi(argv[++i]);
    else how = NULL, i = argc;
  }
  if (!how || reps < 1 || reps > MAX_REPS || cut < -1 || cut > 65534 || (only != -1 && only != 0 && only != 1)) {
    fprintf(stderr, "usage: nl_parts [--cut C] [--reps R] (alone | threads | half 0|1)\n");
    return 2;
  }
  static double ms[2][MAX_REPS];
  long rows[2] = {-1, -1};
  int cpus[2] = {nth_cpu(0), nth_cpu(1)};  /* before anything pins this thread */
  for (int r = 0; r < reps; r++) {
    struct half h[2] = {{.lo = 0, .hi = cut, .filtered = cut >= 0, .cpu = cpus[0]},
                        {.lo = cut + 1, .hi = 65535, .filtered = cut >= 0, .cpu = cpus[1]}};
    if (cut < 0) h[0].hi = 65535, h[1].lo = 0;
    if (!strcmp(how, "threads")) {
      pthread_t t[2];
      for (int i = 0; i < 2; i++)
        if ((errno = pthread_create(&t[i], NULL, dump_on_cpu, &h[i]))) die("pthread_create");
      for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    } else {
      for (int i = 0; i < 2; i++)
        if (only < 0 || only == i) dump_on_cpu(&h[i]);
    }
    for (int i = 0; i < 2; i++) ms[i][r] = h[i].ms, rows[i] = only < 0 || only == i ? h[i].rows : -1;
  }
  printf("{\"how\":\"%s\",\"cut\":%d,\"reps\":%d,\"medianMs\":[", how, cut, reps);
  for (int i = 0; i < 2; i++) {
    if (rows[i] < 0) printf("%snull", i ? "," : "");
    else printf("%s%.3f", i ? "," : "", median(ms[i], reps));
  }
  printf("],\"rows\":[");
  for (int i = 0; i < 2; i++) {
    if (rows[i] < 0) printf("%snull", i ? "," : "");
    else printf("%s%ld", i ? "," : "", rows[i]);
  }
  printf("]}\n");
  return 0;
}
