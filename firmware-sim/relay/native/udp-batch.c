/*
 * udp-batch: the RTP relay's socket loop outside the JS heap (issue 4). Node 20's dgram makes
 * JS objects per datagram received and sent (an ArrayBuffer, a send request) and one sendmsg per
 * datagram; at 1,000 streams that was three quarters of the relay's busy time and the source of
 * the young-generation collections that held packets past lookahead + 1 ms (docs/benchmarks.md).
 *
 * Here the sockets are plain fds: datagrams are read with recvmmsg(2) into one preallocated
 * buffer the JS side owns (fixed slots, a length and an arrival age per slot, the batch's read
 * time), and a tick's packets leave with one sendmmsg(2) per socket from another. Arrival times
 * are the kernel's (SO_TIMESTAMPNS), so a batch read late still knows when each datagram came.
 * Readiness and the release timer (a timerfd: sub-millisecond, where uv timers count whole
 * milliseconds) are uv_poll watchers on Node's own loop, each calling one JS function per event.
 *
 * Nothing here hands JS a fractional number: time goes into a Float64Array (the batch's read time
 * in the receive buffer, clock()'s reading in the caller's), and the timer's delay comes as whole
 * microseconds. A double passed to or returned from a function V8 does not inline (a native one
 * always) is a heap object (a HeapNumber, 16 bytes) per call: the relay made four a batch that
 * way, all garbage for the young generation to collect (docs/benchmarks.md, "The clock without
 * boxes").
 *
 * The JS side (udp-native.ts) keeps every decision; this file only moves bytes. Errors a user can
 * cause (address in use, bad address) come back as a thrown Error whose code is the errno name,
 * for the JS side to turn into a DgError. A connected socket's ECONNREFUSED/EAGAIN on send (the
 * peer gone, as dgram also ignores) is counted, never raised.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_BATCH 64

#define CHECK(call)                                                                         \
  do {                                                                                      \
    if ((call) != napi_ok) {                                                                \
      napi_throw_error(env, NULL, "udp-batch: N-API call failed: " #call);                  \
      return NULL;                                                                          \
    }                                                                                       \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = err == EADDRINUSE      ? "EADDRINUSE"
                     : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : err == EACCES        ? "EACCES"
                     : err == EINVAL        ? "EINVAL"
                     : err == EAFNOSUPPORT  ? "EAFNOSUPPORT"
                                            : "EIO";
  napi_throw_error(env, code, msg);
  return NULL;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1; }

/* host text + port → sockaddr; family 4 or 6. */
static int make_addr(napi_env env, napi_value host, int32_t port, int family, struct sockaddr_storage *ss, socklen_t *len) {
  char text[INET6_ADDRSTRLEN + 1];
  size_t n = 0;
  if (napi_get_value_string_utf8(env, host, text, sizeof text, &n) != napi_ok) return -1;
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

/* open(family, host, port, rcvbuf, connectHost|null, connectPort) → [fd, boundPort] */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family, port, rcvbuf, cport = 0;
  if (argc < 6 || get_i32(env, argv[0], &family) || get_i32(env, argv[2], &port) || get_i32(env, argv[3], &rcvbuf)) {
    napi_throw_type_error(env, NULL, "udp-batch open(family, host, port, rcvbuf, connectHost, connectPort)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t len;
  if (make_addr(env, argv[1], port, family, &ss, &len)) return throw_errno(env, EINVAL, "bind address");
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int on = 1;
  /* Kernel arrival stamps: a datagram read late by the loop still gets its true arrival time. */
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "bind");
  }
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[4], &t));
  if (t == napi_string) {
    struct sockaddr_storage to;
    socklen_t tolen;
    if (get_i32(env, argv[5], &cport) || make_addr(env, argv[4], cport, family, &to, &tolen)) {
      close(fd);
      return throw_errno(env, EINVAL, "connect address");
    }
    if (connect(fd, (struct sockaddr *)&to, tolen) < 0) {
      int e = errno;
      close(fd);
      return throw_errno(env, e, "connect");
    }
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  int bport = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
  napi_value out, v;
  CHECK(napi_create_array_with_length(env, 3, &out));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_int32(env, bport, &v));
  CHECK(napi_set_element(env, out, 1, v));
  CHECK(napi_create_int32(env, granted, &v));
  CHECK(napi_set_element(env, out, 2, v));
  return out;
}

