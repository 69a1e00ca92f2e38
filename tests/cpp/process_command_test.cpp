// `rtn process` end to end: the test writes WAV files with libsndfile, runs the rtn program on them (its path
// is RTN_CLI_PATH) and checks what it wrote against the same samples processed through the library, and
// that the errors a user meets (wrong channel count, unreadable file, sample rate, usage) say what is
// wrong with the right exit code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sndfile.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "tools/common/test_data.hpp"

#ifndef RTN_CLI_PATH
#error "RTN_CLI_PATH must name the rtn program (tests/CMakeLists.txt defines it)"
#endif
#ifndef RTN_TEST_DATA_DIR
#error "RTN_TEST_DATA_DIR must name tests/data (tests/CMakeLists.txt defines it)"
#endif

namespace {

using ::testing::HasSubstr;

const std::string kData = RTN_TEST_DATA_DIR;
// AIDA-X LSTM, in_skip, gains, 44.1 kHz.
const std::string kMonoModel = kData + "/aidax-lstm.aidax";

struct Audio {
  int rate = 0;
  int channels = 0;
  int format = 0;
  std::vector<float> samples;  // interleaved
  long long frames() const { return channels ? static_cast<long long>(samples.size()) / channels : 0; }
};

std::string temp_path(const std::string& name) {
  const std::string directory = ::testing::TempDir() + "rtn_process_test/";
  std::filesystem::create_directories(directory);
  return directory + name;
}

void write_audio(const std::string& path, const Audio& audio) {
  SF_INFO info{};
  info.samplerate = audio.rate;
  info.channels = audio.channels;
  info.format = audio.format;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(file, nullptr) << sf_strerror(nullptr);
  EXPECT_EQ(sf_writef_float(file, audio.samples.data(), audio.frames()), audio.frames());
  sf_close(file);
}

Audio read_audio(const std::string& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  Audio audio;
  if (!file) {
    ADD_FAILURE() << "cannot read " << path << ": " << sf_strerror(nullptr);
    return audio;
  }
  audio.rate = info.samplerate;
  audio.channels = info.channels;
  audio.format = info.format;
  audio.samples.resize(static_cast<std::size_t>(info.frames) * info.channels);
  EXPECT_EQ(sf_readf_float(file, audio.samples.data(), info.frames), info.frames);
  sf_close(file);
  return audio;
}

// A few seconds' worth of a decaying chord per channel, each channel different, peaks below 0.8.
Audio test_signal(int rate, int channels, long long frames, int format = SF_FORMAT_WAV | SF_FORMAT_PCM_24) {
  Audio audio{rate, channels, format, {}};
  for (long long t = 0; t < frames; ++t) {
    for (int c = 0; c < channels; ++c) {
      const double time = static_cast<double>(t) / rate;
      audio.samples.push_back(
          static_cast<float>(0.5 * std::exp(-2.0 * time) * std::sin(2 * M_PI * (110.0 + 55.0 * c) * time) +
                             0.25 * std::sin(2 * M_PI * 1000.0 * time + c)));
    }
  }
  return audio;
}

struct CommandResult {
  int exit_code;
  std::string out, err;
};

std::string quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Runs `rtn process ARGUMENTS...`, capturing stdout and stderr.
CommandResult rtn_process(const std::vector<std::string>& arguments) {
  std::string command = quote(RTN_CLI_PATH) + " process";
  for (const std::string& argument : arguments) command += " " + quote(argument);
  const std::string out = temp_path("stdout.txt"), err = temp_path("stderr.txt");
  command += " > " + quote(out) + " 2> " + quote(err);
  const int status = std::system(command.c_str());
  CommandResult run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  return run;
}

// The library's output for the same samples, on `backend` from a fresh state.
std::vector<float> library_output(const std::string& model_path, const std::vector<float>& input,
                                  rtn::Backend backend) {
  const rtn::ModelDefinition definition = rtn::load_model_file(model_path);
  rtn::BackendSelection selection;
  selection.all = backend;
  rtn::Model model = rtn::Model::build(definition, selection);
  const int frames = static_cast<int>(input.size() / definition.input_channels);
  std::vector<float> output(static_cast<std::size_t>(frames) * definition.output_channels);
  model.process(input.data(), output.data(), frames);
  return output;
}

using rtn::testing::max_abs_error;  // tools/common/test_data.hpp

TEST(ProcessCommand, RendersWhatTheLibraryComputes) {
  const std::string in = temp_path("mono-in.wav"), out = temp_path("mono-out.wav");
  write_audio(in, test_signal(44100, 1, 20000));
  const CommandResult run = rtn_process({kMonoModel, in, out, "--backend", "stl", "--no-profile"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("20000 frames x 1 channel, 44100 Hz, 32-bit float"));

  const Audio result = read_audio(out);
  EXPECT_EQ(result.rate, 44100);
  EXPECT_EQ(result.channels, 1);
  EXPECT_EQ(result.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  ASSERT_EQ(result.frames(), 20000);
  // The input as rtn process reads it: 24-bit PCM normalised to [-1, 1).
  const std::vector<float> expected = library_output(kMonoModel, read_audio(in).samples, rtn::Backend::stl);
  EXPECT_LE(max_abs_error(result.samples, expected), 1e-6);
}

// --size picks the size of a slimmable model as the library's LoadOptions does.
TEST(ProcessCommand, SizeChoosesASlimmableModelsSize) {
  const std::string model = kData + "/nam-slimmable-container.nam";
  const std::string in = temp_path("size-in.wav"), out = temp_path("size-out.wav");
  write_audio(in, test_signal(48000, 1, 3000));
  const std::vector<float> input = read_audio(in).samples;
  const rtn::ModelDefinition small = rtn::load_model_file(model, rtn::LoadOptions{0.5});
  const rtn::ModelDefinition full = rtn::load_model_file(model);
  const auto library = [&](const rtn::ModelDefinition& definition) {
    rtn::Model built = rtn::Model::build(definition, rtn::BackendSelection{rtn::Backend::stl, {}});
    std::vector<float> output(input.size());
    built.process(input.data(), output.data(), static_cast<int>(input.size()));
    return output;
  };
  const CommandResult run =
      rtn_process({model, in, out, "--backend", "stl", "--no-profile", "--size", "0.5"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_LE(max_abs_error(read_audio(out).samples, library(small)), 1e-6);
  EXPECT_GT(max_abs_error(read_audio(out).samples, library(full)), 1e-3);

  const CommandResult bad = rtn_process({model, in, out, "--size", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--size needs a number from 0 to 1, got '2'"));
}

TEST(ProcessCommand, BlockSizeDoesNotChangeTheResult) {
  const std::string in = temp_path("blocks-in.wav");
  write_audio(in, test_signal(44100, 1, 5000, SF_FORMAT_WAV | SF_FORMAT_FLOAT));
  std::vector<float> first;
  for (const char* block : {"1", "64", "1000", "4096"}) {
    SCOPED_TRACE(std::string("--block ") + block);
    const std::string out = temp_path(std::string("blocks-out-") + block + ".wav");
    const CommandResult run = rtn_process({kMonoModel, in, out, "--block", block, "--quiet"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "");  // --quiet
    const Audio result = read_audio(out);
    ASSERT_EQ(result.frames(), 5000);
    if (first.empty()) {
      first = result.samples;
    } else {
      EXPECT_LE(max_abs_error(result.samples, first), 1e-5);
    }
  }
}

TEST(ProcessCommand, StereoModelKeepsChannelsInterleaved) {
  // A 2-in, 2-out rtn JSON model that swaps the channels and scales them differently: a channel mix-up
  // or an interleaving error cannot go unnoticed.
  const std::string model = temp_path("swap.json");
  std::ofstream(model) << R"({"format": "rtn", "version": 1, "sample_rate": 48000, "input_channels": 2,
    "output_channels": 2, "layers": [{"type": "dense", "in_features": 2, "out_features": 2,
    "weights": {"weight": [[0, 0.5], [1.1, 0]], "bias": [0.1, -0.1]}}]})";
  const std::string in = temp_path("stereo-in.wav"), out = temp_path("stereo-out.wav");
  const Audio input = test_signal(48000, 2, 3000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write_audio(in, input);
  const CommandResult run = rtn_process({model, in, out, "--format", "pcm24"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Audio result = read_audio(out);
  EXPECT_EQ(result.channels, 2);
  EXPECT_EQ(result.format, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  ASSERT_EQ(result.frames(), 3000);
  const std::vector<float> read_back = read_audio(in).samples;
  for (long long t = 0; t < 3000; t += 97) {
    EXPECT_NEAR(result.samples[2 * t], 0.5f * read_back[2 * t + 1] + 0.1f, 1e-6);  // 24-bit steps are 1.2e-7
    EXPECT_NEAR(result.samples[2 * t + 1], 1.1f * read_back[2 * t] - 0.1f, 1e-6);
  }
}

TEST(ProcessCommand, Pcm16OutputClipsWithAWarning) {
  const std::string model = temp_path("loud.json");
  std::ofstream(model) << R"({"format": "rtn", "version": 1, "sample_rate": 48000, "input_channels": 1,
    "output_channels": 1, "layers": [{"type": "dense", "in_features": 1, "out_features": 1,
    "weights": {"weight": [[4.0]], "bias": [0.0]}}]})";
  const std::string in = temp_path("loud-in.wav"), out = temp_path("loud-out.wav");
  write_audio(in, test_signal(48000, 1, 1000));
  const CommandResult run = rtn_process({model, in, out, "--format", "pcm16"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("outside [-1, 1] clipped in 16-bit PCM"));
  const Audio result = read_audio(out);
  EXPECT_EQ(result.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  for (float value : result.samples) EXPECT_LE(std::fabs(value), 1.0f);
}

TEST(ProcessCommand, ChannelMismatchIsAnError) {
  const std::string in = temp_path("stereo.wav"), out = temp_path("never.wav");
  write_audio(in, test_signal(44100, 2, 100));
  std::filesystem::remove(out);
  const CommandResult run = rtn_process({kMonoModel, in, out});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("rtn: error: " + in + " has 2 channels, but the model (" + kMonoModel +
                                 ") takes 1 input channel: convert the file to mono first"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ProcessCommand, UnreadableInputIsAnError) {
  const std::string in = temp_path("not-audio.wav"), out = temp_path("never.wav");
  std::ofstream(in) << "this is not a WAV file\n";
  CommandResult run = rtn_process({kMonoModel, in, out});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("rtn: error: cannot read '" + in + "': "));
  run = rtn_process({kMonoModel, temp_path("missing.wav"), out});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot read '" + temp_path("missing.wav") + "'"));
  run = rtn_process({temp_path("missing-model.json"), in, out});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot open model file"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ProcessCommand, SampleRateMismatch) {
  const std::string in = temp_path("rate-48k.wav"), out = temp_path("rate-out.wav");
  write_audio(in, test_signal(48000, 1, 100));
  CommandResult run = rtn_process({kMonoModel, in, out});  // the model states 44100 Hz
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err,
              HasSubstr(in + " is at 48000 Hz, but the model (" + kMonoModel + ") was trained at 44100 Hz"));
  EXPECT_THAT(run.err, HasSubstr("--allow-rate-mismatch"));
  run = rtn_process({kMonoModel, in, out, "--allow-rate-mismatch"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("rtn: warning: "));
  EXPECT_EQ(read_audio(out).rate, 48000);
  // A model that states no rate (GuitarML) runs at the file's, with a note.
  run = rtn_process({kData + "/guitarml-lstm.json", in, out});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("does not state its sample rate"));
}

TEST(ProcessCommand, UsageErrors) {
  const std::string in = temp_path("usage.wav");
  write_audio(in, test_signal(44100, 1, 10));
  CommandResult run = rtn_process({kMonoModel, in});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("missing an output file"));
  run = rtn_process({kMonoModel, in, temp_path("x.wav"), "--format", "mp3"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--format must be float, pcm24 or pcm16, got 'mp3'"));
  run = rtn_process({kMonoModel, in, temp_path("x.wav"), "--block", "0"});
  EXPECT_EQ(run.exit_code, 2);
  // Writing over the input while reading it would destroy it.
  run = rtn_process({kMonoModel, in, in});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("is the input file"));
  EXPECT_EQ(read_audio(in).frames(), 10);
}

}  // namespace
