// GEMM driver (see gemm_driver.h). The packed path follows BLIS: for each
// KC x NC panel of B (packed once, shared by all threads) the tiles of C
// (an MC-row block times a run of NR-column slivers) go to oneTBB; each tile
// packs its MC x KC block of A into a thread-local buffer and runs the ISA's
// MR x NR microkernel over it. K is cut into KC blocks in a fixed way, so the
// result never depends on the number of threads.
#include "gemm_driver.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

#include "allocator.h"
#include "parallel.h"

namespace rusttorch::detail {
namespace k = kernels;
namespace {

// Up to this many multiply-adds (64^3: about 7 us on one core here) a product
// runs on one thread: waking a second one costs about as much as it saves.
constexpr int64_t kParallelMacs = int64_t{1} << 18;
// Problems up to this many multiply-adds whose B fits in L2, or with at most
// kSkinnyRows rows (after transposing so the short side is the rows), skip
// packing: B is then read in place from cache about as fast as packed.
constexpr int64_t kDirectMacs = int64_t{160} * 160 * 160;
constexpr int64_t kDirectMaxBBytes = int64_t{256} << 10;
constexpr int64_t kSkinnyRows = 40;
constexpr int64_t kDotRowsSmall = 4;  // rows up to which the dot-product form beats packing a small B
// Columns per task on the no-pack path.
constexpr int64_t kDirectChunk = 64;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

template <class T>
const k::GemmFloatKernels<T>& float_kernels(const k::KernelTable& t) {
  if constexpr (std::is_same_v<T, float>) return t.gemm.f32;
  else return t.gemm.f64;
}

// A 64-byte aligned buffer per thread for packed blocks of A. Used only inside
// one task body (which never waits on other tasks), so a thread never hands it
// to two products at once.
struct ThreadBuffer {
  void* p = nullptr;
  std::size_t bytes = 0;
  ~ThreadBuffer() { std::free(p); }
  void* get(std::size_t want) {
    if (want > bytes) {
      std::free(p);
      bytes = (want + 4095) / 4096 * 4096;
      p = std::aligned_alloc(64, bytes);
      if (!p) {
        bytes = 0;
        throw std::bad_alloc();
      }
    }
    return p;
  }
};
thread_local ThreadBuffer t_apack;

template <class T>
GemmCall<T> transposed(const GemmCall<T>& g) {  // C^T = B^T A^T
  GemmCall<T> t = g;
  t.m = g.n;
  t.n = g.m;
  t.a = g.b;
  t.rsa = g.csb;
  t.csa = g.rsb;
  t.b = g.a;
  t.rsb = g.csa;
  t.csb = g.rsa;
  t.rsc = g.csc;
  t.csc = g.rsc;
  t.rsx = g.csx;
  t.csx = g.rsx;
  return t;
}

// Strides along dimensions of size 1 are never used: make them unit so the
// fast forms of the direct kernel apply.
template <class T>
void normalize(GemmCall<T>& g) {
  if (g.m == 1) { g.rsa = 1; g.rsc = 1; }
  if (g.n == 1) { g.csb = 1; g.csc = 1; }
  if (g.k == 1) { g.csa = 1; g.rsb = 1; }
}

template <class T>
bool direct_fast(const GemmCall<T>& g) {
  return g.csb == 1 || (g.csa == 1 && g.rsb == 1);
}

template <class T>
k::GemmEpilogue<T> epilogue_at(const GemmCall<T>& g, int64_t i, int64_t j) {
  k::GemmEpilogue<T> e{g.alpha, g.beta, nullptr, g.rsx, g.csx};
  if (g.beta != T(0)) e.x = g.x + i * g.rsx + j * g.csx;
  return e;
}

// Runs body(task) for task in [0, tasks) on up to `threads` threads, each task
// its own unit of work (dynamic: a thread slowed by others gets fewer).
template <class F>
void run_tasks(int64_t tasks, int threads, const F& body) {
  if (threads <= 1 || tasks <= 1) {
    for (int64_t t = 0; t < tasks; ++t) body(t);
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, tasks, 1),
      [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t t = r.begin(); t < r.end(); ++t) body(t);
      },
      tbb::simple_partitioner());
}

template <class T, bool = std::is_integral_v<T>> struct WrapType { using type = T; };
template <class T> struct WrapType<T, true> { using type = std::make_unsigned_t<T>; };

// C = beta * X (or zeros): K == 0 or alpha == 0, where BLAS reads neither A nor B.
template <class T>
void scale_only(const GemmCall<T>& g, int threads) {
  using U = typename WrapType<T>::type;  // integers wrap
  const int use = g.m * g.n >= kGrainCheap ? threads : 1;
  run_tasks(g.m, use, [&](int64_t i) {
    for (int64_t j = 0; j < g.n; ++j) {
      T y = T(0);
      if (g.beta != T(0)) y = static_cast<T>(static_cast<U>(g.beta) * static_cast<U>(g.x[i * g.rsx + j * g.csx]));
      g.c[i * g.rsc + j * g.csc] = y;
    }
  });
}