/*
 * A watcher: a uv_poll on an fd (a socket to read, or a timerfd) calling a JS function.
 * For a socket, each readable event reads batches of up to `slots` datagrams into the buffer
 * (slot k at k*slotSize; lengths as int32 after the data, then arrival ages as float64, ms
 * before the read, then the read's time as one float64, CLOCK_MONOTONIC ms) and calls fn(count)
 * per batch until the socket is empty.
 */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref fn;
  napi_ref buf_ref;
  napi_async_context ctx;
  int fd;
  int is_timer;
  int closed;
  uint8_t *buf;
  int slots, slot_size;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  char ctrl[MAX_BATCH][64];
} watcher_t;

static int64_t ts_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* CLOCK_MONOTONIC in ms: the clock of uv_hrtime, so of performance.now() less its origin. */
static double mono_ms(void) { return ts_ns(CLOCK_MONOTONIC) / 1e6; }

static int call_js(watcher_t *w, int32_t n) {
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return -1;
  napi_value fn, recv, arg, result;
  napi_get_reference_value(env, w->fn, &fn);
  napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
  napi_create_int32(env, n, &arg);
  napi_status s = napi_make_callback(env, w->ctx, recv, fn, 1, &arg, &result);
  if (s == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
  return 0;
}

static void on_readable(uv_poll_t *p, int status, int events) {
  watcher_t *w = (watcher_t *)p->data;
  if (w->closed || status < 0) return;
  if (w->is_timer) {
    uint64_t expirations;
    if (read(w->fd, &expirations, sizeof expirations) != sizeof expirations) return; /* disarmed or re-armed meanwhile */
    call_js(w, 0);
    return;
  }
  int32_t *lens = (int32_t *)(w->buf + (size_t)w->slots * w->slot_size);
  double *ages = (double *)(w->buf + (size_t)w->slots * w->slot_size + (size_t)w->slots * 4);
  double *read_at = ages + w->slots;
  /* Bounded: a flood must not starve the timers (the release deadlines) of the same loop. */
  for (int round = 0; round < 16 && !w->closed; round++) {
    for (int k = 0; k < w->slots; k++) {
      w->iov[k].iov_base = w->buf + (size_t)k * w->slot_size;
      w->iov[k].iov_len = w->slot_size;
      memset(&w->msgs[k].msg_hdr, 0, sizeof w->msgs[k].msg_hdr);
      w->msgs[k].msg_hdr.msg_iov = &w->iov[k];
      w->msgs[k].msg_hdr.msg_iovlen = 1;
      w->msgs[k].msg_hdr.msg_control = w->ctrl[k];
      w->msgs[k].msg_hdr.msg_controllen = sizeof w->ctrl[k];
    }
    int n = recvmmsg(w->fd, w->msgs, w->slots, MSG_DONTWAIT, NULL);
    if (n <= 0) return; /* EAGAIN: empty; anything else: try again on the next readiness */
    /* The kernel stamps arrival on the realtime clock; ages bridge it to the monotonic one. */
    int64_t now = ts_ns(CLOCK_REALTIME);
    *read_at = mono_ms();
    for (int k = 0; k < n; k++) {
      /* A datagram larger than its slot (MSG_TRUNC) is reported as -1: the JS side counts it malformed. */
      lens[k] = (w->msgs[k].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)w->msgs[k].msg_len;
      ages[k] = 0;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&w->msgs[k].msg_hdr); c; c = CMSG_NXTHDR(&w->msgs[k].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec t;
          memcpy(&t, CMSG_DATA(c), sizeof t);
          int64_t age = now - ((int64_t)t.tv_sec * 1000000000 + t.tv_nsec);
          ages[k] = age > 0 ? age / 1e6 : 0;
        }
      }
    }
    call_js(w, n);
    if (n < w->slots) return;
  }
}

