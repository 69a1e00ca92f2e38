// Tuning profiles: the JSON round trip, how a stale, foreign, corrupt or missing profile is ignored (with the
// exact warning, never stopping a model from loading), where the engine looks for one, and what the
// dispatcher decides from it (exact entry, nearest shape, default).
#include "rtn/profile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/implementation.hpp"
#include "rtn/model.hpp"
#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"

namespace rtn::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A backend other than the built-in default for `spec`, so a decision visibly comes from the profile.
Implementation not_the_default(const LayerSpec& spec, int block) {
  for (Implementation implementation : implementations_for(spec)) {
    if (implementation != default_implementation(spec, block)) return implementation;
  }
  return implementations_for(spec).front();
}

ProfileEntry entry(const LayerSpec& spec, int block, Implementation chosen) {
  ProfileEntry result;
  result.layer = spec.to_string();
  result.block = block;
  result.chosen = std::string(chosen.name());
  for (Implementation backend : compiled_implementations()) {
    BackendMeasurement measurement;
    measurement.implementation = std::string(backend.name());
    measurement.ns_per_sample = backend == chosen ? 10.5 : 20.25;
    measurement.median_ns_per_sample = backend == chosen ? 11 : 21;
    measurement.spread = 0.03;
    measurement.max_abs_error = 1.5e-07;
    measurement.max_rel_error = 1.3e-07;
    result.backends.push_back(measurement);
  }
  result.libtorch_ns_per_sample = 950.5;
  return result;
}

Profile this_machines_profile(std::vector<ProfileEntry> entries = {}) {
  Profile profile;
  profile.machine = this_machine();
  profile.build = this_build();
  profile.created = "2025-11-25T08:00:00Z";
  profile.tuner["command"] = "rtn-tune (test)";
  profile.entries = std::move(entries);
  return profile;
}

ModelDefinition lstm_model() {
  std::mt19937 rng(31);
  ModelDefinition definition;
  const LayerSpec lstm = LayerSpec::lstm(1, 12), dense = LayerSpec::dense(12, 1);
  definition.layers.push_back({lstm, random_weights(lstm, rng)});
  definition.layers.push_back({dense, random_weights(dense, rng)});
  return definition;
}

