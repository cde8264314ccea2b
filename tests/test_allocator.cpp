// Storage: 64-byte alignment, and large blocks recycled instead of returned
// to the OS (so a fresh output does not page-fault again).
#include "allocator.h"
#include "test_support.h"

using namespace rusttorch;

TEST_CASE("every tensor's storage is 64-byte aligned") {
  for (int64_t n : {1, 3, 17, 1000, 100000, 1 << 20, 3 << 20})
    CHECK(reinterpret_cast<std::uintptr_t>(Tensor::empty({n}).data_ptr()) % 64 == 0);
}

TEST_CASE("large blocks are parked and reused") {
  detail::empty_cache();
  void* first;
  {
    const Tensor big = Tensor::empty({16 << 20});  // 64 MiB
    first = big.data_ptr();
  }
  CHECK(detail::cached_bytes() >= (std::size_t{64} << 20));
  {
    const Tensor again = Tensor::empty({16 << 20});
    CHECK(again.data_ptr() == first);
    CHECK(detail::cached_bytes() == 0);
    // a slightly different size falls in the same class
    const Tensor near = Tensor::empty({(16 << 20) - 1000});
    CHECK(near.data_ptr() != first);
  }
  detail::empty_cache();
  CHECK(detail::cached_bytes() == 0);
}

TEST_CASE("outputs stay correct across recycled blocks") {
  const Tensor a = Tensor::randn({3 << 20}), b = Tensor::randn({3 << 20});
  const auto av = a.to_vec<float>(), bv = b.to_vec<float>();
  for (int rep = 0; rep < 3; ++rep) {
    const auto c = add(a, b).to_vec<float>();
    for (std::size_t i = 0; i < c.size(); i += 997) REQUIRE(c[i] == av[i] + bv[i]);
  }
}