static void on_closed(uv_handle_t *h) {
  watcher_t *w = (watcher_t *)h->data;
  free(w);
}

static void finalize_watcher(napi_env env, void *data, void *hint) { (void)env, (void)data, (void)hint; }

/* watch(fd, buffer|null, slots, slotSize, fn) → handle; buffer null: fd is a timerfd made by timer(). */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, slots = 0, slot_size = 0;
  if (argc < 5 || get_i32(env, argv[0], &fd) || get_i32(env, argv[2], &slots) || get_i32(env, argv[3], &slot_size)) {
    napi_throw_type_error(env, NULL, "udp-batch watch(fd, buffer, slots, slotSize, fn)");
    return NULL;
  }
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "watch");
  w->env = env;
  w->fd = fd;
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[1], &t));
  if (t == napi_null) {
    w->is_timer = 1;
  } else {
    void *data;
    size_t len;
    CHECK(napi_get_arraybuffer_info(env, argv[1], &data, &len));
    if (slots < 1 || slots > MAX_BATCH || slots % 2 || slot_size < 16 || (size_t)slots * (slot_size + 12) + 8 > len || slot_size % 8) {
      free(w);
      napi_throw_range_error(env, NULL, "udp-batch watch: needs an even slot count, slotSize a multiple of 8, and a buffer of slots × (slotSize + 12) + 8 octets");
      return NULL;
    }
    w->buf = data;
    w->slots = slots;
    w->slot_size = slot_size;
    CHECK(napi_create_reference(env, argv[1], 1, &w->buf_ref));
  }
  CHECK(napi_create_reference(env, argv[4], 1, &w->fn));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "udp-batch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->ctx));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &w->poll, fd) != 0) {
    free(w);
    return throw_errno(env, EINVAL, "uv_poll_init");
  }
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, on_readable);
  napi_value ext;
  CHECK(napi_create_external(env, w, finalize_watcher, NULL, &ext));
  return ext;
}

/* unwatch(handle): stops the watcher; the fd stays open (close it with close()). */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  watcher_t *w;
  CHECK(napi_get_value_external(env, argv[0], (void **)&w));
  if (w->closed) return NULL;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->fn);
  if (w->buf_ref) napi_delete_reference(env, w->buf_ref);
  napi_async_destroy(env, w->ctx);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  return NULL;
}

