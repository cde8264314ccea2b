// Matrix products (rusttorch/linalg.h) on every ISA this CPU has: against a
// float64 (long double accumulated) reference with an error bound that grows
// with K, over sizes around every register tile and cache block, transposed,
// sliced and broadcast inputs, torch.matmul's dimension rules, empty and K = 0
// products, non-finite values, integers, thread-count independence and torch's
// error messages.
#include <algorithm>
#include <array>
#include <functional>

#include "dispatch.h"  // the active ISA's kernel table (internal)
#include "test_support.h"

using namespace rusttorch;

namespace {

Tensor rand_t(const Shape& shape, DType dtype, uint64_t seed) {
  const int64_t n = checked_numel(shape);
  if (is_floating(dtype)) return Tensor::from_vec(rt_test::random_vec<double>(n, seed, -1.0, 1.0), shape).to(dtype);
  return Tensor::from_vec(rt_test::random_vec<int64_t>(n, seed, -50, 50), shape).to(dtype);
}

double eps_of(DType t) { return t == DType::Float32 ? 5.96e-8 : 1.11e-16; }

// got (m x n, any layout) against alpha * A B + beta * X computed in long
// double; |err| <= (k + 4) * eps * (sum |a||b| * |alpha| + |beta x|) + tiny.
// X is null or m x n (row-major values).
void check_product(const Tensor& got, const Tensor& a, const Tensor& b, double alpha = 1, double beta = 0,
                   const std::vector<double>* x = nullptr) {
  REQUIRE(got.ndim() == 2);
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  REQUIRE(got.size(0) == m);
  REQUIRE(got.size(1) == n);
  const auto av = a.to_vec<double>(), bv = b.to_vec<double>(), cv = got.to_vec<double>();
  const double eps = eps_of(got.dtype());
  double worst = 0;  // error / bound
  int64_t wi = -1, wj = -1;
  std::vector<long double> acc(static_cast<std::size_t>(n)), mag(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0L);
    std::fill(mag.begin(), mag.end(), 0.0L);
    for (int64_t p = 0; p < k; ++p) {
      const long double aip = av[i * k + p];
      const double* brow = bv.data() + p * n;
      for (int64_t j = 0; j < n; ++j) {
        acc[j] += aip * brow[j];
        mag[j] += std::fabs(aip * brow[j]);
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      long double ref = alpha * acc[j];
      long double bound = std::fabs(alpha) * mag[j];
      if (beta != 0 && x) {
        ref += beta * (*x)[i * n + j];
        bound += std::fabs(beta * (*x)[i * n + j]);
      }
      const double tol = static_cast<double>((k + 4) * eps * bound) + 1e-300;
      const double err = std::fabs(static_cast<double>(cv[i * n + j] - ref));
      if (!(err <= tol)) {
        if (!(worst > 1e300)) {
          worst = std::isnan(err) ? 1e301 : std::max(worst, err / tol);
          if (std::isnan(err)) MESSAGE("got " << cv[i * n + j] << " ref " << static_cast<double>(ref) << " tol " << tol);
          wi = i;
          wj = j;
        }
      }
    }
  }
  INFO("m=" << m << " k=" << k << " n=" << n << " worst at (" << wi << ", " << wj << ")");
  CHECK(worst <= 1.0);
}

const std::vector<int64_t> kSizes = {1, 2, 7, 17, 63, 64, 65, 129};
const std::vector<int64_t> kQuickSizes = {1, 7, 17, 64, 65};

// Under RUSTTORCH_TEST_QUICK (emulation, sanitizers) the long-double reference
// of the biggest products dominates; these lists keep every edge, fewer sizes.
template <class T>
std::vector<T> sizes(std::vector<T> full, std::vector<T> quick) { return rt_test::quick() ? quick : full; }
const DType kFloatTypes[] = {DType::Float32, DType::Float64};

}  // namespace

