#include "support/wav_file.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace rtn::testing {

namespace {

std::uint32_t little_endian(const unsigned char* bytes, int count) {
  std::uint32_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = value << 8 | bytes[i];
  return value;
}

}  // namespace

WavFile read_float_wav(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(path + ": cannot open");
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(file)),
                                         std::istreambuf_iterator<char>());
  const auto fail = [&](const std::string& what) { throw std::runtime_error(path + ": " + what); };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    fail("not a RIFF/WAVE file");
  }
  WavFile wav;
  bool have_format = false;
  for (std::size_t position = 12; position + 8 <= bytes.size();) {
    const unsigned char* chunk = bytes.data() + position;
    const std::size_t size = little_endian(chunk + 4, 4);
    if (position + 8 + size > bytes.size()) fail("a chunk runs past the end of the file");
    const unsigned char* body = chunk + 8;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16) fail("fmt chunk too short");
      unsigned format = little_endian(body, 2);
      // WAVE_FORMAT_EXTENSIBLE: the format is the first two bytes of the subformat GUID.
      if (format == 0xFFFE && size >= 26) format = little_endian(body + 24, 2);
      wav.channels = static_cast<int>(little_endian(body + 2, 2));
      wav.sample_rate = static_cast<int>(little_endian(body + 4, 4));
      const unsigned bits = little_endian(body + 14, 2);
      if (format != 3 || bits != 32) fail("expected 32-bit float samples");
      if (wav.channels < 1) fail("no channels");
      have_format = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_format) fail("data before the fmt chunk");
      wav.samples.resize(size / sizeof(float));
      std::memcpy(wav.samples.data(), body, wav.samples.size() * sizeof(float));
      return wav;
    }
    position += 8 + size + (size & 1);  // chunks are padded to even sizes
  }
  fail("no data chunk");
  return wav;
}

}  // namespace rtn::testing