// A scratch directory per test, removed afterwards; and the environment variables the lookup reads,
// restored afterwards.
class ProfileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() / ("rtn-profile-test-" + std::to_string(::getpid()) + "-" +
                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    for (const char* name : {"RTN_PROFILE", "XDG_CONFIG_HOME", "HOME"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    // No test may see the real per-user profile of whoever runs the tests.
    ::unsetenv("RTN_PROFILE");
    ::setenv("XDG_CONFIG_HOME", (directory_ / "config").c_str(), 1);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
    fs::remove_all(directory_);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = directory_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }

  fs::path directory_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(ProfileJson, RoundTrip) {
  const LayerSpec lstm = LayerSpec::lstm(1, 40), dense = LayerSpec::dense(40, 1);
  Profile profile =
      this_machines_profile({entry(lstm, 1, compiled_implementations().back()), entry(dense, 64, Backend::stl)});
  profile.entries[1].libtorch_ns_per_sample.reset();
  profile.entries[1].backends[0].within_tolerance = compiled_implementations().size() == 1;
  profile.entries[1].chosen = std::string(compiled_implementations().back().name());

  const Profile read = parse_profile_json(profile_to_json(profile));
  EXPECT_EQ(read.created, profile.created);
  EXPECT_EQ(read.tuner, profile.tuner);
  EXPECT_EQ(read.machine.describe(), profile.machine.describe());
  EXPECT_EQ(read.machine.isa, profile.machine.isa);
  EXPECT_EQ(read.machine.l2_cache_bytes, profile.machine.l2_cache_bytes);
  EXPECT_EQ(read.machine.logical_processors, profile.machine.logical_processors);
  EXPECT_EQ(read.build.describe(), profile.build.describe());
  EXPECT_EQ(read.build.eigen_version, profile.build.eigen_version);
  EXPECT_EQ(read.build.xsimd_version, profile.build.xsimd_version);
  EXPECT_EQ(profile_mismatch(read, this_machine(), this_build()), "");
  ASSERT_EQ(read.entries.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const ProfileEntry& a = profile.entries[i];
    const ProfileEntry& b = read.entries[i];
    EXPECT_EQ(b.layer, a.layer);
    EXPECT_EQ(b.block, a.block);
    EXPECT_EQ(b.chosen, a.chosen);
    EXPECT_EQ(b.libtorch_ns_per_sample, a.libtorch_ns_per_sample);
    ASSERT_EQ(b.backends.size(), a.backends.size());
    for (std::size_t k = 0; k < a.backends.size(); ++k) {
      EXPECT_EQ(b.backends[k].implementation, a.backends[k].implementation);
      EXPECT_EQ(b.backends[k].ns_per_sample, a.backends[k].ns_per_sample);
      EXPECT_EQ(b.backends[k].median_ns_per_sample, a.backends[k].median_ns_per_sample);
      EXPECT_EQ(b.backends[k].spread, a.backends[k].spread);
      EXPECT_EQ(b.backends[k].max_abs_error, a.backends[k].max_abs_error);
      EXPECT_EQ(b.backends[k].max_rel_error, a.backends[k].max_rel_error);
      EXPECT_EQ(b.backends[k].within_tolerance, a.backends[k].within_tolerance);
    }
  }
  // Written the same way twice: diffs between runs show only what was measured differently.
  EXPECT_EQ(profile_to_json(read), profile_to_json(profile));
}

TEST(ProfileJson, OneLinePerBackendMeasurement) {
  const std::string text =
      profile_to_json(this_machines_profile({entry(LayerSpec::dense(8, 8), 64, Backend::stl)}));
  // "stl", or in a build with ISA levels the best level's ("stl.avx512").
  const std::string stl(Implementation(Backend::stl).name());
  EXPECT_THAT(text, HasSubstr("{\"layer\": \"dense(in=8,out=8,bias=1)\", \"block\": 64, \"chosen\": \"" + stl + "\""));
  EXPECT_THAT(text,
              HasSubstr("\"" + stl + "\": {\"ns_per_sample\":10.5,\"median_ns_per_sample\":11.0,\"spread\":0.03,"));
}

TEST_F(ProfileFiles, SaveAndLoad) {
  const Profile profile = this_machines_profile({entry(LayerSpec::dense(8, 8), 64, Backend::stl)});
  const std::string path = (directory_ / "nested" / "dir" / "profile.json").string();
  save_profile(profile, path);
  EXPECT_FALSE(fs::exists(path + ".partial"));
  const LoadedProfile loaded = load_profile(path);
  ASSERT_TRUE(loaded.profile) << loaded.ignored;
  EXPECT_EQ(loaded.path, path);
  EXPECT_EQ(loaded.origin, "argument");
  EXPECT_EQ(loaded.ignored, "");
  EXPECT_TRUE(loaded.warnings.empty());
  EXPECT_EQ(loaded.profile->entries.size(), 1u);
}

TEST_F(ProfileFiles, LookupOrderArgumentThenEnvironmentThenPerUserPath) {
  const Profile profile = this_machines_profile({entry(LayerSpec::dense(8, 8), 64, Backend::stl)});
  // Nothing anywhere: no profile, and nothing to warn about.
  LoadedProfile none = load_profile();
  EXPECT_FALSE(none.profile);
  EXPECT_EQ(none.ignored, "");
  EXPECT_TRUE(none.warnings.empty());
  EXPECT_EQ(none.path, (directory_ / "config" / "rtn" / "profile.json").string());
  EXPECT_EQ(default_profile_path(), none.path);

  save_profile(profile, default_profile_path());
  LoadedProfile per_user = load_profile();
  EXPECT_TRUE(per_user.profile);
  EXPECT_EQ(per_user.origin, "default path");

  const std::string from_environment = (directory_ / "environment.json").string();
  save_profile(profile, from_environment);
  ::setenv("RTN_PROFILE", from_environment.c_str(), 1);
  LoadedProfile environment = load_profile();
  EXPECT_TRUE(environment.profile);
  EXPECT_EQ(environment.origin, "RTN_PROFILE");
  EXPECT_EQ(environment.path, from_environment);

  const std::string given = (directory_ / "given.json").string();
  save_profile(profile, given);
  LoadedProfile argument = load_profile(given);
  EXPECT_TRUE(argument.profile);
  EXPECT_EQ(argument.origin, "argument");
  EXPECT_EQ(argument.path, given);

  // Without XDG_CONFIG_HOME: ~/.config.
  ::unsetenv("XDG_CONFIG_HOME");
  ::setenv("HOME", directory_.c_str(), 1);
  EXPECT_EQ(default_profile_path(), (directory_ / ".config" / "rtn" / "profile.json").string());
}

TEST_F(ProfileFiles, MissingNamedProfileIsIgnoredWithAWarning) {
  const std::string path = (directory_ / "nowhere.json").string();
  const LoadedProfile loaded = load_profile(path);
  EXPECT_FALSE(loaded.profile);
  EXPECT_EQ(loaded.ignored, "no such file");
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_EQ(loaded.warnings[0],
            "profile " + path + " ignored: no such file (every layer uses the built-in defaults)");

  ::setenv("RTN_PROFILE", path.c_str(), 1);
  EXPECT_EQ(load_profile().warnings.at(0),
            "profile " + path +
                " (from RTN_PROFILE) ignored: no such file (every layer uses the built-in defaults)");
}

// A model's warnings: `expected` and, when RTN_MAX_ISA is set to something this build cannot apply, why.
std::vector<std::string> with_isa_limit_warning(std::vector<std::string> expected) {
  if (!isa_limit().problem.empty()) expected.push_back(isa_limit().problem);
  return expected;
}

// What a mismatch of features adds when RTN_MAX_ISA limits this run: a profile made by this run carries the
// same limit. Empty without a limit.
std::string limit_note() {
  const std::string limit = this_machine().isa_limited_to;
  if (limit.empty()) return "";
  return "; it was made limited to " + limit + " by RTN_MAX_ISA; RTN_MAX_ISA limits this run to " + limit;
}

// Saves `profile`, loads it, checks that it is ignored with exactly `why`, and that a model still loads
// with every layer on the default and the reason and warning saying why.
void expect_ignored(const std::string& path, const std::string& why) {
  const LoadedProfile loaded = load_profile(path);
  EXPECT_FALSE(loaded.profile);
  EXPECT_EQ(loaded.ignored, why);
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_THAT(loaded.warnings[0], StartsWith("profile " + path + " ignored: " + why +
                                             " (every layer uses the built-in defaults"));

  BackendSelection selection;
  selection.profile = loaded;
  const Model model = Model::build(lstm_model(), selection);
  for (const LayerReport& layer : model.describe()) {
    EXPECT_EQ(layer.reason, "default (profile ignored: " + why + ")");
    EXPECT_EQ(layer.implementation, default_implementation(layer.spec, selection.block_size));
  }
  EXPECT_EQ(model.warnings(), with_isa_limit_warning(loaded.warnings));
}

TEST_F(ProfileFiles, ProfileFromAnotherCpuIsIgnored) {
  Profile profile = this_machines_profile({entry(LayerSpec::lstm(1, 12), 64, Backend::stl)});
  profile.machine.vendor = "AMD";
  profile.machine.model_name = "AMD EPYC 9R45";
  profile.machine.microarchitecture = "zen5";
  profile.machine.isa_limited_to.clear();  // made on that CPU without RTN_MAX_ISA, whatever this run has
  const std::string path = (directory_ / "foreign.json").string();
  save_profile(profile, path);
  expect_ignored(path, "made on AMD EPYC 9R45 (zen5), this CPU is " + this_machine().describe());
  EXPECT_THAT(load_profile(path).warnings.at(0),
              HasSubstr("rerun rtn-tune to measure this machine and build"));
}

TEST_F(ProfileFiles, ProfileFromACpuWithOtherFeaturesIsIgnored) {
  Profile profile = this_machines_profile();
  profile.machine.isa.push_back("avx1024");
  const std::string more = (directory_ / "more.json").string();
  save_profile(profile, more);
  expect_ignored(more, "made on a CPU with avx1024, this CPU lacks it" + limit_note());

  if (!this_machine().isa.empty()) {
    Profile fewer_profile = this_machines_profile();
    const std::string dropped = fewer_profile.machine.isa.back();
    fewer_profile.machine.isa.pop_back();
    const std::string fewer = (directory_ / "fewer.json").string();
    save_profile(fewer_profile, fewer);
    expect_ignored(fewer, "made on a CPU without " + dropped + ", which this CPU has" + limit_note());
  }
}

TEST_F(ProfileFiles, ProfileFromAnotherBuildIsIgnored) {
  Profile profile = this_machines_profile();
  profile.build.rtn_version = "0.0.1";
  profile.build.flags += " -ffast-math";
  const std::string path = (directory_ / "stale.json").string();
  save_profile(profile, path);
  expect_ignored(path, "made by another build of rtn: rtn 0.0.1, this build has " + this_build().rtn_version +
                           "; flags " + this_build().flags + " -ffast-math, this build has " +
                           this_build().flags);
}

TEST_F(ProfileFiles, CorruptProfilesAreIgnoredWithThePlaceOfTheProblem) {
  std::string text =
      profile_to_json(this_machines_profile({entry(LayerSpec::lstm(1, 12), 64, Backend::stl)}));
  const std::string stl(Implementation(Backend::stl).name());  // "stl", or "stl.avx512" with ISA levels
  const std::string chosen_stl = "\"chosen\": \"" + stl + "\"";
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string copy = text;
    const std::size_t at = copy.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return copy.replace(at, from.size(), to);
  };
  for (const auto& [name, content] :
       {std::pair<std::string, std::string>{"truncated.json", text.substr(0, text.size() / 2)},
        {"empty.json", ""},
        {"binary.json", std::string("\x89PNG\0\x01", 6)}}) {
    const std::string path = write(name, content);
    const LoadedProfile loaded = load_profile(path);
    EXPECT_FALSE(loaded.profile);
    EXPECT_THAT(loaded.ignored, StartsWith("not valid JSON (line ")) << name;
    BackendSelection selection;
    selection.profile = loaded;
    EXPECT_NO_THROW(Model::build(lstm_model(), selection));
  }
  expect_ignored(write("array.json", "[1, 2]"), "expected an object, got an array");
  expect_ignored(write("format.json", replaced("\"rtn-profile\"", "\"rtn\"")),
                 "format: expected \"rtn-profile\", got \"rtn\"");
  expect_ignored(write("newer.json", replaced("\"version\": 1", "\"version\": 2")),
                 "version: written by a newer rtn (profile format version 2); this build reads version 1");
  expect_ignored(write("older.json", replaced("\"version\": 1", "\"version\": 0")),
                 "version: profile format version 0 is not supported; this build reads 1");
  expect_ignored(write("block.json", replaced("\"block\": 64", "\"block\": \"x\"")),
                 "entries[0].block: expected an integer, got \"x\"");
  expect_ignored(write("zero-block.json", replaced("\"block\": 64", "\"block\": 0")),
                 "entries[0].block: expected an integer in 1...1048576, got 0");
  expect_ignored(write("chosen.json", replaced(chosen_stl, "\"chosen\": \"AVX 2\"")),
                 "entries[0].chosen: 'AVX 2' is not an implementation name (such as \"xsimd\" or \"xsimd.fixed\")");
  expect_ignored(write("unmeasured.json", replaced(chosen_stl, "\"chosen\": \"xsimd.neon\"")),
                 "entries[0].chosen: 'xsimd.neon' has no measurement in this entry");
  expect_ignored(write("time.json", replaced("\"ns_per_sample\":10.5", "\"ns_per_sample\":-1")),
                 "entries[0].backends." + stl + ".ns_per_sample: expected a number >= 0, got -1");
  std::string all_wrong = text;  // every implementation outside the tolerance, the chosen one among them
  for (std::size_t at; (at = all_wrong.find("\"within_tolerance\":true")) != std::string::npos;)
    all_wrong.replace(at, 23, "\"within_tolerance\":false");
  expect_ignored(write("wrong.json", all_wrong),
                 "entries[0].chosen: '" + stl + "' is outside the error tolerance, and may not be chosen");
  expect_ignored(
      write("layer.json", replaced("\"layer\": \"lstm(", "\"layer\": \"LSTM (")),
      "entries[0].layer: expected a layer such as \"lstm(in=1,hidden=40,layers=1,bias=1)\", got \"LSTM "
      "(in=1,hidden=12,layers=1,bias=1)\"");
  expect_ignored(write("key.json", replaced("\"created\"", "\"made\"")), "made: unknown key");
  expect_ignored(
      write("machine.json", replaced("\"vendor\": \"" + this_machine().vendor + "\"", "\"vendor\": 3")),
      "machine.vendor: expected a string, got 3");
  expect_ignored(
      write("twice.json",
            profile_to_json(this_machines_profile({entry(LayerSpec::lstm(1, 12), 64, Backend::stl),
                                                   entry(LayerSpec::lstm(1, 12), 64, Backend::stl)}))),
      "entries[1]: a second entry for lstm(in=1,hidden=12,layers=1,bias=1) at block 64");
  fs::create_directories(directory_ / "folder.json");
  expect_ignored((directory_ / "folder.json").string(), "it is a directory");
}

TEST(ProfileJson, ParseErrorsNameTheSource) {
  try {
    parse_profile_json("{}", "p.json");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(), "p.json: format: missing");
  }
}

