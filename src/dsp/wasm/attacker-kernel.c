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
#include <wasm_simd128.h>

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
 * The screen's verdict on the windows that are also Q.24 blocks (window start a multiple of N,
 * src/dsp/detector.ts's block grid), for the Q.24 receiver the in-band scanner runs on the same
 * audio (src/verify/inband-scanner.ts): 0 where the screen is certain the analyzer finds no key.
 * The screen's thresholds (−50 dBm0 floor, the same 3% high-group share) are looser than the
 * Q.24 analyzer's (−38 dBm0), so such a block is no key to it either, and it may skip the filters.
 * Per k_att_run call: gate_info = [block index of the first flag, flags written], or a count of 0
 * when the call had more such windows than MAX_GATE (the receiver then runs every block).
 */
#define MAX_GATE 64
static uint8_t gate_flags[MAX_GATE];
static double gate_info[2];
static int32_t n_gate = 0;

EXPORT(k_att_gate) double *k_att_gate(void) { return gate_info; }
EXPORT(k_att_gate_flags) uint8_t *k_att_gate_flags(void) { return gate_flags; }

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
  /* the fitted pair of the window being judged (detector-block.ts pairLow/pairHigh) */
  double pairLow[2], pairHigh[2];
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

/* Windows one scan can judge: every window start in the buffer. */
#define MAXW (CAP / HOP + 1)

/*
 * The hops of one scan (HighGroupScreen.hop results), in order from the hop where the scan's first
 * window starts: the 4 high-group bins as y values, Σx², Σx. The channel's ring keeps the last
 * RING of them for the next scan, whose first windows start in hops already computed.
 */
#define MAXH (MAXW + HOPS)
static double Hre[MAXH * 4], Him[MAXH * 4], Hsq[MAXH], Hsum[MAXH];

/* The samples of one scan as f64, from its first window's start (scan, XD[i] = sample first + i). */
static double XD[CAP];

/* Σx² and Σx of one hop: exact integer sums, in any order. Σx² in an integer (at most
 * 16 · 2^30 < 2^53), so the f64 it becomes equals the reference's sum of doubles, which is exact
 * too; a sum of doubles waits on each add, an integer sum vectorizes. */
static void hop_sums(const int16_t *x, int j) {
  int64_t sq = 0;
  int32_t sum = 0;
  for (int i = 0; i < HOP; i++) {
    const int32_t v = x[i];
    sum += v;
    sq += (int64_t)(v * v);
  }
  Hsq[j] = (double)sq;
  Hsum[j] = (double)sum;
}

/*
 * Four Goertzel chains (coefficients k[0..3]) over n samples, two inputs side by side: lane 0 runs
 * xa, lane 1 xb, each lane exactly the scalar recurrence s = x − s[−2] + c·s[−1] in that order
 * (f64x2 lanes round like scalar f64; -ffp-contract=off forbids a fused multiply-add). The last two
 * states of each chain come back in registers; always inlined, so the loop stays register-allocated.
 */
static inline __attribute__((always_inline)) void goertzel4_x2(const double *k, const double *xa, const double *xb, int n, v128_t *a1o, v128_t *a2o,
                                                               v128_t *b1o, v128_t *b2o, v128_t *d1o, v128_t *d2o, v128_t *e1o, v128_t *e2o) {
  const v128_t c0 = wasm_f64x2_splat(k[0]), c1 = wasm_f64x2_splat(k[1]), c2 = wasm_f64x2_splat(k[2]), c3 = wasm_f64x2_splat(k[3]);
  v128_t a1 = wasm_f64x2_splat(0), a2 = a1, b1 = a1, b2 = a1, d1 = a1, d2 = a1, e1 = a1, e2 = a1;
  for (int i = 0; i < n; i++) {
    const v128_t v = wasm_f64x2_make(xa[i], xb[i]);
    const v128_t a0 = wasm_f64x2_add(wasm_f64x2_sub(v, a2), wasm_f64x2_mul(c0, a1));
    a2 = a1;
    a1 = a0;
    const v128_t b0 = wasm_f64x2_add(wasm_f64x2_sub(v, b2), wasm_f64x2_mul(c1, b1));
    b2 = b1;
    b1 = b0;
    const v128_t d0 = wasm_f64x2_add(wasm_f64x2_sub(v, d2), wasm_f64x2_mul(c2, d1));
    d2 = d1;
    d1 = d0;
    const v128_t e0 = wasm_f64x2_add(wasm_f64x2_sub(v, e2), wasm_f64x2_mul(c3, e1));
    e2 = e1;
    e1 = e0;
  }
  *a1o = a1, *a2o = a2, *b1o = b1, *b2o = b2, *d1o = d1, *d2o = d2, *e1o = e1, *e2o = e2;
}

