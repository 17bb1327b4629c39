/*
 * The verifier's attacker receiver (src/verify/attacker-detector.ts) with its high-group screen
 * (src/verify/high-group-screen.ts) and its per-window analysis (src/dsp/detector-block.ts
 * DtmfBlockAnalyzer.analyze with full = false, GoertzelBank4.run and .phasor in goertzel.ts),
 * ported for speed: the receiver judges a 10 ms window every 2 ms, so in JS it cost about three
 * quarters of the verifier's in-band CPU (docs/benchmarks.md, "Where the time goes").
 *
 * Same rule as channel-kernel.c, which this file is linked with (one module, one allocator): the
 * reference's floating-point operations in the reference's order, so every fragment (key, span,
 * hits) is the reference's bit for bit. Built with -ffp-contract=off (no fused multiply-add);
 * every constant computed with Math.cos, Math.sin or powers comes from the JS side, and atan2 is
 * Math.atan2, imported. The differential tests are test/unit/verify/attacker-kernel*.test.ts.
 *
 * Only the configuration the verifier runs is ported: 8 kHz, 80-sample windows, 16-sample hops,
 * the screen on. Anything else runs the JS reference (src/verify/attacker-receiver.ts decides).
 */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

extern double js_atan2(double y, double x) __attribute__((import_module("env"), import_name("atan2")));
extern void *k_alloc(uint32_t n);

#define N 80        /* window (the analyzer's block): 10 ms at 8 kHz */
#define HOP 16      /* window step and screen hop: 2 ms */
#define HOPS 5      /* hops per window */
#define RING 8      /* screen ring of hop results (a power of two above HOPS) */
#define CAP (N * 64) /* samples buffered, as the reference's buffer */
#define NO_KEY (-1)
#define PI_JS 3.141592653589793

/* Fragments closed during one call: at most one per two hits, far under this for a call of at
 * most ATT_PIECE samples (src/verify/attacker-receiver.ts). */
#define MAX_FRAGMENTS 1024
static double out_frags[4 * MAX_FRAGMENTS];
static int32_t n_frags = 0;

/*
 * Constants, one shared block (k_att_consts, filled once by JS), in this order:
 *  0..23   low-group GoertzelBank4 constants (goertzel.ts: 2cos ω, cos/−sin ω(N−1), cos/−sin ω, Hz)
 *  24..47  high-group ones, the same layout
 *  48..303 pair-fit inverses (detector-block.ts pairInverses), 16 per (row, col)
 *  304..313 analyzer thresholds (DtmfBlockAnalyzer.kernelParams values: gate, toneFloor, share,
 *          purity, twistHigh, twistLow, domLow, domHigh, toEnergy, blockSize)
 *  314..325 screen: 2cos ω (4), cos ω (4), −sin ω (4)
 *  326..345 screen rotations re (20), 346..365 im (20)
 *  366, 367 screen gate, half floor
 *  368..375 attacker stepCos, 376..383 stepSin, 384..391 freqs
 *  392 loudWeak, 393 longSamples, 394 minPeakShare, 395 maxDeviation, 396 minHits, 397 sampleRate
 */
#define C_LOW 0
#define C_HIGH 24
#define C_INV 48
#define C_AN 304
#define C_SK 314
#define C_ROTRE 326
#define C_ROTIM 346
#define C_SGATE 366
#define C_SHALF 367
#define C_STEPCOS 368
#define C_STEPSIN 376
#define C_FREQS 384
#define C_LOUDWEAK 392
#define C_LONG 393
#define C_PEAKSHARE 394
#define C_MAXDEV 395
#define C_MINHITS 396
#define C_RATE 397
#define C_COUNT 398

static double K[C_COUNT];

EXPORT(k_att_consts) double *k_att_consts(void) { return K; }
EXPORT(k_att_frags) double *k_att_frags(void) { return out_frags; }

