// The arithmetic primitives under every vector kernel, per ISA, through the
// kernel table (kernels/primitives_abi.h): fused multiply-adds round once
// where the ISA has FMA (and are a multiply and an add, two roundings, where
// it has not), and two_prod is exact on every ISA. Runs on each ISA this CPU
// has; the instruction census (tools/check_isa_instructions.py) covers the
// ones it lacks.
#include <cmath>
#include <string>

#include "dispatch.h"
#include "test_support.h"

namespace k = rusttorch::kernels;

namespace {

// Operands whose products need more than one rounding to show: x and y with
// random mantissas and exponents, z near -x y (so x y + z cancels and the
// product's rounding error is the whole answer), or anything in the range.
template <class T>
void random_operands(int64_t n, uint64_t seed, std::vector<T>& x, std::vector<T>& y, std::vector<T>& z) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> mant(1.0, 2.0);
  std::uniform_int_distribution<int> ex(-40, 40), sign(0, 1), kind(0, 3);
  const auto draw = [&] { return static_cast<T>((sign(gen) ? -1 : 1) * std::ldexp(mant(gen), ex(gen))); };
  x.resize(n), y.resize(n), z.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = draw(), y[i] = draw();
    const T p = x[i] * y[i];
    switch (kind(gen)) {
      case 0: z[i] = -p; break;
      case 1: z[i] = p; break;
      case 2: z[i] = static_cast<T>(-p * (1 + std::ldexp(mant(gen), -20))); break;
      default: z[i] = draw(); break;
    }
  }
}

// The correctly rounded value of each op (std::fma is exact, in software if
// need be), or the two-rounding one.
template <class T>
T expected(int op, T x, T y, T z, bool fused) {
  const T nx = (op == k::kFnma || op == k::kFnms) ? -x : x;
  const T zz = (op == k::kFms || op == k::kFnms) ? -z : z;
  if (fused) return std::fma(nx, y, zz);
  volatile T p = nx * y;  // rounded here (and -ffp-contract=off everywhere)
  return p + zz;
}

template <class T>
void check_fused(const k::PrimitiveKernels& prim, k::FusedFn<T> const* fns, const char* type) {
  const int64_t n = 1003;  // whole vectors and a tail on every width
  std::vector<T> x, y, z, out(n);
  random_operands<T>(n, 42, x, y, z);
  const char* names[] = {"fma", "fms", "fnma", "fnms"};
  for (int op = 0; op < k::kNumFusedOps; ++op) {
    const std::string what = std::string(type) + " " + names[op];
    INFO(what);
    REQUIRE(static_cast<bool>(fns[op]));
    fns[op](x.data(), y.data(), z.data(), out.data(), n);
    int64_t wrong = 0, discriminating = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T want = expected<T>(op, x[i], y[i], z[i], prim.has_fma != 0);
      if (rt_test::ulp_distance(out[i], want) != 0) {
        if (wrong++ < 5) MESSAGE("i=" << i << " x=" << x[i] << " y=" << y[i] << " z=" << z[i] << " got " << out[i] << " want " << want);
      }
      discriminating += rt_test::ulp_distance(expected<T>(op, x[i], y[i], z[i], true),
                                              expected<T>(op, x[i], y[i], z[i], false)) != 0;
    }
    CHECK(wrong == 0);
    CHECK(discriminating > n / 8);  // the data tells one rounding from two
  }
}

template <class T>
void check_two_prod(k::TwoProdFn<T> fn, const char* type) {
  const std::string what = std::string(type) + " two_prod";
  INFO(what);
  REQUIRE(static_cast<bool>(fn));
  const int64_t n = 1003;
  std::vector<T> a, b, unused, hi(n), lo(n);
  random_operands<T>(n, 7, a, b, unused);
  fn(a.data(), b.data(), hi.data(), lo.data(), n);
  int64_t wrong = 0, inexact = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T h = a[i] * b[i];
    const T l = std::fma(a[i], b[i], -h);  // a b - h is representable: std::fma gives it exactly
    inexact += l != 0;
    if (rt_test::ulp_distance(hi[i], h) != 0 || rt_test::ulp_distance(lo[i], l) != 0) {
      if (wrong++ < 5) MESSAGE("i=" << i << " a=" << a[i] << " b=" << b[i] << " got " << hi[i] << " + " << lo[i] << " want " << h << " + " << l);
    }
  }
  CHECK(wrong == 0);
  CHECK(inexact > n / 2);  // most products are not representable: lo carries them
}

}  // namespace

TEST_CASE("fused multiply-adds round once on every ISA with FMA, and two_prod is exact everywhere") {
  std::string ran;
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::PrimitiveKernels& prim = rusttorch::detail::active_kernels().primitives;
    if (isa == "scalar") {  // long double and libm: no vector primitives
      CHECK_FALSE(static_cast<bool>(prim.two_prod_f32));
      return;
    }
    // The ISAs the kernels build with FMA; sse42 has none.
    CHECK(prim.has_fma == (isa == "sse42" ? 0 : 1));
    check_fused<float>(prim, prim.fused_f32, "float32");
    check_fused<double>(prim, prim.fused_f64, "float64");
    check_two_prod<float>(prim.two_prod_f32, "float32");
    check_two_prod<double>(prim.two_prod_f64, "float64");
    ran += (ran.empty() ? "" : ", ") + isa;
  });
  MESSAGE("primitives checked on: " << ran);
}
