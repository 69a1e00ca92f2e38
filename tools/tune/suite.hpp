#pragma once
// What rtn-tune measures: the layer shapes of a suite file (docs/tuning.md#suite-files) and of model files.
#include <string>
#include <vector>

#include "rtn/layer_spec.hpp"
#include "rtn/model_file.hpp"

namespace rtn::tune {

struct Suite {
  std::vector<LayerSpec> shapes;     // each shape once, in the order first met
  std::vector<int> blocks;           // the suite's block sizes; empty when it names none
  std::vector<std::string> sources;  // the files the shapes came from
};

// True when `path` is a JSON document whose "format" is "rtn-suite". Allocates; reads the file.
bool is_suite_file(const std::string& path);
// Adds a suite file's layers (grids expanded) and the shapes of the models it lists. Allocates.
// Throws rtn::Error naming the file and the place in it ("s.json: layers[2].hidden_size: ...").
void add_suite(Suite& suite, const std::string& path);
// Adds the shapes of a model file's layers (any format load_model_file() reads, with `options`: the size of a
// slimmable NAM model). Allocates. Throws rtn::Error.
void add_model(Suite& suite, const std::string& path, const LoadOptions& options = {});

}  // namespace rtn::tune