typedef struct {
  /* screen (high-group-screen.ts) */
  double sre[RING * 4], sim[RING * 4], ssq[RING], ssum[RING];
  int64_t hops;
  /* analyzer results of the last window (detector-block.ts) */
  double energy, pairLowEnergy, pairHighEnergy;
  double pairLow[2], pairHigh[2];
  double lowState[8], highState[8], lowPower[4], highPower[4];
  /* run (attacker-detector.ts) */
  int64_t next, bufStart;
  int32_t bufLen;
  int32_t runKey, runRow, runCol, runHits;
  int64_t runStart, runEnd, runLastHit;
  double accLowRe, accLowIm, accHighRe, accHighIm;
  double prevLow[2], prevHigh[2];
  double runPeakShare, runPeakWeak;
  int16_t buf[CAP];
} Att;

EXPORT(k_att_bytes) uint32_t k_att_bytes(void) { return (uint32_t)sizeof(Att); }

EXPORT(k_att_new) Att *k_att_new(void) {
  Att *a = (Att *)k_alloc(sizeof(Att));
  if (!a) return 0;
  a->runKey = NO_KEY;
  return a;
}

/* ---------------------------------------------------------------- screen -------------------- */

/* HighGroupScreen.hop: the 4 high-group bins (as y values), Σx², Σx of one hop into `slot`. */
static void screen_hop(Att *a, const int16_t *x, int slot) {
  const double *k = K + C_SK;
  const double c0 = k[0], c1 = k[1], c2 = k[2], c3 = k[3];
  double sq = 0;
  int32_t sum = 0;
  double a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
  for (int i = 0; i < HOP; i++) {
    const int32_t vi = x[i];
    const double v = (double)vi;
    sum = sum + vi;
    sq += (double)(vi * vi);
    const double a0 = v - a2 + c0 * a1;
    a2 = a1;
    a1 = a0;
    const double b0 = v - b2 + c1 * b1;
    b2 = b1;
    b1 = b0;
    const double d0 = v - d2 + c2 * d1;
    d2 = d1;
    d1 = d0;
    const double e0 = v - e2 + c3 * e1;
    e2 = e1;
    e1 = e0;
  }
  const int b = slot * 4;
  a->sre[b] = a1 - k[4] * a2;
  a->sim[b] = -k[8] * a2;
  a->sre[b + 1] = b1 - k[5] * b2;
  a->sim[b + 1] = -k[9] * b2;
  a->sre[b + 2] = d1 - k[6] * d2;
  a->sim[b + 2] = -k[10] * d2;
  a->sre[b + 3] = e1 - k[7] * e2;
  a->sim[b + 3] = -k[11] * e2;
  a->ssq[slot] = sq;
  a->ssum[slot] = (double)sum;
}

/* HighGroupScreen.mayPass: 0 when the analyzer is certain to find no key in the window at `at`. */
static int may_pass(Att *a, int64_t at) {
  const double SAFETY = 0.97;
  const int64_t first = at / HOP;
  const int64_t last = first + HOPS;
  if (a->hops < first) a->hops = first;
  while (a->hops < last) {
    screen_hop(a, a->buf + (a->hops * HOP - a->bufStart), (int)(a->hops & (RING - 1)));
    a->hops++;
  }
  const int m = RING - 1;
  const int s0 = (int)(first & m), s1 = (int)((first + 1) & m), s2 = (int)((first + 2) & m), s3 = (int)((first + 3) & m),
            s4 = (int)((first + 4) & m);
  const double *q = a->ssq, *u = a->ssum;
  const double sum = u[s0] + u[s1] + u[s2] + u[s3] + u[s4];
  const double e = q[s0] + q[s1] + q[s2] + q[s3] + q[s4] - (sum * sum) / (double)N;
  if (e < SAFETY * K[C_SGATE]) return 0;
  const double *re = a->sre, *im = a->sim, *rr = K + C_ROTRE, *ri = K + C_ROTIM;
  double h1 = 0;
  for (int f = 0; f < 4; f++) {
    const int r = f * HOPS;
    const int y0 = s0 * 4 + f, y1 = s1 * 4 + f, y2 = s2 * 4 + f, y3 = s3 * 4 + f, y4 = s4 * 4 + f;
    const double xr = re[y0] * rr[r] - im[y0] * ri[r] + re[y1] * rr[r + 1] - im[y1] * ri[r + 1] + re[y2] * rr[r + 2] - im[y2] * ri[r + 2]
      + re[y3] * rr[r + 3] - im[y3] * ri[r + 3] + re[y4] * rr[r + 4] - im[y4] * ri[r + 4];
    const double xi = re[y0] * ri[r] + im[y0] * rr[r] + re[y1] * ri[r + 1] + im[y1] * rr[r + 1] + re[y2] * ri[r + 2] + im[y2] * rr[r + 2]
      + re[y3] * ri[r + 3] + im[y3] * rr[r + 3] + re[y4] * ri[r + 4] + im[y4] * rr[r + 4];
    const double v = xr * xr + xi * xi;
    if (v > h1) h1 = v;
  }
  h1 = (h1 * 2) / (double)N;
  return !(h1 < SAFETY * K[C_SHALF] || h1 < SAFETY * 0.03 * e);
}