TEST_CASE("mm: every size combination around the tiles, float32 and float64, every ISA") {
  rt_test::for_each_isa([](const std::string&) {
    uint64_t seed = 1;
    for (DType dt : kFloatTypes) {
      const auto sz = sizes(kSizes, kQuickSizes);
      for (int64_t m : sz)
        for (int64_t k : sz)
          for (int64_t n : sz) {
            const Tensor a = rand_t({m, k}, dt, seed++), b = rand_t({k, n}, dt, seed++);
            const Tensor c = mm(a, b);
            CHECK(c.dtype() == dt);
            check_product(c, a, b);
          }
    }
  });
}

TEST_CASE("mm: 1000+ in each dimension (no-pack skinny, several K and N blocks, threads)") {
  rt_test::for_each_isa([](const std::string& isa) {
    uint64_t seed = 100;
    using S = std::array<int64_t, 3>;
    const std::vector<S> shapes = sizes<S>(
        {{1031, 17, 65}, {17, 1031, 65}, {65, 17, 1031}, {1, 1100, 1030}, {8, 1024, 1024}, {1030, 1024, 1},
         {300, 1100, 290}, {5000, 3, 2}},
        {{1031, 17, 65}, {17, 1031, 65}, {65, 17, 1031}, {1, 1100, 1030}, {1030, 1024, 1}, {5000, 3, 2}});
    for (DType dt : kFloatTypes)
      for (const auto& s : shapes) {
        const Tensor a = rand_t({s[0], s[1]}, dt, seed++), b = rand_t({s[1], s[2]}, dt, seed++);
        check_product(mm(a, b), a, b);
      }
    if (isa != "scalar" && !rt_test::quick()) {  // beyond one NC panel and several KC blocks
      const Tensor a = rand_t({200, 700}, DType::Float32, 7), b = rand_t({700, 4500}, DType::Float32, 8);
      check_product(mm(a, b), a, b);
    }
  });
}

TEST_CASE("mm: transposed, sliced and broadcast (stride 0) inputs are read in place") {
  rt_test::for_each_isa([](const std::string&) {
    uint64_t seed = 200;
    for (DType dt : kFloatTypes)
      for (int64_t m : sizes<int64_t>({1, 7, 65, 130}, {1, 7, 65}))
        for (int64_t k : sizes<int64_t>({1, 17, 300}, {1, 17, 70}))
          for (int64_t n : {2, 64, 129}) {
            const Tensor at = rand_t({k, m}, dt, seed++).t();  // column-major A
            const Tensor bt = rand_t({n, k}, dt, seed++).t();  // column-major B (linear's weight)
            const Tensor a = rand_t({m, k}, dt, seed++), b = rand_t({k, n}, dt, seed++);
            check_product(mm(at, b), at, b);
            check_product(mm(a, bt), a, bt);
            check_product(mm(at, bt), at, bt);
            // every other row and column of bigger matrices
            const Tensor as = rand_t({2 * m, 2 * k}, dt, seed++).slice(0, 0, 2 * m, 2).slice(1, 1, 2 * k, 2);
            const Tensor bs = rand_t({2 * k, 3 * n}, dt, seed++).slice(0, 1, 2 * k, 2).slice(1, 0, 3 * n, 3);
            check_product(mm(as, bs), as, bs);
            // a repeated row / column: stride 0
            const Tensor arow = rand_t({1, k}, dt, seed++).expand({m, k});
            const Tensor bcol = rand_t({k, 1}, dt, seed++).expand({k, n});
            check_product(mm(arow, bcol), arow, bcol);
            check_product(mm(a, bcol), a, bcol);
          }
  });
}

