/*
 * The board's per-channel DSP path as a WebAssembly kernel: the same computation as the
 * TypeScript reference (dtmf-analysis.ts, tone-presence.ts, mask-core.ts MaskCore, delay-line.ts,
 * detector-block.ts analyzeWindow, detector.ts advance/closeRun), with the same floating-point
 * operations in the same order, so every verdict, sample, codeword, window and digit is identical
 * (the differential tests in test/unit/dsp/wasm-kernel*.test.ts hold it to that). WebAssembly has
 * no implicit fused multiply-add and f64x2 lanes round like scalar f64, so "same order" means
 * "same bits". Built by scripts/build-wasm.sh with -ffp-contract=off.
 *
 * What is faster here than in JS is not the filter arithmetic as such (a Goertzel chain is bound
 * by the latency of its multiply and add, in any language) but running two halves' chains side by
 * side in f64x2 registers (goertzel_pair), and everything around the filters: the per-half
 * bookkeeping, branchless maxima, vector energies, window sums and G.711 decoding (figures:
 * docs/benchmarks.md, "DSP throughput").
 *
 * Every constant that the reference computes with Math.cos, Math.sin and powers (filter coefficients,
 * thresholds, the pair-fit inverses) is computed by the JS side and passed in, and atan2 is
 * imported from JS (Math.atan2), so no libm difference can creep in. sqrt, floor and ceil are
 * IEEE-exact wasm instructions.
 *
 * Memory: one shared instance; channels are blocks from a small first-fit allocator, freed
 * explicitly (k_free). No libc.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

extern double js_atan2(double y, double x) __attribute__((import_module("env"), import_name("atan2")));

/* ---------------------------------------------------------------- memory ------------------- */

extern unsigned char __heap_base;
static uintptr_t heap_top = 0;

typedef struct FreeBlock {
  uint32_t size; /* bytes after the header */
  struct FreeBlock *next;
} FreeBlock;

static FreeBlock *free_list = 0;
#define HDR 16u

/* First-fit from the free list (channels of one configuration reuse each other's blocks), else
 * from the top of the heap, growing the memory. Returns 16-byte-aligned, zeroed memory or 0. */
EXPORT(k_alloc) void *k_alloc(uint32_t n) {
  n = (n + 15u) & ~15u;
  FreeBlock **pp = &free_list;
  while (*pp) {
    FreeBlock *b = *pp;
    if (b->size >= n && b->size <= 2 * n + 256) {
      *pp = b->next;
      unsigned char *p = (unsigned char *)b + HDR;
      __builtin_memset(p, 0, b->size);
      return p;
    }
    pp = &b->next;
  }
  if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u;
  uintptr_t start = heap_top;
  uintptr_t end = start + HDR + n;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    uintptr_t pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) return 0;
  }
  heap_top = end;
  FreeBlock *b = (FreeBlock *)start;
  b->size = n;
  unsigned char *p = (unsigned char *)start + HDR;
  __builtin_memset(p, 0, n);
  return p;
}

EXPORT(k_free) void k_free(void *p) {
  if (!p) return;
  FreeBlock *b = (FreeBlock *)((unsigned char *)p - HDR);
  b->next = free_list;
  free_list = b;
}

/* ---------------------------------------------------------------- outputs of one call ------ */

/* Mask windows closed and digits reported during one call, read by JS after it. Capacities are
 * bounded by the caller's piece size (kernel.ts: a window needs a whole 5 ms block, a digit three
 * 10 ms blocks). */
#define MAX_WINDOWS 4096
/* Elements per k_run call at most (kernel.ts PIECE). */
#define PIECE 8192
/* Whole halves in one call at most: halves are 5 ms, at least 20 samples (4 kHz). */
#define MAX_HALVES (PIECE / 20 + 1)
#define MAX_DIGITS 1024
static double out_windows[2 * MAX_WINDOWS];
static int32_t n_windows = 0;
static double out_digits[3 * MAX_DIGITS];
static int32_t n_digits = 0;

EXPORT(k_windows) double *k_windows(void) { return out_windows; }
EXPORT(k_window_count) int32_t k_window_count(void) { return n_windows; }
EXPORT(k_digits) double *k_digits(void) { return out_digits; }
EXPORT(k_digit_count) int32_t k_digit_count(void) { return n_digits; }

/* ---------------------------------------------------------------- state --------------------- */

typedef struct {
  /* --- analysis (dtmf-analysis.ts) --- */
  const double *k; /* 56 constants of the rate: see constantsFor */
  double gateEnergy;
  uint32_t halves;
  double energy[2], sum[2];
  uint8_t quiet[2], lowDone[2], winHigh, winLow;
  double re[16], im[16], winRe[8], winIm[8];
  int16_t *saved;               /* 2·B own samples */
  const int16_t *src[2];        /* where each slot's samples are: the call's buffer, or `saved` */
  /* The next whole half of the call and its precomputed values (k_run), or 0. */
  const int16_t *next;
  struct HalfPre *nextPre;

  /* --- tone presence (tone-presence.ts) --- */
  double floorPower, highLouderRatio, lowLouderRatio, toPower, windowSamples, halfToPower;
  double halfRatio, halfLow, halfHigh, minToneRatio;

  /* --- mask core (masker.ts) --- */
  int32_t B;        /* samples per half */
  int32_t d;        /* delay */
  int32_t elem;     /* 2: int16 samples, 1: G.711 codewords */
  int32_t fillValue;
  void *delay;      /* d elements */
  const void *table; /* mask tone, `period` elements */
  int32_t period;
  const int16_t *decode; /* G.711 decode table (for runCodes) */
  int32_t law;           /* 1 A-law, 2 µ-law: decoded by decode_simd; 0: through `decode` */
  int16_t *blockBuf;
  int32_t blockFill;
  int64_t blockIndex, count, lastMarked, winStart;
  int64_t *markIds;
  int32_t markMask;
  int32_t tablePos;
  int32_t secure;
  int32_t hasDetector;

  /* --- detector block analyzer (detector-block.ts) --- */
  const double *pairInverse; /* 256 */
  double aEnergy, lowEnergy[4], highEnergy[4];
  int32_t lowComputed, highComputed, row, col;
  double pairLowEnergy, pairHighEnergy, secondLowEnergy, secondHighEnergy;
  double pairLow[2], pairHigh[2];
  double gate, toneFloor, share, purity, twistHigh, twistLow, domLow, domHigh, toEnergy;
  double N; /* detector block size (2·B) */

  /* --- detector state machine (detector.ts) --- */
  double sampleRate, minDurationSamples, maxDeviation, maxTwistHigh, maxTwistLow, minPurity;
  double minLowDominance, minHighDominance;
  int32_t minValidBlocks;
  double lowStep[8], highStep[8], lowFreqs[4], highFreqs[4];
  int64_t dBlockIndex;
  double prevLow[4], prevHigh[4];
  int32_t prevLowOk, prevHighOk;
  int32_t runKey, runRow, runCol;
  int64_t runFirst, runLast;
  int32_t validCount, badRun, lastWasValid;
  double preLow, preHigh;
  int32_t preLowOk, preHighOk;
  double firstLow, firstHigh, lastLow, lastHigh, postLow, postHigh, maxLow, maxHigh;
  double accLowRe, accLowIm, accHighRe, accHighIm;
  int32_t pairs;
  double sumLow, sumHigh, sumEnergy, sumSecondLow, sumSecondHigh;
  double zLowRe, zLowIm, zHighRe, zHighIm;
} Chan;