/* ---------------------------------------------------------------- analyzer ------------------ */

/* GoertzelBank4.run over x[0..N): final states (s[N−1] at i, s[N−2] at 4 + i) and powers. */
static void bank_run(const double *k, const int16_t *x, double *s, double *p) {
  const double c0 = k[0], c1 = k[1], c2 = k[2], c3 = k[3];
  double a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
  for (int i = 0; i < N; i++) {
    const double v = (double)x[i];
    const double a0 = v - a2 + c0 * a1;
    a2 = a1;
    a1 = a0;
    const double b0 = v - b2 + c1 * b1;
    b2 = b1;
    b1 = b0;
    const double d0 = v - d2 + c2 * d1;
    d2 = d1;
    d1 = d0;
    const double e0 = v - e2 + c3 * e1;
    e2 = e1;
    e1 = e0;
  }
  s[0] = a1; s[4] = a2; p[0] = a1 * a1 + a2 * a2 - k[0] * a1 * a2;
  s[1] = b1; s[5] = b2; p[1] = b1 * b1 + b2 * b2 - k[1] * b1 * b2;
  s[2] = d1; s[6] = d2; p[2] = d1 * d1 + d2 * d2 - k[2] * d1 * d2;
  s[3] = e1; s[7] = e2; p[3] = e1 * e1 + e2 * e2 - k[3] * e1 * e2;
}

/* GoertzelBank4.phasor: the block-start-referenced bin of filter i. */
static void bank_phasor(const double *k, const double *state, int i, double *out) {
  const double s1 = state[i];
  const double s2 = state[4 + i];
  const double yRe = s1 - k[12 + i] * s2;
  const double yIm = -k[16 + i] * s2;
  out[0] = yRe * k[4 + i] - yIm * k[8 + i];
  out[1] = yRe * k[8 + i] + yIm * k[4 + i];
}

/* DtmfBlockAnalyzer.analyze(x, 0, false). The reference takes the energy in the high-group pass
 * after a sounded block and alone after silence; both are exact integer sums, so one path here. */
