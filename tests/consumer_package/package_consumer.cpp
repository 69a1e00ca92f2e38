// The program of the packaging tests (tests/CMakeLists.txt, "Packaging"), built against rtn found with
// find_package, FetchContent or pkg-config. It runs a model built by hand and, with the loaders, one parsed
// from JSON; the build states what the library must have, and every mismatch is a failure:
//   RTN_EXPECT_BACKENDS  how many backends are compiled in (1: stl; 3: stl, eigen, xsimd)
//   RTN_EXPECT_CPUINFO   1 if the library identifies the CPU with cpuinfo (a link dependency of librtn.a)
//   RTN_EXPECT_NATIVE    1 if the library was compiled with -march=native (its recorded build flags say so)
#include <rtn/rtn.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

}  // namespace

int main() {
  // Dense 1->1 (weight 2, bias 0.5) with the input skip: 2 * 0.25 + 0.5 + 0.25.
  rtn::ModelDefinition definition;
  definition.layers.push_back({rtn::LayerSpec::dense(1, 1), {{"weight", {{1, 1}, {2.0f}}}, {"bias", {{1}, {0.5f}}}}});
  definition.input_skip = true;
  rtn::Model model = rtn::Model::build(definition);
  const float out = model.process_sample(0.25f);
  check(std::fabs(out - 1.25f) < 1e-6f, "hand-built model gives " + std::to_string(out) + ", expected 1.25");

#ifdef RTN_HAVE_JSON
  const char* text = R"({"format": "rtn", "version": 1, "name": "tiny", "sample_rate": 48000,
    "input_channels": 1, "output_channels": 1, "input_skip": false,
    "layers": [{"type": "dense", "in_features": 1, "out_features": 1, "bias": true,
                "weights": {"weight": [[3.0]], "bias": [-1.0]}}]})";
  rtn::Model loaded = rtn::Model::build(rtn::parse_model_json(text, "package_consumer"));
  const float loaded_out = loaded.process_sample(0.5f);
  check(std::fabs(loaded_out - 0.5f) < 1e-6f, "model from JSON gives " + std::to_string(loaded_out) + ", expected 0.5");
#endif

  const std::size_t backends = rtn::compiled_backends().size();
  check(backends == RTN_EXPECT_BACKENDS,
        std::to_string(backends) + " backends compiled in, expected " + std::to_string(RTN_EXPECT_BACKENDS));

  // this_machine() is where cpuinfo is called: linking it proves the package passes cpuinfo on.
  const rtn::MachineIdentity& machine = rtn::this_machine();
  check((machine.source == "cpuinfo") == (RTN_EXPECT_CPUINFO == 1),
        "CPU identified by " + machine.source + ", expected cpuinfo: " + (RTN_EXPECT_CPUINFO ? "yes" : "no"));

  const std::string& flags = rtn::this_build().flags;
  const bool native = flags.find("-march=native") != std::string::npos;
  check(native == (RTN_EXPECT_NATIVE == 1),
        "library built with flags \"" + flags + "\", expected -march=native: " + (RTN_EXPECT_NATIVE ? "yes" : "no"));

  return failures == 0 ? 0 : 1;
}