/* HighGroupScreen.hop's filters for hop j (lane 0) and hop j + 1 (lane 1) if `two`, else hop j
 * alone (lane 1 then runs the same samples and is dropped): lanes round like scalar f64. */
static void screen_hops(const double *x, int j, int two) {
  const double *k = K + C_SK;
  const double *y = two ? x + HOP : x;
  v128_t a1, a2, b1, b2, d1, d2, e1, e2;
  goertzel4_x2(k, x, y, HOP, &a1, &a2, &b1, &b2, &d1, &d2, &e1, &e2);
  /* y = s[N−1] − e^(−jω)·s[N−2], as HighGroupScreen.hop */
#define OUT(L, J)                                                                                       \
  Hre[(J) * 4] = wasm_f64x2_extract_lane(a1, L) - k[4] * wasm_f64x2_extract_lane(a2, L);              \
  Him[(J) * 4] = -k[8] * wasm_f64x2_extract_lane(a2, L);                                               \
  Hre[(J) * 4 + 1] = wasm_f64x2_extract_lane(b1, L) - k[5] * wasm_f64x2_extract_lane(b2, L);          \
  Him[(J) * 4 + 1] = -k[9] * wasm_f64x2_extract_lane(b2, L);                                           \
  Hre[(J) * 4 + 2] = wasm_f64x2_extract_lane(d1, L) - k[6] * wasm_f64x2_extract_lane(d2, L);          \
  Him[(J) * 4 + 2] = -k[10] * wasm_f64x2_extract_lane(d2, L);                                          \
  Hre[(J) * 4 + 3] = wasm_f64x2_extract_lane(e1, L) - k[7] * wasm_f64x2_extract_lane(e2, L);          \
  Him[(J) * 4 + 3] = -k[11] * wasm_f64x2_extract_lane(e2, L);
  OUT(0, j)
  if (two) {
    OUT(1, j + 1)
  }
#undef OUT
}

/* The hops [h0, hEnd) into the scratch (slot h − h0): those the channel computed already from its
 * ring, the rest filtered two at a time. Then the last RING back into the ring. */
static void screen_prepare(Att *a, int64_t h0, int64_t hEnd) {
  int64_t have = a->hops < h0 ? h0 : a->hops;
  for (int64_t h = h0; h < have; h++) {
    const int r = (int)(h & (RING - 1)), j = (int)(h - h0);
    for (int f = 0; f < 4; f++) {
      Hre[j * 4 + f] = a->sre[r * 4 + f];
      Him[j * 4 + f] = a->sim[r * 4 + f];
    }
    Hsq[j] = a->ssq[r];
    Hsum[j] = a->ssum[r];
  }
  for (int64_t h = have; h < hEnd; h += 2) {
    const int j = (int)(h - h0);
    const int16_t *x = a->buf + (h * HOP - a->bufStart);
    const int two = h + 1 < hEnd;
    screen_hops(XD + (h - h0) * HOP, j, two);
    hop_sums(x, j);
    if (two) hop_sums(x + HOP, j + 1);
  }
  const int64_t from = hEnd - RING > h0 ? hEnd - RING : h0;
  for (int64_t h = from; h < hEnd; h++) {
    const int r = (int)(h & (RING - 1)), j = (int)(h - h0);
    for (int f = 0; f < 4; f++) {
      a->sre[r * 4 + f] = Hre[j * 4 + f];
      a->sim[r * 4 + f] = Him[j * 4 + f];
    }
    a->ssq[r] = Hsq[j];
    a->ssum[r] = Hsum[j];
  }
  a->hops = hEnd;
}

/* The screen's rotations as lane pairs [rr, ri] and [−ri, rr] per frequency and hop (may_pass). */
static v128_t ROT1[4 * HOPS], ROT2[4 * HOPS];

EXPORT(k_att_ready) void k_att_ready(void) {
  for (int i = 0; i < 4 * HOPS; i++) {
    const double rr = K[C_ROTRE + i], ri = K[C_ROTIM + i];
    ROT1[i] = wasm_f64x2_make(rr, ri);
    ROT2[i] = wasm_f64x2_make(-ri, rr);
  }
}

