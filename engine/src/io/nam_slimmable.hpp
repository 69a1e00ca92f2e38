#pragma once
// Neural Amp Modeler's slimmable WaveNets: a layer array whose config has
//   "slimmable": {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [2, 4, 8]}}
// may be cut to fewer channels. The size (0 to 1) chosen at load picks one allowed count per array, and the
// WaveNet is cut to it as NeuralAmpModelerCore cuts it: every weight array keeps its leading rows and columns
// (the first outputs of the first inputs, all kernel taps), the bottleneck shrinks in proportion, and the
// arrays' chain (one array's input and head sizes, the next one's channels) follows. The reader
// (io/nam.cpp) parses the config and reports errors; this file does the arithmetic.
#include <memory>
#include <string>
#include <vector>

#include "rtn/wavenet_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn::nam {

// The channel count that `size` picks from an array's ascending allowed counts: entry floor(size * n),
// the last one from size (n-1)/n on (Neural Amp Modeler's rule; size 1 is always the full array).
int slimmed_channels(const std::vector<int>& allowed, double size);

// Why `full` cannot be cut to `channels` (one count per array), as "layers[1]: ..." (the array's place in the
// config, then what is wrong); empty when it can. Neural Amp Modeler cuts only ungrouped convolutions, head
// rechannels of kernel size 1 and WaveNets without a post-stack head; rtn also refuses per-channel PReLU
// slopes on a bottleneck that shrinks (NAM's engine would read past them).
std::string slimming_problem(const WaveNetSpec& full, const std::vector<int>& channels);

// `full` cut to `channels`, with its weights (named and shaped as WaveNetSpec::append_expected_weights()
// lists them) cut to match. Requires slimming_problem() to be empty. Allocates.
struct SlimmedWaveNet {
  std::shared_ptr<const WaveNetSpec> spec;
  Weights weights;
};
SlimmedWaveNet slim_wavenet(const WaveNetSpec& full, const Weights& full_weights,
                            const std::vector<int>& channels);

}  // namespace rtn::nam
