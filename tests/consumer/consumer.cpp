// Builds a one-layer model by hand and checks one output: proof that the STL-only library links and runs.
#include <rtn/rtn.hpp>

#include <cmath>
#include <cstdio>

int main() {
  rtn::ModelDefinition definition;
  definition.layers.push_back({rtn::LayerSpec::dense(1, 1), {{"weight", {{1, 1}, {2.0f}}}, {"bias", {{1}, {0.5f}}}}});
  definition.input_skip = true;
  rtn::Model model = rtn::Model::build(definition);
  const float out = model.process_sample(0.25f);  // 2 * 0.25 + 0.5 + 0.25 (skip)
  if (std::fabs(out - 1.25f) > 1e-6f || rtn::compiled_backends().size() != 1) {
    std::printf("consumer: unexpected output %f or backends %zu\n", out, rtn::compiled_backends().size());
    return 1;
  }
  std::printf("consumer: STL-only rtn works (%s backend)\n", std::string(rtn::backend_name(model.layer(0).backend())).c_str());
  return 0;
}