/*
 * Each window's energy Σx² − (Σx)²/N as the screen computes it (may_pass, window w at index w).
 * The analyzer's energy (DtmfBlockAnalyzer.analyze) is the same expression over the same samples:
 * both sums are exact integers in f64 (Σx² ≤ 80 · 2^30 < 2^53) whatever the grouping, so the two
 * are bit for bit equal and analyze_all takes this one instead of summing the window again.
 */
static double win_e[MAXW];

/* HighGroupScreen.mayPass for the window starting at scratch hop j: 0 when the analyzer is
 * certain to find no key in it. */
static int may_pass(int j) {
  const double SAFETY = 0.97;
  const int s0 = j, s1 = j + 1, s2 = j + 2, s3 = j + 3, s4 = j + 4;
  const double *q = Hsq, *u = Hsum;
  const double sum = u[s0] + u[s1] + u[s2] + u[s3] + u[s4];
  const double e = q[s0] + q[s1] + q[s2] + q[s3] + q[s4] - (sum * sum) / (double)N;
  win_e[j] = e;
  if (e < SAFETY * K[C_SGATE]) return 0;
  /* The reference's xr and xi (left to right: re·rr − im·ri + …, re·ri + im·rr + …) in the two
   * lanes of one sum: x − y·ri is x + y·(−ri) exactly, so the lanes take [rr, ri] and [−ri, rr]. */
  double h1 = 0;
  for (int f = 0; f < 4; f++) {
    const v128_t *p1 = ROT1 + f * HOPS, *p2 = ROT2 + f * HOPS;
    v128_t acc = wasm_f64x2_mul(wasm_f64x2_splat(Hre[s0 * 4 + f]), p1[0]);
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Him[s0 * 4 + f]), p2[0]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Hre[s1 * 4 + f]), p1[1]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Him[s1 * 4 + f]), p2[1]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Hre[s2 * 4 + f]), p1[2]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Him[s2 * 4 + f]), p2[2]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Hre[s3 * 4 + f]), p1[3]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Him[s3 * 4 + f]), p2[3]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Hre[s4 * 4 + f]), p1[4]));
    acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_f64x2_splat(Him[s4 * 4 + f]), p2[4]));
    const double xr = wasm_f64x2_extract_lane(acc, 0), xi = wasm_f64x2_extract_lane(acc, 1);
    const double v = xr * xr + xi * xi;
    if (v > h1) h1 = v;
  }
  h1 = (h1 * 2) / (double)N;
  return !(h1 < SAFETY * K[C_SHALF] || h1 < SAFETY * 0.03 * e);
}

/* ---------------------------------------------------------------- analyzer ------------------ */