static int analyze(Att *a, const int16_t *x) {
  const double *an = K + C_AN;
  const double gate = an[0], toneFloor = an[1], share = an[2], purity = an[3], twistHigh = an[4], twistLow = an[5],
               domLow = an[6], domHigh = an[7], kE = an[8];
  int32_t s = 0;
  double sq = 0;
  for (int i = 0; i < N; i++) {
    const int32_t v = x[i];
    s += v;
    sq += (double)(v * v);
  }
  const double sum = (double)s;
  const double e = sq - (sum * sum) / (double)N;
  a->energy = e;
  if (e < gate) return NO_KEY;

  bank_run(K + C_HIGH, x, a->highState, a->highPower);
  int col = 0;
  double h1 = 0, h2 = 0;
  for (int i = 0; i < 4; i++) {
    const double v = a->highPower[i] * kE;
    if (v > h1) {
      h2 = h1;
      h1 = v;
      col = i;
    } else if (v > h2) {
      h2 = v;
    }
  }
  if (h1 < 0.5 * toneFloor || h1 < 0.03 * e) return NO_KEY;

  bank_run(K + C_LOW, x, a->lowState, a->lowPower);
  int row = 0;
  double l1 = 0, l2 = 0;
  for (int i = 0; i < 4; i++) {
    const double v = a->lowPower[i] * kE;
    if (v > l1) {
      l2 = l1;
      l1 = v;
      row = i;
    } else if (v > l2) {
      l2 = v;
    }
  }

  /* fitPair → fitPhasors */
  double zl[2], zh[2];
  bank_phasor(K + C_LOW, a->lowState, row, zl);
  bank_phasor(K + C_HIGH, a->highState, col, zh);
  const double m0 = zl[0], m1 = -zl[1], m2 = zh[0], m3 = -zh[1];
  const double *g = K + C_INV + (row * 4 + col) * 16;
  const double pl = g[0] * m0 + g[1] * m1 + g[2] * m2 + g[3] * m3;
  const double ql = g[4] * m0 + g[5] * m1 + g[6] * m2 + g[7] * m3;
  const double ph = g[8] * m0 + g[9] * m1 + g[10] * m2 + g[11] * m3;
  const double qh = g[12] * m0 + g[13] * m1 + g[14] * m2 + g[15] * m3;
  const double half = (double)N / 2;
  const double lt = (pl * pl + ql * ql) * half;
  const double ht = (ph * ph + qh * qh) * half;
  a->pairLowEnergy = lt;
  a->pairHighEnergy = ht;
  a->pairLow[0] = pl;
  a->pairLow[1] = -ql;
  a->pairHigh[0] = ph;
  a->pairHigh[1] = -qh;

  /* judgePair */
  if (lt < toneFloor || ht < toneFloor) return NO_KEY;
  if (lt + ht < share * e) return NO_KEY;
  if (ht > twistHigh * lt || ht < twistLow * lt) return NO_KEY;
  if (lt < domLow * l2 || ht < domHigh * h2) return NO_KEY;
  if (ht < purity * (e - lt) || lt < purity * (e - ht)) return NO_KEY;
  return row * 4 + col;
}

/* ---------------------------------------------------------------- runs ---------------------- */

static void accumulate(Att *a) {
  const double *c = a->pairLow, *p = a->prevLow;
  const double lc = K[C_STEPCOS + a->runRow], ls = K[C_STEPSIN + a->runRow];
  double re = c[0] * p[0] + c[1] * p[1];
  double im = c[1] * p[0] - c[0] * p[1];
  a->accLowRe += re * lc + im * ls;
  a->accLowIm += im * lc - re * ls;
  const double *d = a->pairHigh, *q = a->prevHigh;
  const double hc = K[C_STEPCOS + 4 + a->runCol], hs = K[C_STEPSIN + 4 + a->runCol];
  re = d[0] * q[0] + d[1] * q[1];
  im = d[1] * q[0] - d[0] * q[1];
  a->accHighRe += re * hc + im * hs;
  a->accHighIm += im * hc - re * hs;
}

static double dev(double re, double im, double f) {
  if (re == 0 && im == 0) return 0;
  const double r = (js_atan2(im, re) * K[C_RATE]) / (2 * PI_JS * HOP) / f;
  return r < 0 ? -r : r;
}

static double run_deviation(Att *a) {
  const double l = dev(a->accLowRe, a->accLowIm, K[C_FREQS + a->runRow]);
  const double h = dev(a->accHighRe, a->accHighIm, K[C_FREQS + 4 + a->runCol]);
  return l > h ? l : h;
}

/* Math.round: ties toward +∞ (channel-kernel.c js_round). */
static double round_js(double x) {
  double r = __builtin_ceil(x);
  if (r - 0.5 > x) r -= 1.0;
  return r;
}

