#pragma once
// Layer sizes known at run time (the generic kernels) or at compile time (the ".fixed" implementations).
// A kernel template asks for each size through size_or<N>(value): with N > 0 it gets Size<N>, a constant
// the backend's ops can specialise on (every loop's trip count known, the sums kept in registers); with
// N == 0 it gets the run-time int. The same kernel code serves both, so no layer is written twice.
#include <type_traits>

#include "aligned_buffer.hpp"

namespace rtn {

template <int N>
using Size = std::integral_constant<int, N>;

template <int N>
constexpr auto size_or(int runtime) noexcept {
  if constexpr (N > 0) {
    return Size<N>{};
  } else {
    return runtime;
  }
}

// k * n, and n rounded down to a multiple of k: compile-time constants when n is one.
template <int K, typename N>
constexpr auto size_times(N n) noexcept {
  if constexpr (std::is_integral_v<N>) {
    return K * n;
  } else {
    return Size<K * N::value>{};
  }
}
template <int K, typename N>
constexpr auto size_round_down(N n) noexcept {
  if constexpr (std::is_integral_v<N>) {
    return n - n % K;
  } else {
    return Size<N::value - N::value % K>{};
  }
}

// The sizes the fixed-size kernels are compiled for: the hidden sizes and widths of the models people ship
// (amp models' LSTMs and GRUs of 8-64, NAM's WaveNet channels, the Dense layers around them).
#define RTN_FIXED_SIZES 8, 12, 16, 20, 24, 32, 40, 48, 64

}  // namespace rtn