// ---------------------------------------------------------------- no packing
template <class T, class Fn>
void run_direct(Fn direct, const GemmCall<T>& g, int threads) {
  const int64_t col_chunks = threads > 1 ? std::min<int64_t>(ceil_div(g.n, kDirectChunk), 4 * threads) : 1;
  const int64_t row_chunks =
      threads > 1 && col_chunks < threads ? std::min<int64_t>(ceil_div(g.m, 8), threads) : 1;
  const int64_t cw = round_up(ceil_div(g.n, col_chunks), 16);
  const int64_t rh = round_up(ceil_div(g.m, row_chunks), 8);
  const int64_t nc = ceil_div(g.n, cw), nr = ceil_div(g.m, rh);
  run_tasks(nc * nr, threads, [&](int64_t t) {
    const int64_t i0 = (t / nc) * rh, j0 = (t % nc) * cw;
    const int64_t m = std::min(rh, g.m - i0), n = std::min(cw, g.n - j0);
    if (m <= 0 || n <= 0) return;
    const k::GemmEpilogue<T> e = epilogue_at(g, i0, j0);
    direct(m, n, g.k, g.a + i0 * g.rsa, g.rsa, g.csa, g.b + j0 * g.csb, g.rsb, g.csb, g.c + i0 * g.rsc + j0 * g.csc,
           g.rsc, g.csc, &e);
  });
}

// ------------------------------------------------------------------- packing
template <class T>
void run_packed(const k::GemmFloatKernels<T>& kf, const GemmCall<T>& g, int threads) {
  const int64_t MR = kf.mr, NR = kf.nr, KC = kf.kc, NC = kf.nc;
  const int64_t m = g.m, n = g.n, kk = g.k;

  // Row blocks: about MC rows, as many as a multiple of the thread count.
  int64_t mblocks = ceil_div(m, kf.mc);
  if (threads > 1 && mblocks >= threads) mblocks = round_up(mblocks, threads);
  const int64_t mc = round_up(ceil_div(m, mblocks), MR);
  mblocks = ceil_div(m, mc);

  const int64_t nc_max = std::min(NC, round_up(n, NR));
  const int64_t kc_max = std::min(KC, kk);
  std::shared_ptr<void> bbuf = allocate(static_cast<std::size_t>(kc_max * nc_max) * sizeof(T));
  T* bp = static_cast<T*>(bbuf.get());

  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t ncur = std::min(NC, n - jc);
    const int64_t slivers = ceil_div(ncur, NR);
    // Column parts per row block: enough tiles for every thread (and some
    // slack for a thread slowed by other work), each at least 4 slivers.
    int64_t nparts = 1;
    if (threads > 1 && mblocks < 2 * threads)
      nparts = std::max<int64_t>(1, std::min(ceil_div(2 * threads, mblocks), slivers / 4));
    const int64_t per_part = ceil_div(slivers, nparts);
    nparts = ceil_div(slivers, per_part);

    for (int64_t pc = 0; pc < kk; pc += KC) {
      const int64_t kc = std::min(KC, kk - pc);
      // Pack B (kc x ncur) in sliver runs, in parallel when it is big.
      const T* bsrc = g.b + pc * g.rsb + jc * g.csb;
      const int pack_threads = kc * ncur >= 4 * kGrainCheap ? threads : 1;
      const int64_t pchunks = pack_threads > 1 ? std::min<int64_t>(slivers, pack_threads) : 1;
      const int64_t per_chunk = ceil_div(slivers, pchunks);
      run_tasks(pchunks, pack_threads, [&](int64_t t) {
        const int64_t s0 = t * per_chunk, s1 = std::min(slivers, s0 + per_chunk);
        if (s0 >= s1) return;
        const int64_t cols = std::min(ncur, s1 * NR) - s0 * NR;
        kf.pack_b(cols, kc, bsrc + s0 * NR * g.csb, g.csb, g.rsb, bp + s0 * NR * kc);
      });

      const bool first = pc == 0;
      run_tasks(mblocks * nparts, threads, [&](int64_t t) {
        const int64_t ib = t / nparts, jp = t % nparts;
        const int64_t i0 = ib * mc, rows = std::min(mc, m - i0);
        const int64_t s0 = jp * per_part, s1 = std::min(slivers, s0 + per_part);
        if (rows <= 0 || s0 >= s1) return;
        T* ap = static_cast<T*>(t_apack.get(static_cast<std::size_t>(round_up(rows, MR) * kc) * sizeof(T)));
        kf.pack_a(rows, kc, g.a + i0 * g.rsa + pc * g.csa, g.rsa, g.csa, ap);
        for (int64_t s = s0; s < s1; ++s) {
          const int64_t j = jc + s * NR, nr = std::min(NR, n - j);
          const T* bs = bp + s * NR * kc;
          for (int64_t ir = 0; ir < rows; ir += MR) {
            const int64_t i = i0 + ir, mr = std::min(MR, rows - ir);
            T* c = g.c + i * g.rsc + j * g.csc;
            const k::GemmEpilogue<T> e =
                first ? epilogue_at(g, i, j) : k::GemmEpilogue<T>{g.alpha, T(1), c, g.rsc, g.csc};
            kf.micro(kc, ap + ir * kc, bs, c, g.rsc, g.csc, mr, nr, &e);
          }
        }
      });
    }
  }
}