TEST_CASE("matmul: torch's dimension rules") {
  rt_test::for_each_isa([](const std::string&) {
    for (DType dt : kFloatTypes) {
      // 1-D . 1-D
      const Tensor v = rand_t({17}, dt, 1), w = rand_t({17}, dt, 2);
      const Tensor d = matmul(v, w);
      CHECK(d.ndim() == 0);
      check_product(d.view({1, 1}), v.view({1, 17}), w.view({17, 1}));
      // 2-D @ 1-D and 1-D @ 2-D
      const Tensor a = rand_t({65, 17}, dt, 3), b = rand_t({17, 63}, dt, 4);
      const Tensor mvr = matmul(a, v);
      CHECK(mvr.shape() == Shape{65});
      check_product(mvr.view({65, 1}), a, v.view({17, 1}));
      const Tensor vm = matmul(w, b);
      CHECK(vm.shape() == Shape{63});
      check_product(vm.view({1, 63}), w.view({1, 17}), b);
      // batched with broadcast batch dims: (2, 1, m, k) @ (3, k, n) -> (2, 3, m, n)
      const Tensor ba = rand_t({2, 1, 7, 17}, dt, 5), bb = rand_t({3, 17, 9}, dt, 6);
      const Tensor bc = matmul(ba, bb);
      CHECK(bc.shape() == Shape{2, 3, 7, 9});
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j) check_product(bc.select(0, i).select(0, j), ba.select(0, i).select(0, 0), bb.select(0, j));
      // (B..., m, k) @ (k, n): folded into one product, also from a non-contiguous batch
      const Tensor fa = rand_t({4, 5, 65, 17}, dt, 7);
      const Tensor fc = matmul(fa, b);
      CHECK(fc.shape() == Shape{4, 5, 65, 63});
      const Tensor ta = rand_t({5, 4, 65, 17}, dt, 8).transpose(0, 1);
      const Tensor tc = matmul(ta, b);
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 5; j += 2) {
          check_product(fc.select(0, i).select(0, j), fa.select(0, i).select(0, j), b);
          check_product(tc.select(0, i).select(0, j), ta.select(0, i).select(0, j), b);
        }
      // 1-D with batched: (k) @ (B, k, n) and (B, m, k) @ (k)
      const Tensor b3 = rand_t({3, 17, 9}, dt, 9), a3 = rand_t({3, 7, 17}, dt, 10);
      const Tensor r1 = matmul(v, b3);
      CHECK(r1.shape() == Shape{3, 9});
      const Tensor r2 = matmul(a3, v);
      CHECK(r2.shape() == Shape{3, 7});
      for (int64_t i = 0; i < 3; ++i) {
        check_product(r1.select(0, i).view({1, 9}), v.view({1, 17}), b3.select(0, i));
        check_product(r2.select(0, i).view({7, 1}), a3.select(0, i), v.view({17, 1}));
      }
      // many small products: parallel over the batch
      const Tensor sa = rand_t({300, 8, 9}, dt, 11), sb = rand_t({300, 9, 10}, dt, 12);
      const Tensor sc = bmm(sa, sb);
      for (int64_t i = 0; i < 300; i += 37) check_product(sc.select(0, i), sa.select(0, i), sb.select(0, i));
    }
  });
}

TEST_CASE("mv, dot, outer, bmm") {
  rt_test::for_each_isa([](const std::string&) {
    for (DType dt : kFloatTypes) {
      const Tensor a = rand_t({1100, 1030}, dt, 1), x = rand_t({1030}, dt, 2);
      check_product(mv(a, x).view({1100, 1}), a, x.view({1030, 1}));
      check_product(mv(a.t(), rand_t({1100}, dt, 3)).view({1030, 1}), a.t(), rand_t({1100}, dt, 3).view({1100, 1}));
      const Tensor y = rand_t({100003}, dt, 4), z = rand_t({100003}, dt, 5);
      check_product(dot(y, z).view({1, 1}), y.view({1, 100003}), z.view({100003, 1}));
      const Tensor ys = y.slice(0, 0, 100002, 3), zs = z.slice(0, 1, 100003, 3);
      check_product(dot(ys, zs).view({1, 1}), ys.contiguous().view({1, ys.numel()}), zs.contiguous().view({zs.numel(), 1}));
      const Tensor o = outer(rand_t({7}, dt, 6), rand_t({65}, dt, 7));
      check_product(o, rand_t({7}, dt, 6).view({7, 1}), rand_t({65}, dt, 7).view({1, 65}));
      const Tensor b1 = rand_t({3, 65, 129}, dt, 8), b2 = rand_t({3, 129, 63}, dt, 9);
      const Tensor bc = bmm(b1, b2);
      CHECK(bc.shape() == Shape{3, 65, 63});
      for (int64_t i = 0; i < 3; ++i) check_product(bc.select(0, i), b1.select(0, i), b2.select(0, i));
    }
    CHECK(outer(Tensor::ones({2}, DType::Int32), Tensor::ones({3}, DType::Float64)).dtype() == DType::Float64);
  });
}

