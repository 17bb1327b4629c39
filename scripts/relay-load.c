/*
 * Load generator and sink for scripts/bench-relay.ts (issue 4): N callers sending 20 ms G.711 RTP
 * to N relay ports, paced on CLOCK_MONOTONIC and sent in batches with sendmmsg(2), and the agent
 * (forward) and recorder (mirror) sides receiving what the relay sends with recvmmsg(2). Written in
 * C because a Node generator on one thread could not send and receive 150,000 datagrams a second
 * (1,000 streams in, forward and mirror out) and fell behind before the relay did.
 *
 * Every packet's send time (CLOCK_MONOTONIC, just before its sendmmsg) is kept by stream (SSRC -
 * base) and sequence number; a packet's added delay is its arrival time at the sink socket minus
 * its send time, on each side. The arrival time is the kernel's SO_TIMESTAMPNS stamp, taken on
 * CLOCK_REALTIME and brought to CLOCK_MONOTONIC by the two clocks' offset at the read. So the sinks
 * are read on this process's own 200 µs tick, never woken by the relay's datagrams (a wake-up per
 * send would cost the relay an inter-processor interrupt each), and a late read is not a late
 * packet. The generator's own faults are reported apart, so they are never blamed on the relay:
 *   send lag: how far behind its schedule a packet was sent;
 *   receive lag: how long a packet sat in the sink socket before this process read it.
 *
 * Usage: relay-load STREAMS SECONDS LOOKAHEAD_MS WARMUP_S PT AUDIO_FILE
 *   PT: 8 (PCMA) or 0 (PCMU), the codec of AUDIO_FILE (raw codewords, looped; stream k starts at its
 *   own offset in it). Prints {"event":"ready","forward":PORT,"mirror":PORT}, then reads STREAMS
 *   relay ports (decimal, whitespace-separated) on stdin, runs, and prints one JSON result line.
 *
 * "Late": added delay above LOOKAHEAD_MS + 1 ms (issue 4's target). The measured interval is every
 * packet sent after WARMUP_S except each stream's last LOOKAHEAD/20 ms packets: no audio follows
 * them, so the relay holds them to its jitter deadline by design (firmware-sim/relay/rtp-stream.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PTIME_NS 20000000LL
#define PKT 160 /* 20 ms at 8 kHz (G.711: one octet a sample) */
#define HDR 12  /* RTP fixed header, RFC 3550 §5.1 */
#define SSRC_BASE 0x10000000u
#define BATCH 256
#define SOCKBUF (16 << 20)
/* Wake at most this often: batches of a few packets rather than a syscall per packet (1,000 streams
 * are a packet every 20 µs), at the cost of sending up to this late. */
#define TICK_NS 200000LL

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int64_t real_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "relay-load: %s: %s\n", what, strerror(errno));
  exit(2);
}

/* Large socket buffers: a burst while the other side is descheduled must queue, not drop.
 * SO_*BUFFORCE passes net.core.[rw]mem_max when privileged; otherwise the capped size is used. */
static void bufsize(int fd, int force, int plain) {
  int v = SOCKBUF;
  if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof v) != 0) setsockopt(fd, SOL_SOCKET, plain, &v, sizeof v);
}