#define NO_KEY (-1)
#define END_AFTER_BAD_BLOCKS 3
#define PRE_PAD_BLOCKS 1
#define POST_PAD_BLOCKS 1

/* Math.round of ECMAScript: the nearest integer, ties toward +∞ (as V8: ceil, then step back). */
static double js_round(double x) {
  double r = __builtin_ceil(x);
  if (r - 0.5 > x) r -= 1.0;
  return r;
}

/*
 * Forward copy, 16 bytes at a time: safe for overlapping ranges with dst below src (the delay
 * line's shift). Not memory.copy: V8 runs that as a call out of the generated code, which costs
 * more than the copy itself at a 20 ms chunk's few hundred bytes.
 */
static void copy_fwd(unsigned char *dst, const unsigned char *src, uint32_t n) {
  uint32_t i = 0;
  for (; i + 16 <= n; i += 16) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

/* ---------------------------------------------------------------- analysis ------------------ */

static void an_reset(Chan *c) {
  c->halves = 0;
  c->energy[0] = c->energy[1] = 0;
  c->sum[0] = c->sum[1] = 0;
  c->quiet[0] = c->quiet[1] = 1;
  c->lowDone[0] = c->lowDone[1] = 1;
  for (int i = 0; i < 16; i++) c->re[i] = c->im[i] = 0;
  c->winHigh = 0;
  c->winLow = 0;
}

static void set_quiet(Chan *c, int s) {
  c->quiet[s] = 1;
  c->lowDone[s] = 1;
  int o = s * 8;
  for (int f = 0; f < 8; f++) {
    c->re[o + f] = 0;
    c->im[o + f] = 0;
  }
}

/*
 * DtmfAnalysis.phasor for f0..f0+3 of slot s from the final chain states s1 = st[0..3],
 * s2 = st[4..7]: re = s1 − k[24+f]·s2, im = (−k[32+f])·s2, two frequencies per f64x2.
 */
static inline void phasors4v(Chan *c, int s, int f0, const double *st) {
  const double *k = c->k;
  double *re = c->re + s * 8 + f0, *im = c->im + s * 8 + f0;
  for (int h = 0; h < 4; h += 2) {
    v128_t s1 = wasm_v128_load(st + h), s2 = wasm_v128_load(st + 4 + h);
    v128_t kr = wasm_v128_load(k + 24 + f0 + h), ki = wasm_v128_load(k + 32 + f0 + h);
    wasm_v128_store(re + h, wasm_f64x2_sub(s1, wasm_f64x2_mul(kr, s2)));
    wasm_v128_store(im + h, wasm_f64x2_mul(wasm_f64x2_neg(ki), s2));
  }
}

/*
 * The 4 Goertzel chains of one group (coefficients cf[0..3]) over two halves x0 and x1 side by
 * side: 8 chains in 4 f64x2 registers, lanes (f0, f0+1) and (f0+2, f0+3) per half, each step
 * (x − s[n−2]) + c·s[n−1] as in the reference (four samples per turn, alternating which variable
 * holds s[n−1]). One chain is bound by the latency of its multiply and add; the second half's
 * chains fill the idle issue slots, so two halves cost about what one does (x1 may be x0 when
 * there is only one). Final states to st: half 0 s[B−1] (0..3), s[B−2] (4..7); half 1 (8..15).
 */
static void goertzel_pair(const double *cf, const int16_t *x0, const int16_t *x1, int B, double *st) {
  v128_t cA = wasm_f64x2_make(cf[0], cf[1]);
  v128_t cB = wasm_f64x2_make(cf[2], cf[3]);
  v128_t z = wasm_f64x2_splat(0);
  v128_t aA = z, aB = z, bA = z, bB = z; /* half 0: s[n−1], s[n−2] */
  v128_t aC = z, aD = z, bC = z, bD = z; /* half 1 */
  int i = 0;
#define STEP(dst, src, x, cc) dst = wasm_f64x2_add(wasm_f64x2_sub(x, dst), wasm_f64x2_mul(cc, src))
  for (; i + 3 < B; i += 4) {
    v128_t p0 = wasm_f64x2_splat((double)x0[i]), q0 = wasm_f64x2_splat((double)x0[i + 1]);
    v128_t r0 = wasm_f64x2_splat((double)x0[i + 2]), t0 = wasm_f64x2_splat((double)x0[i + 3]);
    v128_t p1 = wasm_f64x2_splat((double)x1[i]), q1 = wasm_f64x2_splat((double)x1[i + 1]);
    v128_t r1 = wasm_f64x2_splat((double)x1[i + 2]), t1 = wasm_f64x2_splat((double)x1[i + 3]);
    STEP(bA, aA, p0, cA); STEP(bB, aB, p0, cB); STEP(bC, aC, p1, cA); STEP(bD, aD, p1, cB);
    STEP(aA, bA, q0, cA); STEP(aB, bB, q0, cB); STEP(aC, bC, q1, cA); STEP(aD, bD, q1, cB);
    STEP(bA, aA, r0, cA); STEP(bB, aB, r0, cB); STEP(bC, aC, r1, cA); STEP(bD, aD, r1, cB);
    STEP(aA, bA, t0, cA); STEP(aB, bB, t0, cB); STEP(aC, bC, t1, cA); STEP(aD, bD, t1, cB);
  }
#undef STEP
  for (; i < B; i++) {
    /* Half lengths not a multiple of 4 (rates other than multiples of 800 Hz). */
    v128_t p0 = wasm_f64x2_splat((double)x0[i]), p1 = wasm_f64x2_splat((double)x1[i]);
    v128_t tA = wasm_f64x2_add(wasm_f64x2_sub(p0, bA), wasm_f64x2_mul(cA, aA));
    v128_t tB = wasm_f64x2_add(wasm_f64x2_sub(p0, bB), wasm_f64x2_mul(cB, aB));
    v128_t tC = wasm_f64x2_add(wasm_f64x2_sub(p1, bC), wasm_f64x2_mul(cA, aC));
    v128_t tD = wasm_f64x2_add(wasm_f64x2_sub(p1, bD), wasm_f64x2_mul(cB, aD));
    bA = aA; aA = tA;
    bB = aB; aB = tB;
    bC = aC; aC = tC;
    bD = aD; aD = tD;
  }
  wasm_v128_store(st, aA);
  wasm_v128_store(st + 2, aB);
  wasm_v128_store(st + 4, bA);
  wasm_v128_store(st + 6, bB);
  wasm_v128_store(st + 8, aC);
  wasm_v128_store(st + 10, aD);
  wasm_v128_store(st + 12, bC);
  wasm_v128_store(st + 14, bD);
}

/* The group from f0 of slot s from the final states st[0..7] (as goertzel_pair writes them). */
static void phasors4(Chan *c, int s, int f0, const double *st) {
  phasors4v(c, s, f0, st);
}

/*
 * Σx² and Σx of a half: integers, so exact in any order (the reference's double sums of integer
 * products are exact too: |Σx²| < 2^53 at any half length here). Eight samples per turn: the
 * pairwise dot product of i16x8 gives each lane x_a² + x_b² ≤ 2^31, read as unsigned, widened to
 * 64 bits before summing.
 */
static void half_energy(const int16_t *x, int B, double *e, int32_t *sum) {
  v128_t acc = wasm_i64x2_splat(0);
  v128_t sacc = wasm_i32x4_splat(0);
  int i = 0;
  for (; i + 7 < B; i += 8) {
    v128_t v = wasm_v128_load(x + i);
    v128_t sq = wasm_i32x4_dot_i16x8(v, v);
    acc = wasm_i64x2_add(acc, wasm_u64x2_extend_low_u32x4(sq));
    acc = wasm_i64x2_add(acc, wasm_u64x2_extend_high_u32x4(sq));
    sacc = wasm_i32x4_add(sacc, wasm_i32x4_extadd_pairwise_i16x8(v));
  }
  int64_t ee = wasm_i64x2_extract_lane(acc, 0) + wasm_i64x2_extract_lane(acc, 1);
  int32_t ss = wasm_i32x4_extract_lane(sacc, 0) + wasm_i32x4_extract_lane(sacc, 1) + wasm_i32x4_extract_lane(sacc, 2) +
               wasm_i32x4_extract_lane(sacc, 3);
  for (; i < B; i++) {
    int32_t v = x[i];
    ee += v * v;
    ss += v;
  }
  *e = (double)ee;
  *sum = ss;
}

/* A half's energy and, when sounded, its chain states, computed ahead (see k_run). */
typedef struct HalfPre {
  double e;
  int32_t sum;
  int32_t hasLow;
  double st[8]; /* high group */
  double lo[8]; /* low group, when hasLow */
} HalfPre;

/*
 * The low group of slot s. When s holds the last half and the next one is in the call's buffer,
 * the next one's low group runs alongside (the pass costs its chains' latency, not its work, so
 * it is free) and waits in its precomputed values: in speech, a window that needs the low group
 * is mostly followed by another.
 */
static void low_slot(Chan *c, int s) {
  double st[16];
  int spec = c->next && s == ((c->halves - 1) & 1);
  goertzel_pair(c->k, c->src[s], spec ? c->next : c->src[s], c->B, st);
  phasors4(c, s, 0, st);
  c->lowDone[s] = 1;
  if (spec) {
    for (int f = 0; f < 8; f++) c->nextPre->lo[f] = st[8 + f];
    c->nextPre->hasLow = 1;
  }
}


/*
 * DtmfAnalysis.feed from precomputed values: the same state as computing them here (the energy
 * is exact, and a half's filters do not depend on anything before it; the reference skips them
 * for quiet halves, whose values are zeroed either way, and runs the low group only when a
 * window asks, with the same result).
 */
static void an_feed_pre(Chan *c, const int16_t *x, const HalfPre *p) {
  int s = c->halves & 1;
  c->halves++;
  c->winHigh = 0;
  c->winLow = 0;
  c->energy[s] = p->e;
  c->sum[s] = p->sum;
  if (p->e < c->gateEnergy) {
    set_quiet(c, s);
    return;
  }
  phasors4(c, s, 4, p->st);
  c->quiet[s] = 0;
  c->lowDone[s] = 0;
  c->src[s] = x;
  if (p->hasLow) {
    phasors4(c, s, 0, p->lo);
    c->lowDone[s] = 1;
  }
}

static void an_feed(Chan *c, const int16_t *x) {
  HalfPre p;
  const int B = c->B;
  half_energy(x, B, &p.e, &p.sum);
  p.hasLow = 0;
  if (p.e >= c->gateEnergy) {
    double st[16];
    goertzel_pair(c->k + 4, x, x, B, st);
    for (int f = 0; f < 8; f++) p.st[f] = st[f];
  }
  an_feed_pre(c, x, &p);
}

/* The caller's buffer is about to change: keep the last half's samples if still needed. */
static void an_release(Chan *c) {
  int s = (c->halves - 1) & 1;
  if (c->lowDone[s] == 1) return;
  const int B = c->B;
  int16_t *saved = c->saved + s * B;
  const int16_t *x = c->src[s];
  if (x == saved) return;
  for (int i = 0; i < B; i++) saved[i] = x[i];
  c->src[s] = saved;
}

static void an_feed_silent(Chan *c) {
  int s = c->halves & 1;
  c->halves++;
  c->winHigh = 0;
  c->winLow = 0;
  c->energy[s] = 0;
  c->sum[s] = 0;
  set_quiet(c, s);
}

static void combine(Chan *c, int f0) {
  int last = (c->halves - 1) & 1;
  int a = (last ^ 1) * 8;
  int b = last * 8;
  const double *k = c->k;
  /* Two frequencies per f64x2; per lane the reference's (re_a + rr·br) − ri·bi and (im_a + rr·bi) + ri·br. */
  for (int f = f0; f < f0 + 4; f += 2) {
    v128_t rr = wasm_v128_load(k + 40 + f), ri = wasm_v128_load(k + 48 + f);
    v128_t br = wasm_v128_load(c->re + b + f), bi = wasm_v128_load(c->im + b + f);
    v128_t ar = wasm_v128_load(c->re + a + f), ai = wasm_v128_load(c->im + a + f);
    wasm_v128_store(c->winRe + f, wasm_f64x2_sub(wasm_f64x2_add(ar, wasm_f64x2_mul(rr, br)), wasm_f64x2_mul(ri, bi)));
    wasm_v128_store(c->winIm + f, wasm_f64x2_add(wasm_f64x2_add(ai, wasm_f64x2_mul(rr, bi)), wasm_f64x2_mul(ri, br)));
  }
}

static void high_window(Chan *c) {
  if (c->winHigh) return;
  combine(c, 4);
  c->winHigh = 1;
}

static void low_window(Chan *c) {
  if (c->winLow) return;
  if (c->lowDone[0] == 0 && c->lowDone[1] == 0) {
    /* Both halves owed (a window right after quiet or high-group-only halves): one pass for both. */
    double st[16];
    goertzel_pair(c->k, c->src[0], c->src[1], c->B, st);
    phasors4(c, 0, 0, st);
    phasors4(c, 1, 0, st + 8);
    c->lowDone[0] = c->lowDone[1] = 1;
  } else if (c->lowDone[0] == 0) {
    low_slot(c, 0);
  } else if (c->lowDone[1] == 0) {
    low_slot(c, 1);
  }
  combine(c, 0);
  c->winLow = 1;
}

static void low_last(Chan *c) {
  int s = (c->halves - 1) & 1;
  if (c->lowDone[s] == 0) low_slot(c, s);
}

/* ---------------------------------------------------------------- tone presence ------------- */

/*
 * The largest of |re[i]|² + |im[i]|², i = 0..3, without a branch per comparison (the reference's
 * `if (m > max) max = m` chain mispredicts on speech). Each lane squares and adds as the scalar
 * code does, and the values are never NaN or −0, so the maximum is the same number.
 */
static inline double max_mag4(const double *re, const double *im) {
  v128_t r0 = wasm_v128_load(re), r1 = wasm_v128_load(re + 2);
  v128_t i0 = wasm_v128_load(im), i1 = wasm_v128_load(im + 2);
  v128_t m0 = wasm_f64x2_add(wasm_f64x2_mul(r0, r0), wasm_f64x2_mul(i0, i0));
  v128_t m1 = wasm_f64x2_add(wasm_f64x2_mul(r1, r1), wasm_f64x2_mul(i1, i1));
  v128_t m = wasm_f64x2_pmax(m0, m1);
  return wasm_f64x2_extract_lane(wasm_f64x2_pmax(m, wasm_i64x2_shuffle(m, m, 1, 0)), 0);
}

static int evaluate_half(Chan *c) {
  int s = (c->halves - 1) & 1;
  if (c->quiet[s] == 1) return 0;
  int o = s * 8;
  const double *re = c->re, *im = c->im;
  double high = max_mag4(re + o + 4, im + o + 4) * c->halfToPower;
  double meanPower = c->energy[s] / (double)c->B;
  if (high < c->floorPower) return 0;
  if (high * (1 + c->halfLow) < c->halfRatio * meanPower) return 0;
  low_last(c);
  double low = max_mag4(re + o, im + o) * c->halfToPower;
  if (low < c->floorPower) return 0;
  if (low > high * c->halfLow || high > low * c->halfHigh) return 0;
  return low + high >= c->halfRatio * meanPower;
}

static int evaluate_window(Chan *c) {
  high_window(c);
  const double *wr = c->winRe, *wi = c->winIm;
  double high = max_mag4(wr + 4, wi + 4) * c->toPower;
  double meanPower = (c->energy[0] + c->energy[1]) / c->windowSamples;
  if (high < c->floorPower) return 0;
  if (high * (1 + c->lowLouderRatio) < c->minToneRatio * meanPower) return 0;
  low_window(c);
  double low = max_mag4(wr, wi) * c->toPower;
  if (low < c->floorPower) return 0;
  if (low > high * c->lowLouderRatio || high > low * c->highLouderRatio) return 0;
  return low + high >= c->minToneRatio * meanPower;
}

static int evaluate(Chan *c) {
  if (c->quiet[0] == 1 && c->quiet[1] == 1) return 0;
  return evaluate_window(c) || evaluate_half(c);
}

/* ---------------------------------------------------------------- detector block ------------ */

static void fit_phasors(Chan *c, int row, int col, double lRe, double lIm, double hRe, double hIm) {
  double m0 = lRe, m1 = -lIm, m2 = hRe, m3 = -hIm;
  const double *g = c->pairInverse;
  int b = (row * 4 + col) * 16;
  double pl = g[b] * m0 + g[b + 1] * m1 + g[b + 2] * m2 + g[b + 3] * m3;
  double ql = g[b + 4] * m0 + g[b + 5] * m1 + g[b + 6] * m2 + g[b + 7] * m3;
  double ph = g[b + 8] * m0 + g[b + 9] * m1 + g[b + 10] * m2 + g[b + 11] * m3;
  double qh = g[b + 12] * m0 + g[b + 13] * m1 + g[b + 14] * m2 + g[b + 15] * m3;
  double half = c->N / 2;
  c->pairLowEnergy = (pl * pl + ql * ql) * half;
  c->pairHighEnergy = (ph * ph + qh * qh) * half;
  c->pairLow[0] = pl;
  c->pairLow[1] = -ql;
  c->pairHigh[0] = ph;
  c->pairHigh[1] = -qh;
}

static int judge_pair(Chan *c, double e, int row, int col, double l2, double h2) {
  double lt = c->pairLowEnergy, ht = c->pairHighEnergy;
  if (lt < c->toneFloor || ht < c->toneFloor) return NO_KEY;
  if (lt + ht < c->share * e) return NO_KEY;
  if (ht > c->twistHigh * lt || ht < c->twistLow * lt) return NO_KEY;
  if (lt < c->domLow * l2 || ht < c->domHigh * h2) return NO_KEY;
  if (ht < c->purity * (e - lt) || lt < c->purity * (e - ht)) return NO_KEY;
  return row * 4 + col;
}

/*
 * The reference's scan over 4 tone energies v_i = (re² + im²)·k: `if (v > v1) { v2 = v1; v1 = v;
 * i1 = i } else if (v > v2) v2 = v`, from v1 = v2 = 0, i1 = 0. Its result, for non-negative
 * values: v1 = the maximum, i1 = the first index holding it (0 when all are 0), v2 = the largest
 * of the others. Computed that way, without branches on the values (they mispredict on speech).
 */
static inline int strongest4(const double *re, const double *im, double k, double *e, double *v1, double *v2) {
  double v[4];
  for (int i = 0; i < 4; i++) v[i] = (re[i] * re[i] + im[i] * im[i]) * k;
  for (int i = 0; i < 4; i++) e[i] = v[i];
  double a = v[0] < v[1] ? v[1] : v[0];
  double b = v[2] < v[3] ? v[3] : v[2];
  double m = a < b ? b : a;
  int i1 = v[0] == m ? 0 : v[1] == m ? 1 : v[2] == m ? 2 : 3;
  double second = 0;
  for (int i = 0; i < 4; i++) {
    double x = i == i1 ? 0 : v[i];
    second = second < x ? x : second;
  }
  *v1 = m;
  *v2 = second;
  return i1;
}

static int analyze_window(Chan *c, int full) {
  double n = c->N;
  double sum = c->sum[0] + c->sum[1];
  double e = (c->energy[0] + c->energy[1]) - (sum * sum) / n;
  c->aEnergy = e;
  c->row = -1;
  c->col = -1;
  double *le = c->lowEnergy, *he = c->highEnergy;
  if (e < c->gate) {
    for (int i = 0; i < 4; i++) le[i] = he[i] = 0;
    c->lowComputed = full;
    c->highComputed = full;
    return NO_KEY;
  }
  c->lowComputed = 0;
  double k = c->toEnergy;
  high_window(c);
  const double *wr = c->winRe, *wi = c->winIm;
  c->highComputed = 1;
  double h1, h2;
  int col = strongest4(wr + 4, wi + 4, k, he, &h1, &h2);
  c->col = col;
  if (!full && (h1 < 0.5 * c->toneFloor || h1 < 0.03 * e)) return NO_KEY;
  low_window(c);
  c->lowComputed = 1;
  double l1, l2;
  int row = strongest4(wr, wi, k, le, &l1, &l2);
  (void)l1;
  c->row = row;
  c->secondLowEnergy = l2;
  c->secondHighEnergy = h2;
  const double *pr = c->k + 8, *pi = c->k + 16; /* toStartRe, toStartIm */
  int h = 4 + col;
  fit_phasors(c, row, col, wr[row] * pr[row] - wi[row] * pi[row], wr[row] * pi[row] + wi[row] * pr[row],
              wr[h] * pr[h] - wi[h] * pi[h], wr[h] * pi[h] + wi[h] * pr[h]);
  return judge_pair(c, e, row, col, l2, h2);
}

/* ---------------------------------------------------------------- detector state machine ---- */

static void extend_run(Chan *c) {
  int row = c->runRow, col = c->runCol;
  double lowAmp = __builtin_sqrt(c->lowEnergy[row]);
  double highAmp = __builtin_sqrt(c->highEnergy[col]);
  if (lowAmp > c->maxLow) c->maxLow = lowAmp;
  if (highAmp > c->maxHigh) c->maxHigh = highAmp;
  c->lastLow = lowAmp;
  c->lastHigh = highAmp;
  c->postLow = 0;
  c->postHigh = 0;
  double lr = c->pairLow[0], li = c->pairLow[1], hr = c->pairHigh[0], hi = c->pairHigh[1];
  if (c->lastWasValid) {
    c->accLowRe += lr * c->zLowRe + li * c->zLowIm;
    c->accLowIm += li * c->zLowRe - lr * c->zLowIm;
    c->accHighRe += hr * c->zHighRe + hi * c->zHighIm;
    c->accHighIm += hi * c->zHighRe - hr * c->zHighIm;
    c->pairs++;
  }
  c->zLowRe = lr;
  c->zLowIm = li;
  c->zHighRe = hr;
  c->zHighIm = hi;
  c->sumLow += c->pairLowEnergy;
  c->sumHigh += c->pairHighEnergy;
  c->sumEnergy += c->aEnergy;
  c->sumSecondLow += c->secondLowEnergy;
  c->sumSecondHigh += c->secondHighEnergy;
  c->runLast = c->dBlockIndex;
  c->validCount++;
  c->badRun = 0;
  c->lastWasValid = 1;
}

static void start_run(Chan *c, int key) {
  int row = key >> 2, col = key & 3;
  c->runKey = key;
  c->runRow = row;
  c->runCol = col;
  c->runFirst = c->dBlockIndex;
  c->validCount = 0;
  c->badRun = 0;
  c->lastWasValid = 0;
  c->preLowOk = c->prevLowOk;
  c->preHighOk = c->prevHighOk;
  c->preLow = c->prevLowOk ? __builtin_sqrt(c->prevLow[row]) : 0;
  c->preHigh = c->prevHighOk ? __builtin_sqrt(c->prevHigh[col]) : 0;
  c->firstLow = __builtin_sqrt(c->lowEnergy[row]);
  c->firstHigh = __builtin_sqrt(c->highEnergy[col]);
  c->postLow = c->postHigh = 0;
  c->maxLow = c->maxHigh = 0;
  c->accLowRe = c->accLowIm = c->accHighRe = c->accHighIm = 0;
  c->pairs = 0;
  c->sumLow = c->sumHigh = c->sumEnergy = c->sumSecondLow = c->sumSecondHigh = 0;
  extend_run(c);
}

static double deviation(Chan *c, double accRe, double accIm, const double *step, int i, double nominalHz) {
  double re = accRe * step[2 * i] - accIm * step[2 * i + 1];
  double im = accRe * step[2 * i + 1] + accIm * step[2 * i];
  double dfHz = (js_atan2(im, re) * c->sampleRate) / (2 * 3.141592653589793 * c->N);
  return dfHz / nominalHz;
}

static double cover(Chan *c, double low, int lowOk, double high, int highOk) {
  double v = lowOk && highOk ? (low + high) / (c->maxLow + c->maxHigh)
             : lowOk        ? low / c->maxLow
             : highOk       ? high / c->maxHigh
                            : 0;
  return v > 1 ? 1 : v;
}

static void close_run(Chan *c) {
  int key = c->runKey;
  c->runKey = NO_KEY;
  if (c->validCount < c->minValidBlocks || c->pairs < 1) return;
  int row = c->runRow, col = c->runCol;
  double lowDev = deviation(c, c->accLowRe, c->accLowIm, c->lowStep, row, c->lowFreqs[row]);
  double highDev = deviation(c, c->accHighRe, c->accHighIm, c->highStep, col, c->highFreqs[col]);
  if (__builtin_fabs(lowDev) > c->maxDeviation || __builtin_fabs(highDev) > c->maxDeviation) return;
  double lowE = c->sumLow, highE = c->sumHigh;
  if (highE > c->maxTwistHigh * lowE || highE < c->maxTwistLow * lowE) return;
  if (lowE < c->minLowDominance * c->sumSecondLow || highE < c->minHighDominance * c->sumSecondHigh) return;
  double rest = c->sumEnergy;
  if (highE < c->minPurity * (rest - lowE) || lowE < c->minPurity * (rest - highE)) return;
  double n = c->N;
  double cPre = cover(c, c->preLow, c->preLowOk, c->preHigh, c->preHighOk);
  double cFirst = cover(c, c->firstLow, 1, c->firstHigh, 1);
  double cLast = cover(c, c->lastLow, 1, c->lastHigh, 1);
  double cPost = cover(c, c->postLow, 1, c->postHigh, 1);
  double start = js_round(((double)c->runFirst + 1 - cFirst - cPre) * n);
  double end = js_round(((double)c->runLast + cLast + cPost) * n);
  if (start < 0) start = 0;
  if (end - start < c->minDurationSamples) return;
  if (n_digits < MAX_DIGITS) {
    out_digits[3 * n_digits] = key;
    out_digits[3 * n_digits + 1] = start;
    out_digits[3 * n_digits + 2] = end;
    n_digits++;
  }
}

static void advance(Chan *c, int key, int inRun) {
  if (inRun) {
    if (key == c->runKey) {
      extend_run(c);
    } else {
      if (c->lastWasValid) {
        c->postLow = __builtin_sqrt(c->lowEnergy[c->runRow]);
        c->postHigh = __builtin_sqrt(c->highEnergy[c->runCol]);
        c->lastWasValid = 0;
      }
      if (key != NO_KEY) {
        close_run(c);
        start_run(c, key);
      } else if (++c->badRun >= END_AFTER_BAD_BLOCKS) {
        close_run(c);
      }
    }
  } else if (key != NO_KEY) {
    start_run(c, key);
  }
  c->prevLowOk = c->lowComputed;
  c->prevHighOk = c->highComputed;
  if (c->lowComputed)
    for (int i = 0; i < 4; i++) c->prevLow[i] = c->lowEnergy[i];
  if (c->highComputed)
    for (int i = 0; i < 4; i++) c->prevHigh[i] = c->highEnergy[i];
  c->dBlockIndex++;
}

static void step_window(Chan *c) {
  int inRun = c->runKey != NO_KEY;
  advance(c, analyze_window(c, inRun), inRun);
}

static void det_reset(Chan *c) {
  c->dBlockIndex = 0;
  c->prevLowOk = 0;
  c->prevHighOk = 0;
  c->runKey = NO_KEY;
}

/* Closes the digit being followed and clips the digits of this call to the stream's end. */
static void finish_stream(Chan *c, double streamEnd) {
  if (c->runKey != NO_KEY) close_run(c);
  for (int i = 0; i < n_digits; i++) {
    if (out_digits[3 * i + 2] > streamEnd) out_digits[3 * i + 2] = streamEnd;
  }
  det_reset(c);
}

/* ---------------------------------------------------------------- mask core ----------------- */

static void close_window(Chan *c, int64_t at) {
  if (c->winStart >= 0) {
    if (n_windows < MAX_WINDOWS) {
      out_windows[2 * n_windows] = (double)c->winStart;
      out_windows[2 * n_windows + 1] = (double)at;
      n_windows++;
    }
    c->winStart = -1;
  }
}

static int judge(Chan *c) {
  if (c->hasDetector && (c->halves & 1) == 0) step_window(c);
  return evaluate(c);
}

static void on_block(Chan *c, int hit) {
  int64_t k = c->blockIndex++;
  if (!hit) return;
  for (int64_t blk = k - 1 - PRE_PAD_BLOCKS; blk <= k + POST_PAD_BLOCKS; blk++) {
    if (blk >= 0) c->markIds[blk & c->markMask] = blk;
  }
  c->lastMarked = k + POST_PAD_BLOCKS;
}

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void apply_mask(Chan *c, void *out, int32_t pos, int32_t m) {
  const int64_t b = c->B;
  const int64_t d = c->d;
  const int64_t base = c->count;
  if (!c->secure) {
    close_window(c, base);
    return;
  }
  if (c->winStart < 0 && base - d >= (c->lastMarked + 1) * b) return;
  int64_t j = base;
  const int64_t end = base + m;
  const int32_t period = c->period;
  while (j < end) {
    int64_t i = j - d;
    int64_t runEnd;
    int masked = 0;
    if (i < 0) {
      runEnd = min64(end, d);
    } else {
      int64_t blk = i / b;
      runEnd = min64(end, (blk + 1) * b + d);
      masked = c->markIds[blk & c->markMask] == blk;
    }
    if (masked) {
      if (c->winStart < 0) {
        c->winStart = j;
        c->tablePos = 0;
      }
      /* The mask tone from where it stopped, in runs up to the table's end (it wraps there). */
      int32_t t = c->tablePos;
      int32_t k = pos + (int32_t)(j - base);
      const int32_t oEnd = pos + (int32_t)(runEnd - base);
      const int32_t es = c->elem;
      while (k < oEnd) {
        int32_t len = oEnd - k;
        if (len > period - t) len = period - t;
        copy_fwd((unsigned char *)out + (uint32_t)k * es, (const unsigned char *)c->table + (uint32_t)t * es, (uint32_t)len * es);
        k += len;
        t += len;
        if (t == period) t = 0;
      }
      c->tablePos = t;
    } else {
      close_window(c, j);
    }
    j = runEnd;
  }
}

/* out[k] = the element written `d` writes before in[k] (delay-line.ts). */
static void delay_process(Chan *c, const void *in, void *out, int32_t n) {
  const int32_t d = c->d;
  const int32_t es = c->elem;
  unsigned char *buf = (unsigned char *)c->delay;
  const unsigned char *src = (const unsigned char *)in;
  unsigned char *dst = (unsigned char *)out;
  if (n >= d) {
    copy_fwd(dst, buf, (uint32_t)d * es);
    copy_fwd(dst + (uint32_t)d * es, src, (uint32_t)(n - d) * es);
    copy_fwd(buf, src + (uint32_t)(n - d) * es, (uint32_t)d * es);
  } else {
    copy_fwd(dst, buf, (uint32_t)n * es);
    copy_fwd(buf, buf + (uint32_t)n * es, (uint32_t)(d - n) * es);
    copy_fwd(buf + (uint32_t)(d - n) * es, src, (uint32_t)n * es);
  }
}

static void delay_reset(Chan *c) {
  if (c->elem == 2) {
    int16_t *b = (int16_t *)c->delay;
    for (int32_t i = 0; i < c->d; i++) b[i] = (int16_t)c->fillValue;
  } else {
    __builtin_memset(c->delay, c->fillValue, (uint32_t)c->d);
  }
}

/* G.711 input decoded for the analysis, one call's worth. */
static int16_t dec_buf[PIECE];

/*
 * G.711 decoding, 8 codewords per turn, by the formulas the tables are built from (g711.ts, G.711
 * §2 and §3): the segment's left shift as a multiplication by 2^shift, looked up with a swizzle.
 * law 1: A-law, 2: µ-law. Checked against the decode table for all 256 codewords when a channel
 * opens (k_decode_check); a channel whose check fails decodes through the table.
 */
static void decode_simd(int law, const uint8_t *x, int16_t *y, int32_t n, const int16_t *table) {
  const v128_t zero = wasm_i16x8_splat(0);
  int32_t i = 0;
  if (law == 1) {
    const v128_t mul = wasm_i8x16_make(1, 1, 2, 4, 8, 16, 32, 64, 0, 0, 0, 0, 0, 0, 0, 0);
    for (; i + 8 <= n; i += 8) {
      v128_t a8 = wasm_v128_xor(wasm_v128_load64_zero(x + i), wasm_i8x16_splat(0x55));
      v128_t seg8 = wasm_v128_and(wasm_u8x16_shr(a8, 4), wasm_i8x16_splat(7));
      v128_t m = wasm_u16x8_extend_low_u8x16(wasm_i8x16_swizzle(mul, seg8));
      v128_t a = wasm_u16x8_extend_low_u8x16(a8);
      v128_t seg = wasm_u16x8_extend_low_u8x16(seg8);
      v128_t t = wasm_i16x8_shl(wasm_v128_and(a, wasm_i16x8_splat(0x0f)), 4);
      t = wasm_i16x8_add(t, wasm_v128_bitselect(wasm_i16x8_splat(8), wasm_i16x8_splat(0x108), wasm_i16x8_eq(seg, zero)));
      t = wasm_i16x8_mul(t, m);
      v128_t positive = wasm_i16x8_ne(wasm_v128_and(a, wasm_i16x8_splat(0x80)), zero);
      wasm_v128_store(y + i, wasm_v128_bitselect(t, wasm_i16x8_neg(t), positive));
    }
  } else {
    const v128_t mul = wasm_i8x16_make(1, 2, 4, 8, 16, 32, 64, (int8_t)128, 0, 0, 0, 0, 0, 0, 0, 0);
    for (; i + 8 <= n; i += 8) {
      v128_t u8 = wasm_v128_not(wasm_v128_load64_zero(x + i));
      v128_t seg8 = wasm_v128_and(wasm_u8x16_shr(u8, 4), wasm_i8x16_splat(7));
      v128_t m = wasm_u16x8_extend_low_u8x16(wasm_i8x16_swizzle(mul, seg8));
      v128_t u = wasm_u16x8_extend_low_u8x16(u8);
      v128_t t = wasm_i16x8_add(wasm_i16x8_shl(wasm_v128_and(u, wasm_i16x8_splat(0x0f)), 3), wasm_i16x8_splat(0x84));
      t = wasm_i16x8_mul(t, m);
      v128_t negative = wasm_i16x8_ne(wasm_v128_and(u, wasm_i16x8_splat(0x80)), zero);
      v128_t bias = wasm_i16x8_splat(0x84);
      wasm_v128_store(y + i, wasm_v128_bitselect(wasm_i16x8_sub(bias, t), wasm_i16x8_sub(t, bias), negative));
    }
  }
  for (; i < n; i++) y[i] = table[x[i]];
}

/* Whether decode_simd for `law` gives `table` for every codeword. */
EXPORT(k_decode_check) int32_t k_decode_check(int32_t law, const int16_t *table) {
  uint8_t codes[256];
  int16_t out[256];
  for (int i = 0; i < 256; i++) codes[i] = (uint8_t)i;
  decode_simd(law, codes, out, 256, table);
  for (int i = 0; i < 256; i++)
    if (out[i] != table[i]) return 0;
  return 1;
}

static HalfPre pre_all[MAX_HALVES];
static int32_t sounded[MAX_HALVES];

/*
 * What the call's `count` whole halves from x need whatever the judgements: their energies, and
 * for the sounded ones the high-group filters, two halves per pass and the passes back to back.
 * A pass is bound by its chains' latency; independent passes in a row overlap in the processor,
 * which a pass between two judgements (that branch on its result) cannot. The low group stays
 * lazy (low_slot): computing it for every sounded half measured slower.
 */
static void precompute(Chan *c, const int16_t *x, int32_t count) {
  const int B = c->B;
  int32_t ns = 0;
  for (int32_t j = 0; j < count; j++) {
    HalfPre *p = &pre_all[j];
    half_energy(x + j * B, B, &p->e, &p->sum);
    p->hasLow = 0;
    if (p->e >= c->gateEnergy) sounded[ns++] = j;
  }
  double st[16];
  for (int32_t i = 0; i < ns; i += 2) {
    int32_t j0 = sounded[i], j1 = i + 1 < ns ? sounded[i + 1] : j0;
    const int16_t *x0 = x + j0 * B, *x1 = x + j1 * B;
    HalfPre *p0 = &pre_all[j0], *p1 = &pre_all[j1];
    goertzel_pair(c->k + 4, x0, x1, B, st);
    for (int f = 0; f < 8; f++) {
      p0->st[f] = st[f];
      p1->st[f] = st[8 + f];
    }
  }
}

/* One call of MaskCore.run (linear: elem 2) or runCodes (G.711: elem 1): `n` elements at `in`,
 * the delayed and masked stream to `out`. Windows and digits of the call go to the output areas;
 * returns their counts as (digits << 16) | windows. G.711 is decoded in one pass up front, so the
 * analysis reads the same 16-bit samples as the reference's table lookups. */
EXPORT(k_run) int32_t k_run(Chan *c, const void *in, void *out, int32_t n) {
  n_windows = 0;
  n_digits = 0;
  if (n > PIECE) n = PIECE;
  const int32_t b = c->B;
  const int16_t *ana;
  if (c->elem == 2) {
    ana = (const int16_t *)in;
  } else {
    const uint8_t *x = (const uint8_t *)in;
    const int16_t *t = c->decode;
    if (c->law) {
      decode_simd(c->law, x, dec_buf, n, t);
    } else {
      for (int32_t k = 0; k < n; k++) dec_buf[k] = t[x[k]];
    }
    ana = dec_buf;
  }
  delay_process(c, in, out, n);
  int32_t first = c->blockFill == 0 ? 0 : b - c->blockFill;
  int32_t whole = first < n ? (n - first) / b : 0;
  precompute(c, ana + first, whole);
  int32_t h = 0;
  int32_t pos = 0;
  while (pos < n) {
    int32_t m = n - pos;
    if (m > b - c->blockFill) m = b - c->blockFill;
    /* The mask's fast path inline (nearly always taken): no window open, and masking off or
     * every marked block already out. */
    if (c->winStart >= 0 || (c->secure && c->count - c->d < (c->lastMarked + 1) * b)) apply_mask(c, out, pos, m);
    c->count += m;
    if (m == b) {
      an_feed_pre(c, ana + pos, &pre_all[h++]);
      if (h < whole) {
        c->next = ana + pos + b;
        c->nextPre = &pre_all[h];
      } else {
        c->next = 0;
      }
      on_block(c, judge(c));
    } else {
      int16_t *buf = c->blockBuf;
      int32_t fill = c->blockFill;
      const int16_t *x = ana + pos;
      for (int32_t k = 0; k < m; k++) buf[fill + k] = x[k];
      c->blockFill = fill + m;
      if (c->blockFill == b) {
        c->blockFill = 0;
        c->next = 0;
        an_feed(c, buf);
        on_block(c, judge(c));
        an_release(c);
      }
    }
    pos += m;
  }
  an_release(c);
  c->next = 0;
  return (n_digits << 16) | n_windows;
}

/* MaskCore.finish: the last `d` elements to `out`; the channel then starts a new stream. */
EXPORT(k_finish) int32_t k_finish(Chan *c, void *out) {
  n_windows = 0;
  n_digits = 0;
  int64_t streamEnd = c->count;
  if (c->blockFill > 0) {
    for (int32_t i = c->blockFill; i < c->B; i++) c->blockBuf[i] = 0;
    c->blockFill = 0;
    an_feed(c, c->blockBuf);
    on_block(c, judge(c));
  }
  an_feed_silent(c);
  on_block(c, judge(c));
  if (c->hasDetector) finish_stream(c, (double)streamEnd);
  const int32_t d = c->d;
  __builtin_memcpy(out, c->delay, (uint32_t)d * c->elem);
  delay_reset(c);
  apply_mask(c, out, 0, d);
  c->count += d;
  close_window(c, c->count);
  c->count = 0;
  c->blockIndex = 0;
  c->lastMarked = -1;
  for (int32_t i = 0; i <= c->markMask; i++) c->markIds[i] = -1;
  an_reset(c);
  return (n_digits << 16) | n_windows;
}

EXPORT(k_set_secure) void k_set_secure(Chan *c, int32_t on) { c->secure = on; }

/* The digit being followed: its key (−1: none), first sample, and whether it is confirmed. */
EXPORT(k_pending_key) int32_t k_pending_key(Chan *c) { return c->hasDetector ? c->runKey : NO_KEY; }
EXPORT(k_pending_start) double k_pending_start(Chan *c) { return (double)c->runFirst * c->N; }
EXPORT(k_pending_confirmed) int32_t k_pending_confirmed(Chan *c) { return c->validCount >= c->minValidBlocks; }

/* Bytes of a channel's block (state, delay line, buffers, marks), for the memory figure. */
static uint32_t chan_bytes(int32_t B, int32_t d, int32_t elem, int32_t markSize) {
  uint32_t sz = (sizeof(Chan) + 15u) & ~15u;
  sz += ((uint32_t)d * elem + 15u) & ~15u;
  sz += ((uint32_t)B * 2 + 15u) & ~15u;      /* blockBuf */
  sz += ((uint32_t)B * 4 + 15u) & ~15u;      /* saved: two halves */
  sz += (uint32_t)markSize * 8;
  return sz;
}

EXPORT(k_chan_bytes) uint32_t k_chan_bytes(int32_t B, int32_t d, int32_t elem, int32_t markSize) {
  return chan_bytes(B, d, elem, markSize) + HDR;
}

/*
 * Lays a channel out in its block (zeroed first: k_alloc's contract, and k_chan_reset's), takes
 * the configuration fields of `t`, and sets the stream state to its start.
 */
static void chan_init(Chan *c, const Chan *t) {
  const int32_t B = t->B, d = t->d, elem = t->elem, markSize = t->markMask + 1;
  __builtin_memset(c, 0, chan_bytes(B, d, elem, markSize));
  unsigned char *p = (unsigned char *)c;
  p += (sizeof(Chan) + 15u) & ~15u;
  c->delay = p;
  p += ((uint32_t)d * elem + 15u) & ~15u;
  c->blockBuf = (int16_t *)p;
  p += ((uint32_t)B * 2 + 15u) & ~15u;
  c->saved = (int16_t *)p;
  p += ((uint32_t)B * 4 + 15u) & ~15u;
  c->markIds = (int64_t *)p;
  c->markMask = t->markMask;
  c->B = B;
  c->d = d;
  c->elem = elem;
  /* The configuration: every field k_chan_new reads from cfg. */
  c->fillValue = t->fillValue;
  c->table = t->table;
  c->period = t->period;
  c->decode = t->decode;
  c->law = t->law;
  c->k = t->k;
  c->gateEnergy = t->gateEnergy;
  c->secure = t->secure;
  c->hasDetector = t->hasDetector;
  c->floorPower = t->floorPower;
  c->highLouderRatio = t->highLouderRatio;
  c->lowLouderRatio = t->lowLouderRatio;
  c->toPower = t->toPower;
  c->windowSamples = t->windowSamples;
  c->halfToPower = t->halfToPower;
  c->halfRatio = t->halfRatio;
  c->halfLow = t->halfLow;
  c->halfHigh = t->halfHigh;
  c->minToneRatio = t->minToneRatio;
  c->pairInverse = t->pairInverse;
  c->gate = t->gate;
  c->toneFloor = t->toneFloor;
  c->share = t->share;
  c->purity = t->purity;
  c->twistHigh = t->twistHigh;
  c->twistLow = t->twistLow;
  c->domLow = t->domLow;
  c->domHigh = t->domHigh;
  c->toEnergy = t->toEnergy;
  c->N = t->N;
  c->sampleRate = t->sampleRate;
  c->minDurationSamples = t->minDurationSamples;
  c->maxDeviation = t->maxDeviation;
  c->maxTwistHigh = t->maxTwistHigh;
  c->maxTwistLow = t->maxTwistLow;
  c->minPurity = t->minPurity;
  c->minLowDominance = t->minLowDominance;
  c->minHighDominance = t->minHighDominance;
  c->minValidBlocks = t->minValidBlocks;
  for (int i = 0; i < 8; i++) {
    c->lowStep[i] = t->lowStep[i];
    c->highStep[i] = t->highStep[i];
  }
  for (int i = 0; i < 4; i++) {
    c->lowFreqs[i] = t->lowFreqs[i];
    c->highFreqs[i] = t->highFreqs[i];
  }
  /* The stream's start. */
  for (int32_t i = 0; i < markSize; i++) c->markIds[i] = -1;
  c->src[0] = c->saved;
  c->src[1] = c->saved + B;
  c->lastMarked = -1;
  c->winStart = -1;
  delay_reset(c);
  an_reset(c);
  det_reset(c);
}

/*
 * A new channel from the configuration `cfg` (doubles, layout in kernel.ts CFG_*). Pointers to
 * the shared tables (rate constants, pair inverses, mask tone, decode table) are in it too.
 * Returns 0 when memory cannot grow.
 */
EXPORT(k_chan_new) Chan *k_chan_new(const double *cfg) {
  /* The configuration, read into a template that chan_init copies into the new block. */
  Chan t;
  Chan *c = &t;
  __builtin_memset(c, 0, sizeof t);
  c->B = (int32_t)cfg[0];
  c->d = (int32_t)cfg[1];
  c->elem = (int32_t)cfg[2];
  c->markMask = (int32_t)cfg[3] - 1;
  c->fillValue = (int32_t)cfg[4];
  c->table = (const void *)(uintptr_t)cfg[5];
  c->period = (int32_t)cfg[6];
  c->decode = (const int16_t *)(uintptr_t)cfg[7];
  c->law = (int32_t)cfg[66];
  if (c->law && !k_decode_check(c->law, c->decode)) c->law = 0;
  c->k = (const double *)(uintptr_t)cfg[8];
  c->gateEnergy = cfg[9];
  c->secure = (int32_t)cfg[10];
  c->hasDetector = (int32_t)cfg[11];
  /* tone presence */
  c->floorPower = cfg[12];
  c->highLouderRatio = cfg[13];
  c->lowLouderRatio = cfg[14];
  c->toPower = cfg[15];
  c->windowSamples = cfg[16];
  c->halfToPower = cfg[17];
  c->halfRatio = cfg[18];
  c->halfLow = cfg[19];
  c->halfHigh = cfg[20];
  c->minToneRatio = cfg[21];
  /* detector block analyzer */
  c->pairInverse = (const double *)(uintptr_t)cfg[22];
  c->gate = cfg[23];
  c->toneFloor = cfg[24];
  c->share = cfg[25];
  c->purity = cfg[26];
  c->twistHigh = cfg[27];
  c->twistLow = cfg[28];
  c->domLow = cfg[29];
  c->domHigh = cfg[30];
  c->toEnergy = cfg[31];
  c->N = cfg[32];
  /* detector */
  c->sampleRate = cfg[33];
  c->minDurationSamples = cfg[34];
  c->maxDeviation = cfg[35];
  c->maxTwistHigh = cfg[36];
  c->maxTwistLow = cfg[37];
  c->minPurity = cfg[38];
  c->minLowDominance = cfg[39];
  c->minHighDominance = cfg[40];
  c->minValidBlocks = (int32_t)cfg[41];
  for (int i = 0; i < 8; i++) {
    c->lowStep[i] = cfg[42 + i];
    c->highStep[i] = cfg[50 + i];
  }
  for (int i = 0; i < 4; i++) {
    c->lowFreqs[i] = cfg[58 + i];
    c->highFreqs[i] = cfg[62 + i];
  }
  Chan *ch = (Chan *)k_alloc(chan_bytes(t.B, t.d, t.elem, t.markMask + 1));
  if (ch) chan_init(ch, &t);
  return ch;
}

/*
 * The channel as k_chan_new left it, its configuration kept (secure as last set): a relay's spare
 * stream starts its next call on it instead of a new channel (firmware-sim/relay/rtp-stream.ts).
 * Every byte of its block is written again, so nothing of the last stream remains; the test
 * (test/unit/dsp/kernel-reset.test.ts) compares the block with a new channel's byte for byte.
 */
EXPORT(k_chan_reset) void k_chan_reset(Chan *c) {
  Chan t = *c;
  chan_init(c, &t);
}