/*
 * send(fd, buffer, table, count) → errors. table: an Int32Array's buffer of (offset, length)
 * pairs into `buffer`. One sendmmsg for the lot; a datagram the kernel refuses (ECONNREFUSED from
 * a connected socket whose peer is gone: an earlier ICMP port unreachable) is counted,
 * as is the rest of the batch on EAGAIN (a full send buffer: loopback never fills it). The
 * refusal is reported by the next send and stops that one only: it is sent again once.
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, count;
  void *data, *tab;
  size_t len, tablen;
  if (argc < 4 || get_i32(env, argv[0], &fd) || get_i32(env, argv[3], &count)) {
    napi_throw_type_error(env, NULL, "udp-batch send(fd, buffer, table, count)");
    return NULL;
  }
  CHECK(napi_get_arraybuffer_info(env, argv[1], &data, &len));
  CHECK(napi_get_arraybuffer_info(env, argv[2], &tab, &tablen));
  if (count < 0 || (size_t)count * 8 > tablen) {
    napi_throw_range_error(env, NULL, "udp-batch send: count exceeds the table");
    return NULL;
  }
  const int32_t *t = tab;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  int errors = 0;
  for (int base = 0; base < count;) {
    int n = count - base < MAX_BATCH ? count - base : MAX_BATCH;
    int valid = 0;
    for (int k = 0; k < n; k++) {
      int32_t off = t[2 * (base + k)], l = t[2 * (base + k) + 1];
      if (off < 0 || l < 0 || (size_t)off + (size_t)l > len) {
        napi_throw_range_error(env, NULL, "udp-batch send: a datagram lies outside the buffer");
        return NULL;
      }
      iov[valid].iov_base = (uint8_t *)data + off;
      iov[valid].iov_len = (size_t)l;
      memset(&msgs[valid].msg_hdr, 0, sizeof msgs[valid].msg_hdr);
      msgs[valid].msg_hdr.msg_iov = &iov[valid];
      msgs[valid].msg_hdr.msg_iovlen = 1;
      valid++;
    }
    int done = 0, retried = -1;
    while (done < valid) {
      int r = sendmmsg(fd, msgs + done, valid - done, MSG_DONTWAIT);
      if (r > 0) {
        done += r;
      } else if (r < 0 && errno == EINTR) {
        continue;
      } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        errors += valid - done;
        done = valid;
      } else if (retried != done) {
        /* A pending error from an earlier datagram (the peer's ICMP port unreachable: ECONNREFUSED)
         * is reported by this call instead of sending, and cleared by it. dgram's socket drains it on
         * its read side; here it is counted and the same datagram tried once more. */
        errors++;
        retried = done;
      } else {
        errors++; /* failed twice: this datagram is lost, the next may pass */
        done++;
      }
    }
    base += n;
  }
  napi_value out;
  CHECK(napi_create_int32(env, errors, &out));
  return out;
}

/* timer() → fd: a CLOCK_MONOTONIC timerfd, to watch() with a null buffer and arm(). */
static napi_value js_timer(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "timerfd_create");
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/*
 * arm(fd, us): fires once, `us` whole microseconds from now (0 or less: at once). An int32, so the
 * caller passes a small integer, not a boxed double (see the top of this file): up to 35 minutes.
 */
static napi_value js_arm(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, us;
  if (argc < 2 || get_i32(env, argv[0], &fd) || get_i32(env, argv[1], &us)) {
    napi_throw_type_error(env, NULL, "udp-batch arm(fd, microseconds)");
    return NULL;
  }
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  /* A zero it_value disarms: the earliest real expiry is one nanosecond. */
  int64_t ns = us <= 0 ? 1 : (int64_t)us * 1000;
  its.it_value.tv_sec = ns / 1000000000;
  its.it_value.tv_nsec = ns % 1000000000;
  timerfd_settime(fd, 0, &its, NULL);
  return NULL;
}

/* clock(buffer): writes CLOCK_MONOTONIC ms into the buffer's first float64; returns nothing (see the top). */
static napi_value js_clock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data;
  size_t len;
  if (argc < 1 || napi_get_arraybuffer_info(env, argv[0], &data, &len) != napi_ok || len < sizeof(double)) {
    napi_throw_type_error(env, NULL, "udp-batch clock(buffer of at least 8 octets)");
    return NULL;
  }
  *(double *)data = mono_ms();
  return NULL;
}

/*
 * pending(fd): whether a datagram waits in the socket's receive queue (a one-octet MSG_PEEK, which
 * takes nothing). The release timer asks before acting on deadlines: after a stall of the loop the
 * queue holds datagrams that arrived before those deadlines passed (rtp-relay.ts, releaseDue).
 */
static napi_value js_pending(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || get_i32(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "udp-batch pending(fd)");
    return NULL;
  }
  char octet;
  napi_value out;
  CHECK(napi_get_boolean(env, recv(fd, &octet, 1, MSG_PEEK | MSG_DONTWAIT) >= 0, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (get_i32(env, argv[0], &fd) == 0 && fd >= 0) close(fd);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"timer", NULL, js_timer, NULL, NULL, NULL, napi_default, NULL},
      {"arm", NULL, js_arm, NULL, NULL, NULL, napi_default, NULL},
      {"clock", NULL, js_clock, NULL, NULL, NULL, napi_default, NULL},
      {"pending", NULL, js_pending, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