/* GoertzelBank4.run over x[0..N): final states (s[N−1] at i, s[N−2] at 4 + i) and powers. */
static void bank_run(const double *k, const double *x, double *s, double *p) {
  const double c0 = k[0], c1 = k[1], c2 = k[2], c3 = k[3];
  double a1 = 0, a2 = 0, b1 = 0, b2 = 0, d1 = 0, d2 = 0, e1 = 0, e2 = 0;
  for (int i = 0; i < N; i++) {
    const double v = x[i];
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

/*
 * Two blocks' filters side by side: lane 0 runs block xa, lane 1 block xb, each lane exactly the
 * scalar bank_run (f64x2 lanes round like scalar f64, and there is no fused multiply-add). A
 * Goertzel chain waits on its multiply and add, so a second block in the same registers costs
 * almost nothing: the windows that pass the screen are analysed two at a time.
 */
static void bank_run2(const double *k, const double *xa, const double *xb, double *sa, double *pa, double *sb, double *pb) {
  v128_t a1, a2, b1, b2, d1, d2, e1, e2;
  goertzel4_x2(k, xa, xb, N, &a1, &a2, &b1, &b2, &d1, &d2, &e1, &e2);
  double s1, s2;
#define LANE(L, S, P)                                                                                       \
  s1 = wasm_f64x2_extract_lane(a1, L); s2 = wasm_f64x2_extract_lane(a2, L);                               \
  S[0] = s1; S[4] = s2; P[0] = s1 * s1 + s2 * s2 - k[0] * s1 * s2;                                        \
  s1 = wasm_f64x2_extract_lane(b1, L); s2 = wasm_f64x2_extract_lane(b2, L);                               \
  S[1] = s1; S[5] = s2; P[1] = s1 * s1 + s2 * s2 - k[1] * s1 * s2;                                        \
  s1 = wasm_f64x2_extract_lane(d1, L); s2 = wasm_f64x2_extract_lane(d2, L);                               \
  S[2] = s1; S[6] = s2; P[2] = s1 * s1 + s2 * s2 - k[2] * s1 * s2;                                        \
  s1 = wasm_f64x2_extract_lane(e1, L); s2 = wasm_f64x2_extract_lane(e2, L);                               \
  S[3] = s1; S[7] = s2; P[3] = s1 * s1 + s2 * s2 - k[3] * s1 * s2;
  LANE(0, sa, pa)
  LANE(1, sb, pb)
#undef LANE
}

/* Per-window analysis of one scan (DtmfBlockAnalyzer.analyze, in stages so that the filters of
 * two windows run together): the verdict and, for a key, what the runs read of the analyzer. */
typedef struct {
  int32_t key, col, row;
  double e, h2;
  double hs[8], hp[4], ls[8], lp[4];
  double plE, phE, pl[2], ph[2];
} Win;
static Win wins[MAXW];
static int32_t todo[MAXW];

/* Each listed window's bank (high or low), two windows per pass. */
static void banks(const int32_t *list, int32_t n, int high) {
  const double *k = K + (high ? C_HIGH : C_LOW);
  int32_t j = 0;
  for (; j + 1 < n; j += 2) {
    Win *u = &wins[list[j]], *w = &wins[list[j + 1]];
    const double *xu = XD + list[j] * HOP, *xw = XD + list[j + 1] * HOP;
    if (high) bank_run2(k, xu, xw, u->hs, u->hp, w->hs, w->hp);
    else bank_run2(k, xu, xw, u->ls, u->lp, w->ls, w->lp);
  }
  if (j < n) {
    Win *u = &wins[list[j]];
    const double *xu = XD + list[j] * HOP;
    if (high) bank_run(k, xu, u->hs, u->hp);
    else bank_run(k, xu, u->ls, u->lp);
  }
}

/*
 * The analyzer's scan over a bank's 4 tone energies v = power·k (DtmfBlockAnalyzer.analyze, both
 * groups): `if (v > v1) { v2 = v1; v1 = v; i1 = i } else if (v > v2) v2 = v` from v1 = v2 = 0,
 * kept with the reference's branches (the branch-free strongest4 of channel-kernel.c equals it
 * only for values of 0 and above, which a power computed as s1² + s2² − k·s1·s2 is not proven to be).
 */
static inline __attribute__((always_inline)) int strongest_of4(const double *power, double k, double *v1, double *v2) {
  int i1 = 0;
  double a = 0, b = 0;
  for (int i = 0; i < 4; i++) {
    const double v = power[i] * k;
    if (v > a) {
      b = a;
      a = v;
      i1 = i;
    } else if (v > b) {
      b = v;
    }
  }
  *v1 = a;
  *v2 = b;
  return i1;
}

/* DtmfBlockAnalyzer.analyze(x, 0, false) of every window in `list` (those the screen let through),
 * into wins[].key and the pair values. The reference takes the energy in the high-group pass after
 * a sounded block and alone after silence; both are exact integer sums, so one path here, and the
 * screen's (win_e) is the same number. */
static void analyze_all(int32_t *list, int32_t n) {
  const double *an = K + C_AN;
  const double gate = an[0], toneFloor = an[1], share = an[2], purity = an[3], twistHigh = an[4], twistLow = an[5],
               domLow = an[6], domHigh = an[7], kE = an[8];
  int32_t m = 0;
  for (int32_t j = 0; j < n; j++) {
    Win *w = &wins[list[j]];
    w->key = NO_KEY;
    w->e = win_e[list[j]];
    if (w->e >= gate) list[m++] = list[j];
  }
  n = m;
  banks(list, n, 1);
  m = 0;
  for (int32_t j = 0; j < n; j++) {
    Win *w = &wins[list[j]];
    double h1, h2;
    const int col = strongest_of4(w->hp, kE, &h1, &h2);
    w->col = col;
    w->h2 = h2;
    if (!(h1 < 0.5 * toneFloor || h1 < 0.03 * w->e)) list[m++] = list[j];
  }
  n = m;
  banks(list, n, 0);
  for (int32_t j = 0; j < n; j++) {
    Win *w = &wins[list[j]];
    const double e = w->e;
    double l1, l2;
    const int row = strongest_of4(w->lp, kE, &l1, &l2);
    const int col = w->col;
    const double h2 = w->h2;
    /* fitPair → fitPhasors */
    double zl[2], zh[2];
    bank_phasor(K + C_LOW, w->ls, row, zl);
    bank_phasor(K + C_HIGH, w->hs, col, zh);
    const double m0 = zl[0], m1 = -zl[1], m2 = zh[0], m3 = -zh[1];
    const double *g = K + C_INV + (row * 4 + col) * 16;
    const double pl = g[0] * m0 + g[1] * m1 + g[2] * m2 + g[3] * m3;
    const double ql = g[4] * m0 + g[5] * m1 + g[6] * m2 + g[7] * m3;
    const double ph = g[8] * m0 + g[9] * m1 + g[10] * m2 + g[11] * m3;
    const double qh = g[12] * m0 + g[13] * m1 + g[14] * m2 + g[15] * m3;
    const double half = (double)N / 2;
    const double lt = (pl * pl + ql * ql) * half;
    const double ht = (ph * ph + qh * qh) * half;
    w->plE = lt;
    w->phE = ht;
    w->pl[0] = pl;
    w->pl[1] = -ql;
    w->ph[0] = ph;
    w->ph[1] = -qh;
    /* judgePair */
    if (lt < toneFloor || ht < toneFloor) continue;
    if (lt + ht < share * e) continue;
    if (ht > twistHigh * lt || ht < twistLow * lt) continue;
    if (lt < domLow * l2 || ht < domHigh * h2) continue;
    if (ht < purity * (e - lt) || lt < purity * (e - ht)) continue;
    w->key = row * 4 + col;
  }
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

/* AttackerDetector.scan: every whole window in the buffer. The screen and the analysis of all of
 * them first (they do not depend on the runs), then the runs over the verdicts in order. */
static void scan(Att *a) {
  const int64_t first = a->next;
  const int64_t end = a->bufStart + a->bufLen;
  if (first + N > end) return;
  const int32_t count = (int32_t)((end - N - first) / HOP) + 1;
  /* The scan's samples as f64, once: every sample goes through up to 5 windows' banks and a hop's
   * screen filters, which would otherwise each convert it again (exact either way). */
  const int16_t *src = a->buf + (first - a->bufStart);
  const int32_t len = (int32_t)(end - first);
  for (int32_t i = 0; i < len; i++) XD[i] = (double)src[i];
  /* Window starts are multiples of HOP (the stream starts at 0 and moves by hops). */
  screen_prepare(a, first / HOP, first / HOP + count - 1 + HOPS);
  int32_t n = 0;
  /* The first window on the Q.24 block grid, then every fifth. */
  int32_t aligned = (int32_t)(((N - first % N) % N) / HOP);
  for (int32_t w = 0; w < count; w++) {
    const int pass = may_pass(w);
    if (pass) todo[n++] = w;
    else wins[w].key = NO_KEY;
    if (w == aligned) {
      aligned += N / HOP;
      if (n_gate == 0) gate_info[0] = (double)((first + (int64_t)w * HOP) / N);
      if (n_gate >= 0 && n_gate < MAX_GATE) gate_flags[n_gate++] = (uint8_t)pass;
      else n_gate = -1;
    }
  }
  analyze_all(todo, n);
  for (int32_t w = 0; w < count; w++) {
    const int64_t at = first + (int64_t)w * HOP;
    const Win *r = &wins[w];
    const int key = r->key;
    if (key != NO_KEY) {
      a->pairLow[0] = r->pl[0];
      a->pairLow[1] = r->pl[1];
      a->pairHigh[0] = r->ph[0];
      a->pairHigh[1] = r->ph[1];
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
      const double lt = r->plE, ht = r->phE;
      const double weak = lt < ht ? lt : ht;
      if (weak > a->runPeakWeak) a->runPeakWeak = weak;
      const double share = (lt + ht) / r->e;
      if (share > a->runPeakShare) a->runPeakShare = share;
      a->prevLow[0] = a->pairLow[0];
      a->prevLow[1] = a->pairLow[1];
      a->prevHigh[0] = a->pairHigh[0];
      a->prevHigh[1] = a->pairHigh[1];
    } else if (a->runKey != NO_KEY && at - a->runLastHit > 2 * HOP) {
      close_run(a);
    }
  }
  a->next = first + (int64_t)count * HOP;
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
  n_gate = 0;
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
  gate_info[1] = n_gate > 0 ? (double)n_gate : 0;
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
