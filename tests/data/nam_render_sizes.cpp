// Renders a signal through Neural Amp Modeler's own engine (NeuralAmpModelerCore) at several slimmable sizes,
// for tests/data/make_nam_slimmable.py, which builds this against NAMCORE_SRC. Not part of rtn's build.
//
//   nam_render_sizes MODEL.nam IN.raw OUT.raw SIZE...
//
// IN.raw: mono float32. For each size: load the model, SetSlimmableSize(size), Reset(48000, 64) (which
// prewarms), process in blocks of 64 with the exact tanh. OUT.raw: float32 frames, one channel per size.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "NAM/activations.h"
#include "NAM/dsp.h"
#include "NAM/get_dsp.h"
#include "NAM/slimmable.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s MODEL.nam IN.raw OUT.raw SIZE...\n", argv[0]);
    return 2;
  }
  nam::activations::Activation::disable_fast_tanh();
  std::vector<float> input;
  if (FILE* file = std::fopen(argv[2], "rb")) {
    float value;
    while (std::fread(&value, sizeof value, 1, file) == 1) input.push_back(value);
    std::fclose(file);
  }
  const int sizes = argc - 4;
  std::vector<float> output(input.size() * sizes);
  constexpr int kBlock = 64;
  for (int s = 0; s < sizes; ++s) {
    auto dsp = nam::get_dsp(std::filesystem::path(argv[1]));
    auto* slimmable = dynamic_cast<nam::SlimmableModel*>(dsp.get());
    if (!slimmable) {
      std::fprintf(stderr, "%s is not a slimmable model\n", argv[1]);
      return 1;
    }
    slimmable->SetSlimmableSize(std::atof(argv[4 + s]));
    dsp->Reset(48000, kBlock);
    std::vector<float> block(kBlock);
    for (std::size_t first = 0; first < input.size(); first += kBlock) {
      const int frames = static_cast<int>(std::min<std::size_t>(kBlock, input.size() - first));
      float* in = input.data() + first;
      float* out = block.data();
      dsp->process(&in, &out, frames);
      for (int f = 0; f < frames; ++f) output[(first + f) * sizes + s] = block[f];
    }
  }
  FILE* file = std::fopen(argv[3], "wb");
  if (!file || std::fwrite(output.data(), sizeof(float), output.size(), file) != output.size()) return 1;
  std::fclose(file);
  return 0;
}
