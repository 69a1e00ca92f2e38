#include "layers/recurrent.hpp"

#include <string>

namespace rtn {

namespace {

// A padded column-major matrix whose row r is row row_map[r] of the row-major [*][columns] source times
// row_scale[r], or zeros where row_map[r] is -1.
PaddedMatrix padded_matrix_from_row_map(const float* source, const std::vector<int>& row_map,
                                        const std::vector<float>& row_scale, int columns) {
  PaddedMatrix matrix;
  matrix.rows = static_cast<int>(row_map.size());
  matrix.columns = columns;
  matrix.stride = padded_size(matrix.rows);
  matrix.values.assign(static_cast<std::size_t>(matrix.stride) * columns, 0.0f);
  for (int row = 0; row < matrix.rows; ++row) {
    if (row_map[row] < 0) continue;
    const float* source_row = source + static_cast<std::size_t>(row_map[row]) * columns;
    for (int column = 0; column < columns; ++column) {
      matrix.values[static_cast<std::size_t>(column) * matrix.stride + row] =
          source_row[column] * row_scale[row];
    }
  }
  return matrix;
}

// The whole kPadFloats chunks of frame rows that some input row feeds, merged into ranges.
std::vector<std::pair<int, int>> fed_ranges(const std::vector<int>& row_map) {
  std::vector<std::pair<int, int>> ranges;
  const int rows = static_cast<int>(row_map.size());
  for (int chunk = 0; chunk < rows; chunk += kPadFloats) {
    bool fed = false;
    for (int row = chunk; row < std::min(rows, chunk + kPadFloats); ++row) fed = fed || row_map[row] >= 0;
    if (!fed) continue;
    if (!ranges.empty() && ranges.back().first + ranges.back().second == chunk) {
      ranges.back().second += kPadFloats;
    } else {
      ranges.emplace_back(chunk, kPadFloats);
    }
  }
  return ranges;
}

}  // namespace

std::vector<RecurrentLayer> recurrent_layers(const LayerSpec& spec, const Weights& weights,
                                             const RecurrentLayout& layout) {
  const int hidden = spec.output_size;
  std::vector<RecurrentLayer> layers(spec.num_layers);
  for (int l = 0; l < spec.num_layers; ++l) {
    const std::string suffix = "_l" + std::to_string(l);
    RecurrentLayer& layer = layers[l];
    layer.input_size = l == 0 ? spec.input_size : hidden;
    layer.input = padded_matrix_from_row_map(weights.at("weight_ih" + suffix).values.data(),
                                             layout.input_rows, layout.row_scale, layer.input_size);
    layer.recurrent = padded_matrix_from_row_map(weights.at("weight_hh" + suffix).values.data(),
                                                 layout.recurrent_map, layout.row_scale, hidden);
    if (!layout.gated_map.empty()) {
      const auto first = layout.row_scale.begin() + layout.gated_first_row;
      const std::vector<float> gated_scale(first,
                                           first + static_cast<std::ptrdiff_t>(layout.gated_map.size()));
      layer.gated = padded_matrix_from_row_map(weights.at("weight_hh" + suffix).values.data(),
                                               layout.gated_map, gated_scale, hidden);
    }
    layer.input_ranges = fed_ranges(layout.input_rows);
    layer.bias.assign(layout.frame_stride, 0.0f);
    if (spec.bias) {
      const float* bias_ih = weights.at("bias_ih" + suffix).values.data();
      const float* bias_hh = weights.at("bias_hh" + suffix).values.data();
      for (int r = 0; r < layout.frame_stride; ++r) {
        if (layout.input_rows[r] >= 0) layer.bias[r] += bias_ih[layout.input_rows[r]];
        if (r < layout.recurrent_rows && layout.recurrent_map[r] >= 0)
          layer.bias[r] += bias_hh[layout.recurrent_map[r]];
        const int gated_row = r - layout.gated_first_row;
        if (gated_row >= 0 && gated_row < static_cast<int>(layout.gated_map.size()) &&
            layout.gated_map[gated_row] >= 0)
          layer.bias[r] += bias_hh[layout.gated_map[gated_row]];
        layer.bias[r] *= layout.row_scale[r];
      }
    }
    if (spec.initial_state) {
      layer.initial_h = padded_vector(weights.at("initial_h" + suffix).values.data(), hidden);
      layer.initial_c = padded_vector(weights.at("initial_c" + suffix).values.data(), hidden);
    }
  }
  return layers;
}

}  // namespace rtn