static int sink_socket(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  bufsize(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) die("SO_TIMESTAMPNS");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  return fd;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Per side: what came back, and the added delays of the measured packets. */
struct side {
  int fd;
  const char *name;
  uint8_t *seen; /* per packet: received already (a second copy is a duplicate) */
  int64_t received, duplicates, unknown;
};

static int n, per_stream, tail_packets;
static int64_t t0, warmup_end, *sent_at, limit_ns;
static float *delays; /* ms, measured packets, both sides */
static int64_t n_delays, late, warmup_late, tail_late;
static float warmup_max, tail_max;
static int64_t max_recv_lag, recv_lag_over_1ms;

static void drain(struct side *s) {
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static uint8_t bufs[BATCH][HDR + 1500];
  static char ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
      msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1, .msg_control = ctl[i], .msg_controllen = sizeof ctl[i]};
    }
    int got = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      die("recvmmsg");
    }
    /* The clocks' offset now, not at start: NTP may slew CLOCK_REALTIME during a run. */
    int64_t now = mono_ns();
    int64_t now_real = real_ns();
    int64_t offset = now_real - now;
    for (int i = 0; i < got; i++) {
      const uint8_t *b = bufs[i];
      if (msgs[i].msg_len < HDR) {
        s->unknown++;
        continue;
      }
      int64_t arrived = now; /* without a kernel stamp: when this process read it */
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arrived = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - offset;
          int64_t lag = now - arrived;
          if (lag > max_recv_lag) max_recv_lag = lag;
          if (lag > 1000000) recv_lag_over_1ms++;
        }
      }
      uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
      uint32_t seq = (uint32_t)b[2] << 8 | b[3];
      uint32_t k = ssrc - SSRC_BASE;
      if (k >= (uint32_t)n || seq >= (uint32_t)per_stream) {
        s->unknown++;
        continue;
      }
      int64_t j = (int64_t)k * per_stream + seq;
      if (s->seen[j]) {
        s->duplicates++;
        continue;
      }
      s->seen[j] = 1;
      s->received++;
      int64_t d = arrived - sent_at[j];
      float ms = (float)d / 1e6f;
      if (sent_at[j] < warmup_end) {
        if (d > limit_ns) warmup_late++;
        if (ms > warmup_max) warmup_max = ms;
      } else if ((int)seq >= per_stream - tail_packets) {
        if (d > limit_ns) tail_late++;
        if (ms > tail_max) tail_max = ms;
      } else {
        delays[n_delays++] = ms;
        if (d > limit_ns) late++;
      }
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: relay-load STREAMS SECONDS LOOKAHEAD_MS WARMUP_S PT AUDIO_FILE\n");
    return 2;
  }
  n = atoi(argv[1]);
  double seconds = atof(argv[2]);
  int lookahead_ms = atoi(argv[3]);
  double warmup_s = atof(argv[4]);
  int pt = atoi(argv[5]);
  if (n < 1 || seconds <= warmup_s || lookahead_ms < 1 || (pt != 0 && pt != 8)) {
    fprintf(stderr, "relay-load: bad arguments\n");
    return 2;
  }
  per_stream = (int)(seconds * 1000 / 20);
  if (per_stream > 65536) per_stream = 65536; /* one sequence-number cycle identifies a packet */
  tail_packets = (lookahead_ms + 19) / 20;
  limit_ns = (int64_t)(lookahead_ms + 1) * 1000000LL;

  FILE *f = fopen(argv[6], "rb");
  if (!f) die(argv[6]);
  fseek(f, 0, SEEK_END);
  long audio_len = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (audio_len < PKT * 2) {
    fprintf(stderr, "relay-load: audio file too short\n");
    return 2;
  }
  uint8_t *audio = malloc(audio_len);
  if (fread(audio, 1, audio_len, f) != (size_t)audio_len) die("read audio");
  fclose(f);

  struct side sides[2] = {{.name = "forward"}, {.name = "mirror"}};
  uint16_t ports[2];
  for (int s = 0; s < 2; s++) sides[s].fd = sink_socket(&ports[s]);
  printf("{\"event\":\"ready\",\"forward\":%u,\"mirror\":%u}\n", ports[0], ports[1]);
  fflush(stdout);

  struct sockaddr_in *dest = calloc(n, sizeof *dest);
  for (int k = 0; k < n; k++) {
    unsigned p;
    if (scanf("%u", &p) != 1 || p == 0 || p > 65535) {
      fprintf(stderr, "relay-load: expected %d relay ports on stdin\n", n);
      return 2;
    }
    dest[k] = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(p), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  }

  /* One unconnected socket sends every caller's packets (sendmmsg, a destination per message). */
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  if (tx < 0) die("socket");
  bufsize(tx, SO_SNDBUFFORCE, SO_SNDBUF);

  int64_t total = (int64_t)n * per_stream;
  sent_at = calloc(total, sizeof *sent_at);
  delays = malloc(sizeof *delays * total * 2);
  for (int s = 0; s < 2; s++) sides[s].seen = calloc(total, 1);
  if (!sent_at || !delays || !sides[0].seen || !sides[1].seen) die("malloc");
  uint8_t(*pkts)[HDR + PKT] = malloc((size_t)BATCH * (HDR + PKT));
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  int64_t batch_j[BATCH];

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  /* Packet j = i·N + k (stream k, its i-th packet) is due at t0 + j·20ms/N: the streams' packet
   * clocks spread evenly over each 20 ms, as independent callers' would be. */
  t0 = mono_ns() + 50000000LL;
  warmup_end = t0 + (int64_t)(warmup_s * 1e9);
  int64_t next = 0, sent = 0, max_send_lag = 0, sends_over_1ms = 0, send_errors = 0;

  while (next < total) {
    int64_t now = mono_ns(), woke = now;
    int b = 0;
    while (next < total && b < BATCH) {
      int64_t due = t0 + next * PTIME_NS / n;
      if (due > now) break;
      int k = (int)(next % n), i = (int)(next / n);
      uint8_t *p = pkts[b];
      uint32_t ssrc = SSRC_BASE + (uint32_t)k, ts = (uint32_t)i * PKT;
      p[0] = 0x80;
      p[1] = (uint8_t)pt;
      p[2] = (uint8_t)(i >> 8), p[3] = (uint8_t)i;
      p[4] = ts >> 24, p[5] = ts >> 16, p[6] = ts >> 8, p[7] = ts;
      p[8] = ssrc >> 24, p[9] = ssrc >> 16, p[10] = ssrc >> 8, p[11] = ssrc;
      long off = ((long)k * 7919 * PKT + (long)i * PKT) % (audio_len - PKT);
      memcpy(p + HDR, audio + off, PKT);
      iov[b] = (struct iovec){p, HDR + PKT};
      msgs[b].msg_hdr = (struct msghdr){.msg_name = &dest[k], .msg_namelen = sizeof dest[k], .msg_iov = &iov[b], .msg_iovlen = 1};
      int64_t lag = now - due;
      if (lag > max_send_lag) max_send_lag = lag;
      if (lag > 1000000) sends_over_1ms++;
      batch_j[b++] = (int64_t)k * per_stream + i; /* stream-major, as the sinks look packets up */
      next++;
    }
    if (b > 0) {
      int64_t at = mono_ns();
      for (int x = 0; x < b; x++) sent_at[batch_j[x]] = at;
      int done = 0;
      while (done < b) {
        int r = sendmmsg(tx, msgs + done, b - done, 0);
        if (r < 0) {
          if (errno == EINTR) continue;
          /* A refused destination (ICMP port unreachable) fails one message: skip it, count it. */
          send_errors++;
          done++;
          continue;
        }
        done += r;
        sent += r;
      }
      if (b == BATCH) continue; /* behind schedule: send on before reading */
    }
    drain(&sides[0]);
    drain(&sides[1]);
    if (next < total) {
      int64_t due = t0 + next * PTIME_NS / n;
      if (due < woke + TICK_NS) due = woke + TICK_NS;
      int64_t wait = due - mono_ns();
      if (wait > 0) {
        /* A sleep, not a poll on the sinks: a wake-up per datagram the relay sends would charge
         * the relay an inter-processor interrupt per send. Arrival times come from the kernel. */
        struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
        nanosleep(&ts, NULL);
      }
    }
  }
  /* The tail packets leave at the relay's jitter deadline: wait for them (and stragglers). */
  int64_t end = mono_ns() + 1000000000LL;
  while (mono_ns() < end && (sides[0].received < sent || sides[1].received < sent)) {
    drain(&sides[0]);
    drain(&sides[1]);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  drain(&sides[0]);
  drain(&sides[1]);
  getrusage(RUSAGE_SELF, &ru1);
  double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6;

  /* Measured packets the relay never delivered count against it too. */
  int64_t measured_sent = 0, measured_lost = 0;
  for (int64_t j = 0; j < total; j++) {
    int seq = (int)(j % per_stream);
    if (sent_at[j] < warmup_end || seq >= per_stream - tail_packets) continue;
    measured_sent++;
    measured_lost += !sides[0].seen[j];
    measured_lost += !sides[1].seen[j];
  }
  qsort(delays, n_delays, sizeof *delays, cmp_float);
#define Q(f) (n_delays ? delays[(int64_t)((f) * (n_delays - 1) + 0.5)] : -1.0f)
  printf("{\"event\":\"result\",\"streams\":%d,\"seconds\":%g,\"warmup_s\":%g,\"lookahead_ms\":%d,\"limit_ms\":%d,"
         "\"sent\":%lld,\"send_errors\":%lld,"
         "\"received\":{\"forward\":%lld,\"mirror\":%lld},\"lost\":{\"forward\":%lld,\"mirror\":%lld},"
         "\"duplicates\":%lld,\"unknown\":%lld,"
         "\"measured\":{\"packets_sent\":%lld,\"delays\":%lld,\"lost\":%lld,\"late\":%lld,"
         "\"min_ms\":%.3f,\"median_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f},"
         "\"warmup\":{\"late\":%lld,\"max_ms\":%.3f},\"tail\":{\"late\":%lld,\"max_ms\":%.3f},"
         "\"generator\":{\"max_send_lag_ms\":%.3f,\"sends_over_1ms_behind\":%lld,"
         "\"max_receive_lag_ms\":%.3f,\"receives_over_1ms_queued\":%lld,\"cpu_s\":%.3f}}\n",
         n, seconds, warmup_s, lookahead_ms, lookahead_ms + 1, (long long)sent, (long long)send_errors,
         (long long)sides[0].received, (long long)sides[1].received, (long long)(sent - sides[0].received),
         (long long)(sent - sides[1].received), (long long)(sides[0].duplicates + sides[1].duplicates),
         (long long)(sides[0].unknown + sides[1].unknown), (long long)measured_sent, (long long)n_delays,
         (long long)measured_lost, (long long)late, Q(0), Q(0.5), Q(0.99), Q(0.999), Q(1), (long long)warmup_late,
         warmup_max, (long long)tail_late, tail_max, max_send_lag / 1e6, (long long)sends_over_1ms,
         max_recv_lag / 1e6, (long long)recv_lag_over_1ms, cpu);
  return 0;
}