TEST_CASE("addmm, baddbmm and linear: alpha, beta and the fused bias") {
  rt_test::for_each_isa([](const std::string&) {
    uint64_t seed = 300;
    for (DType dt : kFloatTypes)
      for (int64_t m : sizes<int64_t>({1, 7, 65, 200}, {1, 7, 65}))
        for (int64_t k : sizes<int64_t>({1, 63, 300}, {1, 63}))
          for (int64_t n : {1, 17, 129}) {
            const Tensor a = rand_t({m, k}, dt, seed++), b = rand_t({k, n}, dt, seed++);
            const Tensor bias = rand_t({n}, dt, seed++), col = rand_t({m, 1}, dt, seed++), full = rand_t({m, n}, dt, seed++);
            for (const Tensor& in : {bias, col, full, full.t().contiguous().t(), Tensor::full({}, 3.0, dt)}) {
              const auto xv = in.expand({m, n}).contiguous().to_vec<double>();
              check_product(addmm(in, a, b, 0.5, 2.0), a, b, 2.0, 0.5, &xv);
              check_product(addmm(in, a, b), a, b, 1.0, 1.0, &xv);
            }
            // linear: x @ w^T + bias, w (n, k)
            const Tensor w = rand_t({n, k}, dt, seed++);
            const auto bx = bias.expand({m, n}).contiguous().to_vec<double>();
            check_product(linear(a, w, bias), a, w.t(), 1.0, 1.0, &bx);
            check_product(linear(a, w), a, w.t());
          }
    for (DType dt : kFloatTypes) {
      // batched linear: (2, 3, 17) x (9, 17)^T + (9,), also from a transposed batch
      const Tensor x = rand_t({2, 3, 17}, dt, 1), w = rand_t({9, 17}, dt, 2), bias = rand_t({9}, dt, 3);
      const auto bx = bias.expand({3, 9}).contiguous().to_vec<double>();
      const Tensor y = linear(x, w, bias);
      CHECK(y.shape() == Shape{2, 3, 9});
      const Tensor xt = rand_t({3, 2, 17}, dt, 4).transpose(0, 1);
      const Tensor yt = linear(xt, w, bias);
      for (int64_t i = 0; i < 2; ++i) {
        check_product(y.select(0, i), x.select(0, i), w.t(), 1, 1, &bx);
        check_product(yt.select(0, i), xt.select(0, i), w.t(), 1, 1, &bx);
      }
      const Tensor y1 = linear(rand_t({17}, dt, 5), w, bias);
      CHECK(y1.shape() == Shape{9});
      check_product(y1.view({1, 9}), rand_t({17}, dt, 5).view({1, 17}), w.t(), 1, 1, &bx);
      // baddbmm
      const Tensor b1 = rand_t({3, 7, 65}, dt, 6), b2 = rand_t({3, 65, 17}, dt, 7), in = rand_t({7, 17}, dt, 8);
      const Tensor r = baddbmm(in, b1, b2, 0.25, -1.5);
      const auto xv = in.to_vec<double>();
      for (int64_t i = 0; i < 3; ++i) check_product(r.select(0, i), b1.select(0, i), b2.select(0, i), -1.5, 0.25, &xv);
    }
  });
}