TEST(Dispatcher, WithoutAProfileEveryLayerGetsTheDefault) {
  const Dispatcher dispatcher;
  const LayerSpec spec = LayerSpec::lstm(1, 40);
  const DispatchDecision decision = dispatcher.choose(spec, 64);
  EXPECT_EQ(decision.implementation, default_implementation(spec, 64));
  EXPECT_EQ(decision.source, DispatchDecision::Source::built_in_default);
  EXPECT_EQ(decision.reason, "default (no profile)");
}

TEST(Dispatcher, ExactEntryDecides) {
  const LayerSpec lstm = LayerSpec::lstm(1, 32);
  const Implementation block_choice = not_the_default(lstm, 64), sample_choice = not_the_default(lstm, 1);
  const Dispatcher dispatcher(
      accept_profile(this_machines_profile({entry(lstm, 64, block_choice), entry(lstm, 1, sample_choice),
                                            entry(lstm, 256, compiled_implementations().front())})));
  DispatchDecision decision = dispatcher.choose(lstm, 64);
  EXPECT_EQ(decision.implementation, block_choice);
  EXPECT_EQ(decision.source, DispatchDecision::Source::profile_exact);
  EXPECT_EQ(decision.reason, "profile: exact entry");
  EXPECT_EQ(dispatcher.choose(lstm, 1).implementation, sample_choice);
  EXPECT_EQ(dispatcher.choose(lstm, 1).reason, "profile: exact entry");
  // Another block size takes the nearest measured one (on a log scale; the smaller on a tie).
  decision = dispatcher.choose(lstm, 128);
  EXPECT_EQ(decision.implementation, block_choice);
  EXPECT_EQ(decision.reason, "profile: exact entry (measured at block 64)");
  EXPECT_EQ(dispatcher.choose(lstm, 4096).reason, "profile: exact entry (measured at block 256)");
  EXPECT_EQ(dispatcher.choose(lstm, 2).reason, "profile: exact entry (measured at block 64)");
}