template <class T>
void gemm_float(const k::KernelTable& kt, const GemmCall<T>& call, int threads) {
  const k::GemmFloatKernels<T>& kf = float_kernels<T>(kt);
  const int64_t macs = call.m * call.n * call.k;
  // Transposed so the short side is the rows; otherwise the other way if only
  // that one has a fast no-pack form.
  GemmCall<T> g = call.m > call.n ? transposed(call) : call;
  normalize(g);
  if (!direct_fast(g)) {
    GemmCall<T> t = transposed(g);
    normalize(t);
    if (direct_fast(t)) g = t;
  }
  const bool small = macs <= kDirectMacs && g.k * g.n * static_cast<int64_t>(sizeof(T)) <= kDirectMaxBBytes;
  // The broadcast form of the no-pack kernel (B rows contiguous) serves
  // skinny and small products; the dot-product form (B columns contiguous, as
  // linear's weight) skinny ones, but a small B only for a few rows: packing
  // it is up to twice as fast past them (linear 100x100x100: 147 -> 71 us).
  const bool no_pack = g.csb == 1 ? (g.m <= kSkinnyRows || small) : g.m <= (small ? kDotRowsSmall : kSkinnyRows);
  if (direct_fast(g) && no_pack) {
    run_direct<T>(kf.direct, g, threads);
    return;
  }
  GemmCall<T> p = call;
  normalize(p);
  run_packed(kf, p, threads);
}

template <class T>
void gemm_int(const k::KernelTable& kt, const GemmCall<T>& g, int threads) {
  k::GemmDirectFn<T> fn;
  if constexpr (std::is_same_v<T, int32_t>) fn = kt.gemm.i32;
  else fn = kt.gemm.i64;
  run_direct<T>(fn, g, threads);
}

}  // namespace

template <class T>
void gemm(const k::KernelTable& kt, const GemmCall<T>& call, int threads) {
  if (call.m <= 0 || call.n <= 0) return;
  const int64_t macs = call.m * call.n * call.k;
  if (macs <= kParallelMacs) threads = 1;
  if (call.k == 0 || call.alpha == T(0)) {
    scale_only(call, threads);
    return;
  }
  if constexpr (std::is_floating_point_v<T>) gemm_float(kt, call, threads);
  else gemm_int(kt, call, threads);
}

template <class T>
void gemm_batched(const k::KernelTable& kt, const GemmCall<T>& call, int64_t batch, const int64_t* off_a,
                  const int64_t* off_b, const int64_t* off_c, const int64_t* off_x) {
  if (batch <= 0 || call.m <= 0 || call.n <= 0) return;
  auto one = [&](int64_t i, int threads) {
    GemmCall<T> g = call;
    g.a += off_a[i];
    g.b += off_b[i];
    g.c += off_c[i];
    if (off_x && g.x) g.x += off_x[i];
    gemm(kt, g, threads);
  };
  const int threads = max_threads();
  const int64_t macs = std::max<int64_t>(1, call.m * call.n * std::max<int64_t>(call.k, 1));
  // Products big enough to use every thread on their own run one after another.
  if (threads <= 1 || batch == 1 || macs >= (int64_t{1} << 21)) {
    for (int64_t i = 0; i < batch; ++i) one(i, threads);
    return;
  }
  const int64_t per_task = std::max<int64_t>(1, kParallelMacs / macs);
  const int64_t tasks = ceil_div(batch, per_task);
  run_tasks(tasks, threads, [&](int64_t t) {
    const int64_t b1 = std::min(batch, (t + 1) * per_task);
    for (int64_t i = t * per_task; i < b1; ++i) one(i, 1);
  });
}

#define RT_GEMM_INSTANTIATE(T)                                                                           \
  template void gemm<T>(const k::KernelTable&, const GemmCall<T>&, int);                                 \
  template void gemm_batched<T>(const k::KernelTable&, const GemmCall<T>&, int64_t, const int64_t*,      \
                                const int64_t*, const int64_t*, const int64_t*);
RT_GEMM_INSTANTIATE(float)
RT_GEMM_INSTANTIATE(double)
RT_GEMM_INSTANTIATE(int32_t)
RT_GEMM_INSTANTIATE(int64_t)
#undef RT_GEMM_INSTANTIATE

}  // namespace rusttorch::detail
