// The compile-time API (rtn/static_model.hpp) built against an installed rtn (target rtn::static) on the
// portable ops alone: a Dense 1->2, tanh, Dense 2->1 model built by hand, its output computed by hand.
#include <rtn/static_model.hpp>

#include <cmath>
#include <cstdio>

int main() {
  rtn::ModelDefinition definition;
  definition.output_channels = 1;
  definition.layers.push_back({rtn::LayerSpec::dense(1, 2), {{"weight", {{2, 1}, {1.0f, -2.0f}}}, {"bias", {{2}, {0.0f, 0.5f}}}}});
  definition.layers.push_back({rtn::LayerSpec::activation(rtn::LayerKind::tanh, 2), {}});
  definition.layers.push_back({rtn::LayerSpec::dense(2, 1), {{"weight", {{1, 2}, {0.5f, 0.25f}}}, {"bias", {{1}, {0.1f}}}}});
  rtn::StaticModel<rtn::StlOps, rtn::fixed::Dense<1, 2>, rtn::fixed::Tanh<2>, rtn::fixed::Dense<2, 1>> model(definition);
  model.prepare(16);
  const float x = 0.3f;
  const float expected = 0.5f * std::tanh(x) + 0.25f * std::tanh(-2.0f * x + 0.5f) + 0.1f;
  const float out = model.process_sample(x);
  const bool ok = std::fabs(out - expected) < 1e-6f;
  std::printf("%s: StaticModel gives %g, expected %g\n", ok ? "ok" : "FAILED", out, expected);
  return ok ? 0 : 1;
}