TEST_CASE("empty products and K = 0") {
  rt_test::for_each_isa([](const std::string&) {
    for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
      CHECK(mm(Tensor::ones({0, 3}, dt), Tensor::ones({3, 4}, dt)).shape() == Shape{0, 4});
      CHECK(mm(Tensor::ones({3, 5}, dt), Tensor::ones({5, 0}, dt)).shape() == Shape{3, 0});
      const Tensor z = mm(Tensor::ones({70, 0}, dt), Tensor::ones({0, 90}, dt));
      CHECK(z.shape() == Shape{70, 90});
      CHECK(z.to_vec<double>() == std::vector<double>(70 * 90, 0.0));
      const Tensor s = addmm(Tensor::ones({90}, dt), Tensor::ones({70, 0}, dt), Tensor::ones({0, 90}, dt), 2, 3);
      CHECK(s.to_vec<double>() == std::vector<double>(70 * 90, 2.0));
      CHECK(dot(Tensor::ones({0}, dt), Tensor::ones({0}, dt)).item().to_double() == 0.0);
      CHECK(matmul(Tensor::ones({2, 0, 3}, dt), Tensor::ones({3, 4}, dt)).shape() == Shape{2, 0, 4});
      CHECK(bmm(Tensor::ones({0, 2, 3}, dt), Tensor::ones({0, 3, 4}, dt)).shape() == Shape{0, 2, 4});
    }
  });
}

TEST_CASE("non-finite values propagate; beta = 0 ignores the input; alpha = 0 reads no product") {
  rt_test::for_each_isa([](const std::string&) {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (DType dt : kFloatTypes)
      for (int64_t sz : {5, 40, 300}) {  // the no-pack and the packed paths
        Tensor a = Tensor::ones({sz, sz}, DType::Float64), b = Tensor::ones({sz, sz}, DType::Float64);
        auto av = a.to_vec<double>();
        av[2 * sz + 3] = nan;  // row 2 becomes NaN
        av[4 * sz + 1] = inf;  // row 4 becomes inf
        const Tensor an = Tensor::from_vec(av, {sz, sz}).to(dt);
        const auto c = mm(an, b.to(dt)).to_vec<double>();
        bool ok = true;
        for (int64_t i = 0; i < sz; ++i)
          for (int64_t j = 0; j < sz; ++j) {
            const double v = c[i * sz + j];
            if (i == 2) ok = ok && std::isnan(v);
            else if (i == 4) ok = ok && v == inf;
            else ok = ok && v == static_cast<double>(sz);
          }
        CHECK(ok);
        // inf * 0 is NaN
        const auto z = mm(an, Tensor::zeros({sz, sz}, dt)).to_vec<double>();
        CHECK(std::isnan(z[4 * sz]));
        CHECK(z[0] == 0.0);
        // beta = 0: NaN in the input does not reach the result
        const Tensor in = Tensor::full({sz}, nan, dt);
        const auto r = addmm(in, b.to(dt), b.to(dt), 0, 1).to_vec<double>();
        CHECK(std::all_of(r.begin(), r.end(), [&](double v) { return v == static_cast<double>(sz); }));
        const auto r0 = addmm(Tensor::ones({sz}, dt), an, b.to(dt), 1, 0).to_vec<double>();
        CHECK(std::all_of(r0.begin(), r0.end(), [](double v) { return v == 1.0; }));
      }
  });
}

TEST_CASE("integers: exact, wrapping, with alpha and beta") {
  rt_test::for_each_isa([](const std::string&) {
    for (DType dt : {DType::Int32, DType::Int64})
      for (int64_t m : {1, 7, 65})
        for (int64_t k : {1, 17, 130})
          for (int64_t n : {1, 9, 70}) {
            const Tensor a = rand_t({m, k}, dt, 1 + m), b = rand_t({k, n}, dt, 2 + n), x = rand_t({n}, dt, 3);
            const auto av = a.to_vec<int64_t>(), bv = b.to_vec<int64_t>(), xv = x.to_vec<int64_t>();
            const auto c = addmm(x, a.t().contiguous().t(), b, 2, 3).to_vec<int64_t>();
            bool ok = true;
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < n; ++j) {
                int64_t s = 0;
                for (int64_t p = 0; p < k; ++p) s += av[i * k + p] * bv[p * n + j];
                ok = ok && c[i * n + j] == 3 * s + 2 * xv[j];
              }
            CHECK(ok);
          }
    // int32 wraps like torch (two's complement)
    const Tensor big = Tensor::full({1, 2}, int64_t{1} << 30, DType::Int32);
    const Tensor two = Tensor::full({2, 1}, 2, DType::Int32);
    CHECK(mm(big, two).to_vec<int32_t>() == std::vector<int32_t>{0});
    CHECK(matmul(Tensor::arange(5), Tensor::arange(5)).item().to_int() == 30);
  });
}

