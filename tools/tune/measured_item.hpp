#pragma once
// What rtn-tune measured on one layer shape and block size; the profile and the results file are made from
// these.
#include <optional>
#include <string>
#include <vector>

#include "rtn/implementation.hpp"
#include "rtn/layer_spec.hpp"
#include "tools/common/timing.hpp"

namespace rtn::tune {

// One contender (a backend or libtorch) on one layer shape and block size: its timing and its error.
struct ContenderResult {
  std::string name;  // a backend name or "libtorch"
  Statistics timing;
  double max_abs_error = 0;
  double max_rel_error = 0;
  bool within_tolerance = true;
  bool checked = false;
};

// One measured (layer shape, block size): every contender and the choice.
struct Item {
  LayerSpec spec;
  int block = 1;
  std::string checked_against;  // "libtorch" or "stl"
  double tolerance = 0;
  std::vector<ContenderResult> backends;
  std::optional<ContenderResult> libtorch;
  std::optional<Implementation> chosen;
  bool default_kept = false;  // a faster candidate won by less than its noise: the default stays
};

}  // namespace rtn::tune