TEST(Dispatcher, NearestShapeOfTheSameKindDecides) {
  const Implementation small_choice = compiled_implementations().front();
  const Implementation large_choice = implementations_for(LayerSpec::lstm(1, 64)).back();
  const Dispatcher dispatcher(accept_profile(this_machines_profile(
      {entry(LayerSpec::lstm(1, 16), 64, small_choice), entry(LayerSpec::lstm(1, 64), 64, large_choice),
       entry(LayerSpec::gru(1, 8), 64, small_choice)})));
  DispatchDecision decision = dispatcher.choose(LayerSpec::lstm(1, 48), 64);
  EXPECT_EQ(decision.implementation, large_choice);
  EXPECT_EQ(decision.source, DispatchDecision::Source::profile_nearest);
  EXPECT_EQ(decision.reason, "profile: nearest shape lstm(in=1,hidden=64,layers=1,bias=1)");
  decision = dispatcher.choose(LayerSpec::lstm(1, 20), 64);
  EXPECT_EQ(decision.implementation, small_choice);
  EXPECT_EQ(decision.reason, "profile: nearest shape lstm(in=1,hidden=16,layers=1,bias=1)");
  EXPECT_EQ(dispatcher.choose(LayerSpec::lstm(1, 20), 100).reason,
            "profile: nearest shape lstm(in=1,hidden=16,layers=1,bias=1) (measured at block 64)");

  // Too far from anything measured, another kind, or another regime (per sample): the default.
  const LayerSpec huge = LayerSpec::lstm(1, 1024);
  decision = dispatcher.choose(huge, 64);
  EXPECT_EQ(decision.source, DispatchDecision::Source::built_in_default);
  EXPECT_EQ(decision.implementation, default_implementation(huge, 64));
  EXPECT_EQ(decision.reason, "default (nothing measured near this shape at block 64)");
  EXPECT_EQ(dispatcher.choose(LayerSpec::dense(16, 16), 64).reason,
            "default (nothing measured near this shape at block 64)");
  EXPECT_EQ(dispatcher.choose(LayerSpec::lstm(1, 16), 1).reason,
            "default (the profile has no per-sample entries)");
}