static void close_run(Att *a) {
  const int judgedByQ24 = (double)(a->runEnd - a->runStart) - 0.8 * N >= K[C_LONG] && a->runPeakWeak >= K[C_LOUDWEAK];
  if (a->runKey != NO_KEY && a->runHits >= (int32_t)K[C_MINHITS] && !judgedByQ24 && a->runPeakShare >= K[C_PEAKSHARE] &&
      run_deviation(a) <= K[C_MAXDEV] && n_frags < MAX_FRAGMENTS) {
    const double trim = round_js(0.4 * N);
    double s = (double)a->runStart + trim;
    double e = (double)a->runEnd - trim;
    if (e - s < HOP) {
      const double mid = ((double)a->runStart + (double)a->runEnd) / 2;
      s = round_js(mid - (double)HOP / 2);
      e = s + HOP;
    }
    double *o = out_frags + 4 * n_frags++;
    o[0] = a->runKey;
    o[1] = s;
    o[2] = e;
    o[3] = a->runHits;
  }
  a->runKey = NO_KEY;
  a->runHits = 0;
}

/* AttackerDetector.scan: every whole window in the buffer. */
static void scan(Att *a) {
  while (a->next + N <= a->bufStart + a->bufLen) {
    const int64_t at = a->next;
    const int key = may_pass(a, at) ? analyze(a, a->buf + (at - a->bufStart)) : NO_KEY;
    if (key != NO_KEY) {
      if (key == a->runKey && at - a->runLastHit <= 2 * HOP) {
        if (at - a->runLastHit == HOP) accumulate(a);
        a->runHits++;
        a->runEnd = at + N;
        a->runLastHit = at;
      } else {
        close_run(a);
        a->runKey = key;
        a->runStart = at;
        a->runEnd = at + N;
        a->runHits = 1;
        a->runLastHit = at;
        a->runRow = key >> 2;
        a->runCol = key & 3;
        a->accLowRe = a->accLowIm = a->accHighRe = a->accHighIm = 0;
        a->runPeakShare = 0;
        a->runPeakWeak = 0;
      }
      const double lt = a->pairLowEnergy, ht = a->pairHighEnergy;
      const double weak = lt < ht ? lt : ht;
      if (weak > a->runPeakWeak) a->runPeakWeak = weak;
      const double share = (lt + ht) / a->energy;
      if (share > a->runPeakShare) a->runPeakShare = share;
      a->prevLow[0] = a->pairLow[0];
      a->prevLow[1] = a->pairLow[1];
      a->prevHigh[0] = a->pairHigh[0];
      a->prevHigh[1] = a->pairHigh[1];
    } else if (a->runKey != NO_KEY && at - a->runLastHit > 2 * HOP) {
      close_run(a);
    }
    a->next += HOP;
  }
}

static void compact(Att *a) {
  const int32_t keep = (int32_t)(a->bufStart + a->bufLen - a->next);
  const int32_t from = (int32_t)(a->next - a->bufStart);
  for (int32_t i = 0; i < keep; i++) a->buf[i] = a->buf[from + i];
  a->bufStart = a->next;
  a->bufLen = keep;
}

/* AttackerDetector.process: returns the number of fragments closed (at k_att_frags, 4 doubles
 * each: key, start sample, end sample, hits). */
EXPORT(k_att_run) int32_t k_att_run(Att *a, const int16_t *x, int32_t n) {
  n_frags = 0;
  int32_t i = 0;
  while (i < n) {
    if (a->bufLen == CAP) compact(a);
    int32_t take = n - i;
    if (take > CAP - a->bufLen) take = CAP - a->bufLen;
    for (int32_t j = 0; j < take; j++) a->buf[a->bufLen + j] = x[i + j];
    a->bufLen += take;
    i += take;
    scan(a);
  }
  return n_frags;
}

/* AttackerDetector.flush: closes an open fragment and restarts the stream at sample 0. */
EXPORT(k_att_flush) int32_t k_att_flush(Att *a) {
  n_frags = 0;
  close_run(a);
  a->bufLen = 0;
  a->bufStart = 0;
  a->next = 0;
  a->hops = 0;
  return n_frags;
}
