#pragma once
// The one exception type rtn throws (only ever from loading and building, never from process()).
#include <stdexcept>
#include <string>

namespace rtn {

// A problem with a model, its weights or its shapes. The message names where the problem is
// (e.g. "model.json: layers[2].weights.weight_hh_l0: expected 160x40, got 160x39").
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rtn