TEST(Dispatcher, AnImplementationThisBuildLacksFallsBackWithTheReason) {
  // A profile (built in code here; a file from this build cannot name one) whose entry chose an
  // implementation this build does not have, e.g. one of a build with more ISA levels.
  const LayerSpec lstm = LayerSpec::lstm(1, 24);
  Profile profile = this_machines_profile({entry(lstm, 64, Backend::stl)});
  BackendMeasurement missing = profile.entries[0].backends[0];
  missing.implementation = "xsimd.avx1024";
  missing.ns_per_sample = 1;
  profile.entries[0].backends.push_back(missing);
  profile.entries[0].chosen = "xsimd.avx1024";
  const Dispatcher dispatcher(accept_profile(profile));
  const DispatchDecision decision = dispatcher.choose(lstm, 64);
  EXPECT_EQ(decision.source, DispatchDecision::Source::built_in_default);
  EXPECT_EQ(decision.implementation, default_implementation(lstm, 64));
  EXPECT_EQ(decision.reason,
            "default (nothing measured near this shape at block 64; the profile chose xsimd.avx1024, which this "
            "build lacks)");
  // The profile file round-trips the unknown name.
  const Profile read = parse_profile_json(profile_to_json(profile));
  EXPECT_EQ(read.entries[0].chosen, "xsimd.avx1024");
}

