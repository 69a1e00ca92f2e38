#pragma once
// A small reader of float WAV files for the tests (the golden outputs of Neural Amp Modeler are 32-bit float
// WAV): no dependency, and errors that say what is wrong with the file.
#include <string>
#include <vector>

namespace rtn::testing {

struct WavFile {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // interleaved frames
};

// Reads a RIFF/WAVE file of 32-bit IEEE float samples (format 3, or WAVE_FORMAT_EXTENSIBLE with the float
// subformat). Throws std::runtime_error naming the file and the problem.
WavFile read_float_wav(const std::string& path);

}  // namespace rtn::testing
