// What the causal convolutions of every backend share: the weight layout and the history of input frames.
#include <algorithm>

#include "layers/conv1d/causal_conv.hpp"

namespace rtn {

namespace {

// What one more matrix product per frame costs, in multiply-adds: the call, and loading and storing its
// accumulators. Decides when computing group by group beats one block-diagonal product.
constexpr double kProductCallCost = 64.0;

// True when the layer is cheaper as one product per group than as one product with the other groups'
// weights as zeros.
bool compute_by_group(const LayerSpec& spec) {
  if (spec.groups == 1) return false;
  const int taps = spec.kernel_size;
  const int group_in = spec.input_size / spec.groups;
  const int group_out = spec.output_size / spec.groups;
  const double whole = static_cast<double>(padded_size(spec.output_size)) * spec.input_size * taps;
  const double by_group =
      spec.groups * (static_cast<double>(padded_size(group_out)) * group_in * taps + kProductCallCost);
  return by_group < whole;
}

}  // namespace

Conv1dWeights conv1d_weights(const LayerSpec& spec, const Weights& weights) {
  const int taps = spec.kernel_size;
  const int group_in = spec.input_size / spec.groups;
  const int group_out = spec.output_size / spec.groups;
  const std::vector<float>& weight = weights.at("weight").values;  // [out][group_in][taps]
  const float* bias = spec.bias ? weights.at("bias").values.data() : nullptr;

  Conv1dWeights laid_out;
  laid_out.depthwise = spec.groups > 1 && group_in == 1 && group_out == 1;
  if (laid_out.depthwise) {
    const int channels = spec.output_size;
    laid_out.block_rows = laid_out.block_columns = channels;
    laid_out.block_stride = padded_size(channels);
    laid_out.values.assign(static_cast<std::size_t>(taps) * laid_out.block_stride, 0.0f);
    for (int c = 0; c < channels; ++c) {
      for (int j = 0; j < taps; ++j) {
        laid_out.values[static_cast<std::size_t>(j) * laid_out.block_stride + c] =
            weight[static_cast<std::size_t>(c) * taps + j];
      }
    }
    laid_out.bias = padded_vector(bias, channels);
    return laid_out;
  }

  laid_out.blocks = compute_by_group(spec) ? spec.groups : 1;
  laid_out.block_rows = spec.output_size / laid_out.blocks;
  laid_out.block_columns = spec.input_size / laid_out.blocks;
  laid_out.block_stride = padded_size(laid_out.block_rows);
  const std::size_t stride = laid_out.block_stride;
  const std::size_t block_size = stride * taps * laid_out.block_columns;
  laid_out.values.assign(block_size * laid_out.blocks, 0.0f);
  laid_out.bias.assign(stride * laid_out.blocks, 0.0f);
  for (int b = 0; b < laid_out.blocks; ++b) {
    float* block = laid_out.values.data() + b * block_size;
    for (int r = 0; r < laid_out.block_rows; ++r) {
      const int o = b * laid_out.block_rows + r;
      if (bias) laid_out.bias[b * stride + r] = bias[o];
      for (int i = 0; i < laid_out.block_columns; ++i) {
        const int c = b * laid_out.block_columns + i;
        // Inputs of another group stay zero (only when the groups share one block).
        if (c / group_in != o / group_out) continue;
        const float* source = weight.data() + (static_cast<std::size_t>(o) * group_in + c % group_in) * taps;
        for (int j = 0; j < taps; ++j) {
          block[(static_cast<std::size_t>(j) * laid_out.block_columns + i) * stride + r] = source[j];
        }
      }
    }
  }
  return laid_out;
}

void Conv1dHistory::prepare(const LayerSpec& spec, int max_chunk, bool window) {
  prepare(spec.kernel_size, spec.dilation, spec.input_size, max_chunk, 0, 0, window);
}

// (Not inline: only the first window() after a block that wrote the ring's first frames calls it.)
void Conv1dHistory::refresh_mirror(int frames) noexcept {
  float* ring = frames_.data();
  std::memcpy(ring + static_cast<std::ptrdiff_t>(capacity_) * slot_, ring,
              static_cast<std::size_t>(frames) * slot_ * sizeof(float));
  mirror_stale_ = false;
}

void Conv1dHistory::prepare(int taps, int dilation, int channels, int max_chunk, int padding_before,
                            int padding_after, bool window) {
  taps_ = taps;
  dilation_ = dilation;
  channels_ = channels;
  padding_before_ = padding_before;
  slot_ = padding_before + channels + padding_after;
  stride_ = slot_;
  start_ = 0;
  frames_in_chunk_ = 0;
  in_ = nullptr;
  in_place_ = taps_ == 1 && slot_ == channels_;
  mirrored_ = window && !in_place_ ? (taps_ - 1) * dilation_ : 0;
  mirror_stale_ = false;
  if (in_place_) {
    // One tap, no padding: the input is read where it is, nothing to keep.
    capacity_ = 0;
    frames_ = AlignedFloats();
    return;
  }
  capacity_ = (taps_ - 1) * dilation_ + max_chunk;
  // The padding is never written: it stays zero.
  frames_.assign(static_cast<std::size_t>(capacity_ + mirrored_) * slot_, 0.0f);
}

void Conv1dHistory::reset() noexcept {
  std::fill(frames_.begin(), frames_.end(), 0.0f);
  start_ = 0;
  frames_in_chunk_ = 0;
  mirror_stale_ = false;  // (all zero)
}

}  // namespace rtn
