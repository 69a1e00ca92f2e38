// rtn process MODEL IN.wav OUT.wav: renders an audio file through a model, offline, with the same engine
// (and the same per-layer backends) a plugin would use. Audio files are read and written with libsndfile.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "tools/common/command.hpp"
#include "tools/common/profile_option.hpp"
#include "tools/common/size_option.hpp"

#ifdef RTN_CLI_WITH_SNDFILE
#include <sndfile.h>
#include <unistd.h>
#endif

namespace rtn::cli {
namespace {

constexpr int kDefaultBlock = 256;
// Frames read and written per file access (rounded to whole blocks).
constexpr int kIoFrames = 8192;
// Below this much audio a progress line would only flicker.
constexpr double kProgressAfterSeconds = 10.0;

// The shared profile options' help, with what --block means here (and its default here).
std::string block_help() {
  std::string help = profile_options_help();
  const std::string shared_default = "measurements (default 64)";
  const std::string here = "measurements; rtn process runs the model on blocks of N frames (default " +
                           std::to_string(kDefaultBlock) + ")";
  const std::size_t at = help.find(shared_default);
  if (at != std::string::npos) return help.replace(at, shared_default.size(), here);
  return help + "                   rtn process runs the model on blocks of N frames (default " +
         std::to_string(kDefaultBlock) + ")\n";
}

std::string process_help() {
  return "Reads IN.wav, runs it through MODEL (any model file rtn reads: rtn JSON, RTNeural, AIDA-X,\n"
         "GuitarML, Neural Amp Modeler) from a fresh state, and writes the result to OUT.wav at the input's "
         "sample rate.\n"
         "IN.wav may hold 16-, 24- or 32-bit PCM or 32/64-bit float samples (any file libsndfile reads);\n"
         "it must have as many channels as the model has inputs (interleaved frames, as Model::process\n"
         "takes them). OUT.wav has the model's output channels.\n"
         "\n"
         "A file whose sample rate differs from the rate the model states is refused: rtn does not\n"
         "resample, and a model run at another rate sounds different. Resample the file, or pass\n"
         "--allow-rate-mismatch. A model file that states no rate (RTNeural, GuitarML) is run at the\n"
         "file's rate with a note.\n"
         "\n"
         "Options:\n"
         "  --format F       the output's samples: float (32-bit float, the default; nothing is clipped),\n"
         "                   pcm24 or pcm16 (clipped to [-1, 1], with a warning)\n"
         "  --allow-rate-mismatch\n"
         "                   process a file whose sample rate differs from the model's\n"
         "  --backend NAME   compute every layer with implementation NAME (compiled into this build: " +
         compiled_backend_names() + ")\n" + block_help() + size_option_help() +
         "  --quiet          print nothing but errors and warnings (no progress, no summary)\n"
         "  -h, --help       show this help\n";
}

struct ProcessOptions {
  std::string model_path, input_path, output_path;
  std::optional<Implementation> backend;
  ProfileOptions profile;
  LoadOptions load;
  std::string format = "float";
  bool allow_rate_mismatch = false;
  bool quiet = false;
};

ProcessOptions parse_arguments(const std::vector<std::string>& arguments) {
  ProcessOptions options;
  options.profile.block = kDefaultBlock;
  std::vector<std::string> positional;
  bool options_ended = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    std::string value;
    if (options_ended || argument.size() < 2 || argument[0] != '-') {
      positional.push_back(argument);
    } else if (argument == "--") {
      options_ended = true;
    } else if (take_value(arguments, i, "--backend", value)) {
      options.backend = parse_backend_option(value);
    } else if (take_value(arguments, i, "--format", value)) {
      if (value != "float" && value != "pcm16" && value != "pcm24") {
        throw UsageError("--format must be float, pcm24 or pcm16, got '" + value + "'");
      }
      options.format = value;
    } else if (argument == "--allow-rate-mismatch") {
      options.allow_rate_mismatch = true;
    } else if (argument == "--quiet" || argument == "-q") {
      options.quiet = true;
    } else if (parse_profile_option(arguments, i, options.profile) ||
               parse_size_option(arguments, i, options.load)) {
      continue;  // the options every command shares (they move i past their value)
    } else {
      throw UsageError("unknown option '" + argument + "'");
    }
  }
  if (positional.size() < 3) {
    static const char* const kNames[] = {"a model file", "an input file (IN.wav)",
                                         "an output file (OUT.wav)"};
    throw UsageError(std::string("missing ") + kNames[positional.size()]);
  }
  if (positional.size() > 3) throw UsageError("unexpected argument '" + positional[3] + "'");
  options.model_path = positional[0];
  options.input_path = positional[1];
  options.output_path = positional[2];
  return options;
}

std::string plural(long long count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, seconds < 10 ? "%.2f s" : "%.1f s", seconds);
  return text;
}