namespace {

// The kernel ABI on its own (gemm_abi.h): BLIS loops written here around the
// ISA's pack_a / pack_b / micro, and its direct kernel, on strided operands,
// with alpha, beta and X. Independent of the driver's choices.
template <class T>
void abi_case(const kernels::GemmFloatKernels<T>& kf, int64_t m, int64_t n, int64_t k, int layout, T alpha, T beta,
              uint64_t seed) {
  const DType dt = dtype_of<T>();
  // layout bit 0: A column-major, bit 1: B column-major
  const Tensor a = (layout & 1) ? rand_t({k, m}, dt, seed).t() : rand_t({m, k}, dt, seed);
  const Tensor b = (layout & 2) ? rand_t({n, k}, dt, seed + 1).t() : rand_t({k, n}, dt, seed + 1);
  const Tensor x = rand_t({m, n}, dt, seed + 2);
  const auto xv = x.to_vec<double>();
  const T* ap = static_cast<const T*>(a.data_ptr());
  const T* bp = static_cast<const T*>(b.data_ptr());
  const int64_t rsa = a.stride(0), csa = a.stride(1), rsb = b.stride(0), csb = b.stride(1);
  const kernels::GemmEpilogue<T> ep{alpha, beta, static_cast<const T*>(x.data_ptr()), n, 1};
  Tensor c1 = Tensor::full({m, n}, 123.0, dt), c2 = Tensor::full({m, n}, -7.0, dt);
  T* c1p = static_cast<T*>(c1.data_ptr());
  kf.direct(m, n, k, ap, rsa, csa, bp, rsb, csb, c1p, n, 1, &ep);
  check_product(c1, a, b, alpha, beta, &xv);
  const int64_t MR = kf.mr, NR = kf.nr, KC = kf.kc, NC = kf.nc, MC = kf.mc;
  std::vector<T> bpack(static_cast<std::size_t>(KC * ((NC + NR - 1) / NR * NR))), apack(static_cast<std::size_t>(MC * KC));
  T* c2p = static_cast<T*>(c2.data_ptr());
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      kf.pack_b(nc, kc, bp + pc * rsb + jc * csb, csb, rsb, bpack.data());
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        kf.pack_a(mc, kc, ap + ic * rsa + pc * csa, rsa, csa, apack.data());
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR) {
            T* c = c2p + (ic + ir) * n + jc + jr;
            const kernels::GemmEpilogue<T> e =
                pc == 0 ? kernels::GemmEpilogue<T>{alpha, beta, ep.x + (ic + ir) * n + jc + jr, n, 1}
                        : kernels::GemmEpilogue<T>{alpha, T(1), c, n, 1};
            kf.micro(kc, apack.data() + ir * kc, bpack.data() + jr * kc, c, n, 1, std::min(MR, mc - ir),
                     std::min(NR, nc - jr), &e);
          }
      }
    }
  }
  check_product(c2, a, b, alpha, beta, &xv);
}

}  // namespace

TEST_CASE("kernel ABI: packing, microkernel and direct kernel on every ISA") {
  rt_test::for_each_isa([](const std::string&) {
    const auto& g = detail::active_kernels().gemm;
    const bool have_kernels = g.f32.micro && g.f64.micro && g.f32.direct && g.f64.direct;
    REQUIRE(have_kernels);
    CHECK(g.f32.mc % g.f32.mr == 0);
    CHECK(g.f32.nc % g.f32.nr == 0);
    uint64_t seed = 900;
    for (int64_t m : {1, 3, 7, 13, 33})
      for (int64_t n : {1, 2, 9, 17, 40})
        for (int64_t k : {1, 5, 16, 70, 400})
          for (int layout = 0; layout < 4; ++layout) {
            abi_case<float>(g.f32, m, n, k, layout, 1.0f, 0.0f, seed++);
            abi_case<double>(g.f64, m, n, k, layout, -0.5, 2.0, seed++);
          }
  });
}