TEST(Dispatcher, ShapeDistance) {
  EXPECT_EQ(shape_distance("lstm(in=1,hidden=40,layers=1,bias=1)", "lstm(in=1,hidden=40,layers=1,bias=1)"),
            0.0);
  EXPECT_NEAR(shape_distance("lstm(in=1,hidden=16,layers=1,bias=1)", "lstm(in=1,hidden=32,layers=1,bias=1)"),
              std::log2(33.0 / 17.0), 1e-12);
  EXPECT_NEAR(shape_distance("conv1d(in=8,out=8,kernel=3,dilation=1,groups=1,bias=1)",
                             "conv1d(in=8,out=8,kernel=3,dilation=3,groups=1,bias=1)"),
              1.0, 1e-12);
  EXPECT_TRUE(std::isinf(
      shape_distance("lstm(in=1,hidden=16,layers=1,bias=1)", "gru(in=1,hidden=16,layers=1,bias=1)")));
  EXPECT_TRUE(std::isinf(shape_distance("gru(in=1,hidden=16,layers=1,bias=1)",
                                        "gru(in=1,hidden=16,layers=1,bias=1,reset_after=0)")));
  EXPECT_TRUE(std::isinf(shape_distance("nonsense", "lstm(in=1,hidden=16,layers=1,bias=1)")));
}

