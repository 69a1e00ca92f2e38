#include "layers/padded_matrix.hpp"

#include <algorithm>

namespace rtn {

PaddedMatrix padded_matrix_from_rows(const float* source, int rows, int columns, int row_stride) {
  PaddedMatrix matrix;
  matrix.rows = rows;
  matrix.columns = columns;
  matrix.stride = padded_size(rows);
  matrix.values.assign(static_cast<std::size_t>(matrix.stride) * columns, 0.0f);
  for (int row = 0; row < rows; ++row) {
    for (int column = 0; column < columns; ++column) {
      matrix.values[static_cast<std::size_t>(column) * matrix.stride + row] =
          source[static_cast<std::size_t>(row) * row_stride + column];
    }
  }
  return matrix;
}

AlignedFloats padded_vector(const float* source, int n) {
  AlignedFloats values(padded_size(n), 0.0f);
  if (source) std::copy(source, source + n, values.begin());
  return values;
}

}  // namespace rtn