TEST_CASE("results do not depend on the thread count") {
  const int saved = get_num_threads();
  for (DType dt : kFloatTypes) {
    const Tensor a = rand_t({333, 517}, dt, 1), b = rand_t({517, 291}, dt, 2);
    const Tensor s = rand_t({4, 1024}, dt, 3), w = rand_t({1024, 1024}, dt, 4);
    // the no-pack path split by rows and by columns, in both of its forms
    const Tensor t = rand_t({30, 500}, dt, 5), u = rand_t({500, 20}, dt, 6), v = rand_t({20, 500}, dt, 7);
    const Tensor ba = rand_t({64, 9, 33}, dt, 8), bb = rand_t({64, 33, 7}, dt, 9);
    auto run = [&] {
      return std::vector<Tensor>{mm(a, b), linear(s, w), mm(s, w), mm(t, u), linear(t, v), mm(u.t(), t.t()),
                                 bmm(ba, bb), mv(w, s.select(0, 1))};
    };
    set_num_threads(1);
    const auto r1 = run();
    set_num_threads(2);
    const auto r2 = run();
    for (std::size_t i = 0; i < r1.size(); ++i) {
      INFO("product " << i);
      if (dt == DType::Float32) CHECK(rt_test::same_values(r1[i].to_vec<float>(), r2[i].to_vec<float>()));
      else CHECK(rt_test::same_values(r1[i].to_vec<double>(), r2[i].to_vec<double>()));
    }
  }
  set_num_threads(saved);
}