TEST(ModelWithProfile, ReasonsSayWhereEachChoiceCameFrom) {
  const ModelDefinition definition = lstm_model();
  const LayerSpec lstm = definition.layers[0].spec, dense = definition.layers[1].spec;
  const Implementation lstm_choice = not_the_default(lstm, 1);
  BackendSelection selection;
  selection.profile = accept_profile(this_machines_profile({entry(lstm, 1, lstm_choice)}));
  selection.block_size = 1;
  Model model = Model::build(definition, selection);
  std::vector<LayerReport> layers = model.describe();
  EXPECT_EQ(layers[0].implementation, lstm_choice);
  EXPECT_EQ(layers[0].reason, "profile: exact entry");
  EXPECT_EQ(layers[1].implementation, default_implementation(dense, 1));
  EXPECT_EQ(layers[1].reason, "default (nothing measured near this shape at block 1)");
  EXPECT_EQ(model.warnings(), with_isa_limit_warning({}));

  // Forcing wins over the profile.
  selection.per_layer[0] = Backend::stl;
  layers = Model::build(definition, selection).describe();
  EXPECT_EQ(layers[0].implementation, Backend::stl);
  EXPECT_EQ(layers[0].reason, "forced for this layer");

  // A profile that does not apply here, given in memory.
  Profile foreign = this_machines_profile({entry(lstm, 1, lstm_choice)});
  foreign.machine.model_name = "Imaginary CPU 9000";
  foreign.machine.isa_limited_to.clear();  // made there without RTN_MAX_ISA, whatever this run has
  BackendSelection ignored;
  ignored.profile = accept_profile(foreign);
  const Model fallback = Model::build(definition, ignored);
  const std::string why = "made on Imaginary CPU 9000 (" + this_machine().microarchitecture +
                          "), this CPU is " + this_machine().describe();
  EXPECT_EQ(fallback.describe()[0].reason, "default (profile ignored: " + why + ")");
  EXPECT_EQ(fallback.warnings(), with_isa_limit_warning({"profile ignored: " + why +
                                                         " (every layer uses the built-in defaults)"}));
}

TEST(ModelWithProfile, DefaultBuildIgnoresTheEnvironment) {
  // Model::build without a profile never reads one: what a library user gets does not change behind their
  // back when someone runs rtn-tune.
  const Model model = Model::build(lstm_model());
  EXPECT_EQ(model.describe()[0].reason, "default (no profile)");
}

TEST(Machine, IdentityIsDetected) {
  const MachineIdentity& machine = this_machine();
  EXPECT_FALSE(machine.vendor.empty());
  EXPECT_FALSE(machine.microarchitecture.empty());
  EXPECT_FALSE(machine.source.empty());
  const BuildIdentity& build = this_build();
  EXPECT_FALSE(build.rtn_version.empty());
  EXPECT_FALSE(build.compiler.empty());
  EXPECT_EQ(build.backends.size(), compiled_implementations().size());
}

}  // namespace
}  // namespace rtn::testing