#ifdef RTN_CLI_WITH_SNDFILE

// An open libsndfile handle, closed when it goes out of scope.
class SoundFile {
 public:
  SoundFile(const std::string& path, int mode, SF_INFO& info) : handle_(sf_open(path.c_str(), mode, &info)) {}
  ~SoundFile() { close(); }
  SoundFile(const SoundFile&) = delete;
  SoundFile& operator=(const SoundFile&) = delete;
  SNDFILE* get() const noexcept { return handle_; }
  // Returns libsndfile's error, if closing (which finishes the file's header) failed.
  int close() noexcept {
    const int error = handle_ ? sf_close(handle_) : 0;
    handle_ = nullptr;
    return error;
  }

 private:
  SNDFILE* handle_;
};

int output_subtype(const std::string& format) {
  if (format == "pcm16") return SF_FORMAT_PCM_16;
  if (format == "pcm24") return SF_FORMAT_PCM_24;
  return SF_FORMAT_FLOAT;
}

int bytes_per_sample(const std::string& format) {
  if (format == "pcm16") return 2;
  if (format == "pcm24") return 3;
  return 4;
}

// Plain WAV, which every tool reads, unless the data would outgrow its 32-bit sizes: then RF64.
int output_container(sf_count_t frames, int channels, const std::string& format) {
  constexpr double kWavDataLimit = 4294967295.0 - 1024.0;  // 32-bit chunk sizes, less room for headers
  const double bytes = static_cast<double>(frames) * channels * bytes_per_sample(format);
  return bytes < kWavDataLimit ? SF_FORMAT_WAV : SF_FORMAT_RF64;
}

const char* format_description(const std::string& format) {
  if (format == "pcm16") return "16-bit PCM";
  if (format == "pcm24") return "24-bit PCM";
  return "32-bit float";
}

// Refuses to overwrite the input: the output is written while the input is still being read.
void check_distinct(const std::string& input, const std::string& output) {
  std::error_code error;
  if (input == output || std::filesystem::equivalent(input, output, error)) {
    throw Error("the output file '" + output + "' is the input file: write to another file");
  }
}

// The rate check: an error, unless allowed, when the model states a rate that is not the file's.
void check_rate(const ModelDefinition& definition, const ProcessOptions& options, int file_rate) {
  if (!definition.sample_rate_known) {
    if (!options.quiet) {
      std::cerr << "rtn: note: " << options.model_path
                << " does not state its sample rate; running it at the "
                << "file's " << format_number(file_rate) << " Hz\n";
    }
    return;
  }
  if (std::fabs(definition.sample_rate - file_rate) < 0.5) return;
  const std::string what = options.input_path + " is at " + format_number(file_rate) +
                           " Hz, but the model (" + options.model_path + ") was trained at " +
                           format_number(definition.sample_rate) + " Hz";
  if (!options.allow_rate_mismatch) {
    throw Error(what +
                "; rtn does not resample: resample the file, or pass --allow-rate-mismatch to process it "
                "anyway (the model will not sound as trained)");
  }
  std::cerr << "rtn: warning: " << what << "; processing anyway (--allow-rate-mismatch)\n";
}