TEST_CASE("errors match torch") {
  const Tensor f23 = Tensor::ones({2, 3}), f45 = Tensor::ones({4, 5});
  const Tensor d35 = Tensor::ones({3, 5}, DType::Float64);
  auto msg = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(msg([&] { mm(f23, f45); }) == "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  CHECK(msg([&] { mm(f23, d35); }) == "expected m1 and m2 to have the same dtype, but got: float != double");
  CHECK(msg([&] { mm(Tensor::ones({3}), f45); }) == "self must be a matrix");
  CHECK(msg([&] { mm(f23, Tensor::ones({3})); }) == "mat2 must be a matrix");
  CHECK(msg([&] { matmul(f23, f45); }) == "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)");
  CHECK(msg([&] { matmul(Tensor::ones({3}), f45); }) == "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)");
  CHECK(msg([&] { matmul(Tensor::ones({3}), Tensor::ones({4})); }) ==
        "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 "
        "and 4 elements respectively");
  CHECK(msg([&] { matmul(f23, Tensor::ones({4})); }) == "size mismatch, got input (2), mat (2x3), vec (4)");
  CHECK(msg([&] { matmul(Tensor::ones({2, 2, 3}), Tensor::ones({3, 3, 4})); }) ==
        "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0");
  CHECK(msg([&] { matmul(Tensor::ones({2, 2, 3}), Tensor::ones({2, 4, 4})); }) ==
        "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].");
  CHECK(msg([&] { matmul(Tensor::ones({2, 2, 3}), Tensor::ones({4})); }) ==
        "size mismatch, got input (4), mat (4x3), vec (4)");
  CHECK(msg([&] { matmul(Tensor::ones({2, 2, 3}), Tensor::ones({4, 5})); }) ==
        "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)");
  CHECK(msg([&] { matmul(Tensor::scalar_tensor(1.0), Tensor::ones({2, 4, 5})); }) ==
        "both arguments to matmul need to be at least 1D, but they are 0D and 3D");
  CHECK(msg([&] { matmul(Tensor::ones({3}), Tensor::ones({3}, DType::Float64)); }) ==
        "dot : expected both vectors to have same dtype, but found Float and Double");
  CHECK(msg([&] { matmul(Tensor::ones({2, 2, 3}), Tensor::ones({2, 3, 4}, DType::Float64)); }) ==
        "expected scalar type Float but found Double");
  CHECK(msg([&] { matmul(Tensor::ones({2, 3}, DType::Int32), Tensor::ones({3, 4}, DType::Int64)); }) ==
        "expected m1 and m2 to have the same dtype, but got: int != long int");
  CHECK(msg([&] { matmul(Tensor::ones({2, 3}, DType::Bool), Tensor::ones({3, 4}, DType::Bool)); }) ==
        "\"addmm_impl_cpu_\" not implemented for 'Bool'");
  CHECK(msg([&] { dot(Tensor::ones({3}, DType::Bool), Tensor::ones({3}, DType::Bool)); }) ==
        "\"dot\" not implemented for 'Bool'");
  CHECK(msg([&] { dot(f23, Tensor::ones({3})); }) == "1D tensors expected, but got 2D and 1D tensors");
  CHECK(msg([&] { mv(f23, Tensor::ones({3, 1})); }) == "vector + matrix @ vector expected, got 1, 2, 2");
  CHECK(msg([&] { mv(f23, Tensor::ones({3}, DType::Float64)); }) ==
        "addmv input tensors must have the same dtype, but got Double, Float, and Double");
  CHECK(msg([&] { bmm(f23, Tensor::ones({2, 3, 4})); }) == "batch1 must be a 3D tensor");
  CHECK(msg([&] { bmm(Tensor::ones({2, 2, 3}), f23); }) == "batch2 must be a 3D tensor");
  CHECK(msg([&] { bmm(Tensor::ones({2, 2, 3}), Tensor::ones({3, 3, 4})); }) ==
        "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3].");
  CHECK(msg([&] { bmm(Tensor::ones({2, 2, 3}), Tensor::ones({2, 3, 4}, DType::Float64)); }) ==
        "expected scalar type Float but found Double");
  CHECK(msg([&] { outer(f23, Tensor::ones({3})); }) == "outer: Expected 1-D argument self, but got 2-D");
  CHECK(msg([&] { addmm(Tensor::ones({5}), f23, Tensor::ones({3, 4})); }) ==
        "The expanded size of the tensor (4) must match the existing size (5) at non-singleton dimension 1.  "
        "Target sizes: [2, 4].  Tensor sizes: [5]");
  CHECK(msg([&] { addmm(Tensor::ones({4}, DType::Float64), f23, Tensor::ones({3, 4})); }) ==
        "self and mat2 must have the same dtype, but got Double and Float");
  CHECK(msg([&] { baddbmm(Tensor::ones({3, 2, 4}), Tensor::ones({2, 2, 3}), Tensor::ones({2, 3, 4})); }) ==
        "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 0.  "
        "Target sizes: [2, 2, 4].  Tensor sizes: [3, 2, 4]");
  CHECK(msg([&] { linear(f23, f45); }) == "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)");
  CHECK(msg([&] { linear(Tensor::ones({2, 5, 3}), Tensor::ones({4, 2})); }) ==
        "mat1 and mat2 shapes cannot be multiplied (10x3 and 2x4)");
  CHECK(msg([&] { linear(Tensor::ones({2, 5, 3}), Tensor::ones({4, 3}), Tensor::ones({5})); }) ==
        "The expanded size of the tensor (4) must match the existing size (5) at non-singleton dimension 1.  "
        "Target sizes: [10, 4].  Tensor sizes: [5]");
  CHECK(msg([&] { linear(f23, Tensor::ones({4, 3}, DType::Float64)); }) ==
        "expected m1 and m2 to have the same dtype, but got: float != double");
  CHECK(msg([&] { linear(Tensor::scalar_tensor(1.0), Tensor::ones({4, 3})); }) ==
        "both arguments to linear need to be at least 1D, but they are 0D and 2D");
  CHECK(msg([&] { linear(Tensor::ones({2, 5, 3}), Tensor::ones({2, 4, 3})); }) ==
        "t() expects a tensor with <= 2 dimensions, but self is 3D");
}