// "\r45% (13.5 s of 30.0 s)" on a terminal, rewritten at most four times a second.
class Progress {
 public:
  Progress(const ProcessOptions& options, sf_count_t frames, int rate)
      : frames_(frames),
        rate_(rate),
        shown_(!options.quiet && isatty(STDERR_FILENO) && frames > 0 &&
               static_cast<double>(frames) / rate > kProgressAfterSeconds),
        name_(options.input_path) {}

  void update(sf_count_t done) {
    if (!shown_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < frames_ && now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    std::fprintf(stderr, "\rrtn: processing %s: %3d%% (%s of %s)", name_.c_str(),
                 static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(frames_)),
                 seconds_text(static_cast<double>(done) / rate_).c_str(),
                 seconds_text(static_cast<double>(frames_) / rate_).c_str());
    if (done >= frames_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  sf_count_t frames_;
  int rate_;
  bool shown_;
  std::string name_;
  std::chrono::steady_clock::time_point last_{};
};

// One Model::process call, in a function of its own: what scripts/ci_instructions.sh counts (callgrind's
// --toggle-collect names this function). Model::process itself cannot be named there: it ends in a jump into
// the layers (a tail call), which callgrind takes as its return, so their instructions went uncounted.
// The empty asm statement after the call keeps it a call, not a jump.
[[gnu::noinline]] void process_block(Model& model, const float* in, float* out, int frames) {
  model.process(in, out, frames);
#if defined(__GNUC__)
  asm volatile("");
#endif
}

int run_process(const std::vector<std::string>& arguments) {
  const ProcessOptions options = parse_arguments(arguments);
  const ModelDefinition definition = load_model_file(options.model_path, options.load);

  SF_INFO input_info{};
  SoundFile input(options.input_path, SFM_READ, input_info);
  if (!input.get()) throw Error("cannot read '" + options.input_path + "': " + sf_strerror(nullptr));
  if (input_info.channels != definition.input_channels) {
    throw Error(options.input_path + " has " + plural(input_info.channels, "channel") + ", but the model (" +
                options.model_path + ") takes " + plural(definition.input_channels, "input channel") +
                (definition.input_channels == 1 ? ": convert the file to mono first" : ""));
  }
  check_rate(definition, options, input_info.samplerate);
  check_distinct(options.input_path, options.output_path);

  BackendSelection selection;
  selection.all = options.backend;
  selection.profile = load_profile_option(options.profile);
  selection.block_size = options.profile.block;
  std::optional<Model> model;
  try {
    model.emplace(Model::build(definition, selection));
  } catch (const Error& error) {
    throw Error(options.model_path + ": " + error.what());
  }
  print_warnings(model->warnings());
  const int block = options.profile.block;
  model->prepare(block);

  // A model with strided or transposed convolutions writes output_frames frames per input_frames input frames
  // of its period: at that rate.
  const Model::FramePeriod period = model->frame_period();
  const long long scaled_rate = static_cast<long long>(input_info.samplerate) * period.output_frames;
  if (scaled_rate % period.input_frames != 0 || scaled_rate / period.input_frames > (1 << 30)) {
    throw Error(options.model_path + " gives " + std::to_string(period.output_frames) + " output frames per " +
                std::to_string(period.input_frames) + " input frames, which makes " + options.input_path +
                "'s rate of " + std::to_string(input_info.samplerate) + " Hz no whole number of Hz");
  }
  SF_INFO output_info{};
  output_info.samplerate = static_cast<int>(scaled_rate / period.input_frames);
  output_info.channels = definition.output_channels;
  const sf_count_t expected_frames = input_info.frames * period.output_frames / period.input_frames + 1;
  output_info.format = output_container(expected_frames, definition.output_channels, options.format) |
                       output_subtype(options.format);
  if (!sf_format_check(&output_info)) throw Error("libsndfile cannot write this output format");
  // Armed once the output exists: a failure from then on leaves no half-written file behind. Declared before
  // the file, so that the file is closed before it is removed.
  struct RemoveOnFailure {
    const std::string& path;
    bool armed = false;
    ~RemoveOnFailure() {
      std::error_code ignored;
      if (armed) std::filesystem::remove(path, ignored);
    }
  } cleanup{options.output_path};
  SoundFile output(options.output_path, SFM_WRITE, output_info);
  if (!output.get()) throw Error("cannot write '" + options.output_path + "': " + sf_strerror(nullptr));
  cleanup.armed = true;
  // PCM output saturates rather than wrapping around.
  sf_command(output.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const bool clips = options.format != "float";

  // The file is read and written in chunks of whole blocks, however small the blocks: the model sees
  // `block` frames per call as a host's callback would, without a file access per block.
  const int chunk = std::max(1, kIoFrames / block) * block;
  std::vector<float> in(static_cast<std::size_t>(chunk) * definition.input_channels);
  std::vector<float> out(static_cast<std::size_t>(chunk / block) * model->max_output_frames(block) *
                         definition.output_channels);
  Progress progress(options, input_info.frames, input_info.samplerate);
  sf_count_t done = 0;
  sf_count_t done_out = 0;  // output frames: done, but for a model whose period is not 1
  long long clipped = 0;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    const sf_count_t frames = sf_readf_float(input.get(), in.data(), chunk);
    if (frames <= 0) break;
    sf_count_t written = 0;  // frames, but for a model whose period is not 1
    for (sf_count_t first = 0; first < frames; first += block) {
      const int count = static_cast<int>(std::min<sf_count_t>(block, frames - first));
      const int outputs = model->output_frames(count);
      process_block(*model, in.data() + first * definition.input_channels,
                    out.data() + written * definition.output_channels, count);
      written += outputs;
    }
    if (clips) {
      const std::size_t count = static_cast<std::size_t>(written) * definition.output_channels;
      clipped += std::count_if(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(count),
                               [](float value) { return !(std::fabs(value) <= 1.0f); });
    }
    if (sf_writef_float(output.get(), out.data(), written) != written) {
      throw Error("cannot write '" + options.output_path + "': " + sf_strerror(output.get()));
    }
    done += frames;
    done_out += written;
    progress.update(done);
  }
  if (sf_error(input.get()) != SF_ERR_NO_ERROR) {
    throw Error("cannot read '" + options.input_path + "': " + sf_strerror(input.get()));
  }
  if (output.close() != 0)
    throw Error("cannot finish '" + options.output_path + "': " + sf_strerror(nullptr));
  cleanup.armed = false;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (clipped > 0) {
    std::cerr << "rtn: warning: " << plural(clipped, "sample") << " outside [-1, 1] clipped in "
              << format_description(options.format) << " (use --format float to keep them)\n";
  }
  if (!options.quiet) {
    const double audio = static_cast<double>(done) / input_info.samplerate;
    char speed[64] = "";
    if (elapsed > 0 && audio > 0) std::snprintf(speed, sizeof speed, " (%.3gx real time)", audio / elapsed);
    std::cout << options.output_path << ": " << plural(done_out, "frame") << " x "
              << plural(definition.output_channels, "channel") << ", " << format_number(output_info.samplerate)
              << " Hz, " << format_description(options.format) << "; " << seconds_text(audio)
              << " of audio in " << seconds_text(elapsed) << speed << '\n';
  }
  return kExitSuccess;
}

#else

int run_process(const std::vector<std::string>& arguments) {
  parse_arguments(arguments);
  throw Error(
      "this build of rtn cannot read or write audio files: libsndfile was not found when it was "
      "configured (Debian: apt install libsndfile1-dev, then reconfigure)");
}

#endif

}  // namespace

const Command kProcessCommand = {
    "process",
    "MODEL IN.wav OUT.wav [--format float|pcm24|pcm16] [--allow-rate-mismatch] [--backend NAME] "
    "[--profile P | --no-profile] [--block N] [--size S] [--quiet]",
    "render an audio file through a model", &process_help, &run_process};

}  // namespace rtn::cli
