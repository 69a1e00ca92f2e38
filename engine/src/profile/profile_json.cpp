// Profiles as JSON files (docs/profile.md): writing them small and diffable, reading them with full
// validation, and finding the one to use (argument, RTN_PROFILE, per-user default path).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "rtn/error.hpp"
#include "rtn/implementation.hpp"
#include "rtn/profile.hpp"

namespace rtn {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr const char* kFormatName = "rtn-profile";
// A profile of every shape rtn-tune can measure is a few hundred kilobytes; anything far larger is not one.
constexpr std::uintmax_t kMaxProfileBytes = 64u << 20;

// Measurements resolve a few significant digits; more would only make diffs noisy.
double round_significant(double value, int digits) {
  if (value == 0 || !std::isfinite(value)) return value;
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return std::strtod(text, nullptr);
}

OrderedJson measurement_json(const BackendMeasurement& measurement) {
  OrderedJson json;
  json["ns_per_sample"] = round_significant(measurement.ns_per_sample, 4);
  json["median_ns_per_sample"] = round_significant(measurement.median_ns_per_sample, 4);
  json["spread"] = round_significant(measurement.spread, 2);
  json["max_abs_error"] = round_significant(measurement.max_abs_error, 2);
  json["max_rel_error"] = round_significant(measurement.max_rel_error, 2);
  json["within_tolerance"] = measurement.within_tolerance;
  return json;
}

// In the order of Implementation::all() (stl, eigen, xsimd, then the variants), names this build does not
// know after them by name: the same profile always reads and writes the same.
void sort_by_name(std::vector<BackendMeasurement>& measurements) {
  const auto rank = [](const BackendMeasurement& measurement) {
    const std::optional<Implementation> known = Implementation::parse(measurement.implementation);
    const auto& all = Implementation::all();
    return known ? std::find(all.begin(), all.end(), *known) - all.begin() : static_cast<std::ptrdiff_t>(all.size());
  };
  std::stable_sort(measurements.begin(), measurements.end(), [&](const BackendMeasurement& a, const BackendMeasurement& b) {
    const auto rank_a = rank(a), rank_b = rank(b);
    return rank_a != rank_b ? rank_a < rank_b : a.implementation < b.implementation;
  });
}

std::string indent_lines(const std::string& text, const std::string& indent) {
  std::string result;
  std::istringstream lines(text);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (!first) result += '\n';
    result += indent;
    result += line;
    first = false;
  }
  return result;
}

// ---- reading ----

// Reads one JSON value after another, naming the exact place of a problem: "entries[3].backends.stl".
class ProfileReader {
 public:
  Profile read(const Json& root) {
    expect_object(root, "");
    only_keys(root, "", {"format", "version", "created", "machine", "build", "tuner", "entries"});
    const std::string format = string_at(root, "", "format");
    if (format != kFormatName)
      fail("format", "expected \"" + std::string(kFormatName) + "\", got \"" + format + "\"");
    const long long version = integer_at(root, "", "version", 0, 1 << 30);
    if (version > Profile::kFormatVersion) {
      fail("version", "written by a newer rtn (profile format version " + std::to_string(version) +
                          "); this build reads version " + std::to_string(Profile::kFormatVersion));
    }
    if (version != Profile::kFormatVersion) {
      fail("version", "profile format version " + std::to_string(version) +
                          " is not supported; this build reads " + std::to_string(Profile::kFormatVersion));
    }
    Profile profile;
    profile.created = string_at(root, "", "created");
    profile.machine = read_machine(member(root, "", "machine"), "machine");
    profile.build = read_build(member(root, "", "build"), "build");
    if (root.contains("tuner")) {
      const Json& tuner = root.at("tuner");
      expect_object(tuner, "tuner");
      for (const auto& [key, value] : tuner.items()) {
        if (!value.is_string()) fail("tuner." + key, "expected a string, got " + describe(value));
        profile.tuner[key] = value.get<std::string>();
      }
    }
    const Json& entries = member(root, "", "entries");
    if (!entries.is_array()) fail("entries", "expected an array, got " + describe(entries));
    std::set<std::pair<std::string, int>> seen;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string path = "entries[" + std::to_string(i) + "]";
      ProfileEntry entry = read_entry(entries[i], path);
      if (!seen.insert({entry.layer, entry.block}).second) {
        fail(path, "a second entry for " + entry.layer + " at block " + std::to_string(entry.block));
      }
      profile.entries.push_back(std::move(entry));
    }
    return profile;
  }

 private:
  [[noreturn]] static void fail(const std::string& path, const std::string& what) {
    throw Error(path.empty() ? what : path + ": " + what);
  }

  static std::string join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static std::string describe(const Json& value) {
    switch (value.type()) {
      case Json::value_t::null:
        return "null";
      case Json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
      case Json::value_t::string: {
        std::string text = value.get<std::string>();
        if (text.size() > 40) text = text.substr(0, 40) + "...";
        return "\"" + text + "\"";
      }
      case Json::value_t::array:
        return "an array";
      case Json::value_t::object:
        return "an object";
      default:
        return value.dump();
    }
  }

  static void expect_object(const Json& value, const std::string& path) {
    if (!value.is_object()) fail(path, "expected an object, got " + describe(value));
  }

  static void only_keys(const Json& object, const std::string& path,
                        std::initializer_list<const char*> known) {
    for (const auto& item : object.items()) {
      bool found = false;
      for (const char* key : known) found = found || item.key() == key;
      if (!found) fail(join_path(path, item.key()), "unknown key");
    }
  }

  static const Json& member(const Json& object, const std::string& path, const char* key) {
    const auto found = object.find(key);
    if (found == object.end()) fail(join_path(path, key), "missing");
    return *found;
  }

  static std::string string_at(const Json& object, const std::string& path, const char* key) {
    const Json& value = member(object, path, key);
    if (!value.is_string()) fail(join_path(path, key), "expected a string, got " + describe(value));
    return value.get<std::string>();
  }

  static std::vector<std::string> strings_at(const Json& object, const std::string& path, const char* key) {
    const Json& value = member(object, path, key);
    const std::string where = join_path(path, key);
    if (!value.is_array()) fail(where, "expected an array of strings, got " + describe(value));
    std::vector<std::string> strings;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string()) {
        fail(where + "[" + std::to_string(i) + "]", "expected a string, got " + describe(value[i]));
      }
      strings.push_back(value[i].get<std::string>());
    }
    return strings;
  }

  static long long integer_at(const Json& object, const std::string& path, const char* key, long long low,
                              long long high) {
    const Json& value = member(object, path, key);
    const std::string where = join_path(path, key);
    long long number = 0;
    if (value.is_number_integer()) {
      number = value.get<long long>();
    } else if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>() &&
               std::fabs(value.get<double>()) < 1e15) {
      number = static_cast<long long>(value.get<double>());
    } else {
      fail(where, "expected an integer, got " + describe(value));
    }
    if (number < low || number > high) {
      fail(where, "expected an integer in " + std::to_string(low) + "..." + std::to_string(high) + ", got " +
                      std::to_string(number));
    }
    return number;
  }

  static double number_at(const Json& object, const std::string& path, const char* key) {
    const Json& value = member(object, path, key);
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
      fail(join_path(path, key), "expected a number >= 0, got " + describe(value));
    }
    return value.get<double>();
  }

  static bool bool_at(const Json& object, const std::string& path, const char* key) {
    const Json& value = member(object, path, key);
    if (!value.is_boolean()) fail(join_path(path, key), "expected true or false, got " + describe(value));
    return value.get<bool>();
  }

  // An implementation's name: "xsimd", "xsimd.fixed". One this build does not know is kept (the dispatcher
  // never chooses it, and says why); only the form is checked.
  static std::string implementation_named(const std::string& name, const std::string& path) {
    const bool well_formed =
        !name.empty() && name.size() <= 64 && name.front() != '.' && name.back() != '.' &&
        std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        });
    if (!well_formed) {
      fail(path, "'" + name + "' is not an implementation name (such as \"xsimd\" or \"xsimd.fixed\")");
    }
    return name;
  }

  static MachineIdentity read_machine(const Json& json, const std::string& path) {
    expect_object(json, path);
    only_keys(json, path,
              {"vendor", "model_name", "microarchitecture", "isa", "isa_level", "l1d_cache_bytes",
               "l2_cache_bytes", "l3_cache_bytes", "logical_processors", "source", "isa_limited_to"});
    MachineIdentity machine;
    machine.vendor = string_at(json, path, "vendor");
    machine.model_name = string_at(json, path, "model_name");
    machine.microarchitecture = string_at(json, path, "microarchitecture");
    machine.isa = strings_at(json, path, "isa");
    if (json.contains("isa_level")) string_at(json, path, "isa_level");  // for people: it follows from "isa"
    constexpr long long kHuge = 1LL << 50;
    machine.l1d_cache_bytes = static_cast<std::uint64_t>(integer_at(json, path, "l1d_cache_bytes", 0, kHuge));
    machine.l2_cache_bytes = static_cast<std::uint64_t>(integer_at(json, path, "l2_cache_bytes", 0, kHuge));
    machine.l3_cache_bytes = static_cast<std::uint64_t>(integer_at(json, path, "l3_cache_bytes", 0, kHuge));
    machine.logical_processors = static_cast<int>(integer_at(json, path, "logical_processors", 0, 1 << 20));
    machine.source = string_at(json, path, "source");
    if (json.contains("isa_limited_to")) machine.isa_limited_to = string_at(json, path, "isa_limited_to");
    return machine;
  }

  static BuildIdentity read_build(const Json& json, const std::string& path) {
    expect_object(json, path);
    only_keys(json, path,
              {"rtn_version", "compiler", "flags", "eigen_version", "xsimd_version", "kernel_sources", "isa_levels",
               "backends"});
    BuildIdentity build;
    build.rtn_version = string_at(json, path, "rtn_version");
    build.compiler = string_at(json, path, "compiler");
    build.flags = string_at(json, path, "flags");
    build.eigen_version = string_at(json, path, "eigen_version");
    build.xsimd_version = string_at(json, path, "xsimd_version");
    build.backends = strings_at(json, path, "backends");
    if (json.contains("kernel_sources")) build.kernel_sources = string_at(json, path, "kernel_sources");
    if (json.contains("isa_levels")) build.isa_levels = strings_at(json, path, "isa_levels");
    return build;
  }

  static bool looks_like_layer_key(const std::string& layer) {
    // kind(...): what LayerSpec::to_string() writes.
    const std::size_t open = layer.find('(');
    if (open == 0 || open == std::string::npos || layer.back() != ')') return false;
    for (std::size_t i = 0; i < open; ++i) {
      const char c = layer[i];
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
  }

  static ProfileEntry read_entry(const Json& json, const std::string& path) {
    expect_object(json, path);
    only_keys(json, path, {"layer", "block", "chosen", "libtorch_ns_per_sample", "backends"});
    ProfileEntry entry;
    entry.layer = string_at(json, path, "layer");
    if (!looks_like_layer_key(entry.layer)) {
      fail(join_path(path, "layer"),
           "expected a layer such as \"lstm(in=1,hidden=40,layers=1,bias=1)\", got \"" + entry.layer + "\"");
    }
    entry.block = static_cast<int>(integer_at(json, path, "block", 1, 1 << 20));
    if (json.contains("libtorch_ns_per_sample")) {
      entry.libtorch_ns_per_sample = number_at(json, path, "libtorch_ns_per_sample");
    }
    const std::string backends_path = join_path(path, "backends");
    const Json& backends = member(json, path, "backends");
    expect_object(backends, backends_path);
    if (backends.empty()) fail(backends_path, "no implementation measured");
    for (const auto& [name, value] : backends.items()) {
      const std::string where = join_path(backends_path, name);
      BackendMeasurement measurement;
      measurement.implementation = implementation_named(name, where);
      expect_object(value, where);
      only_keys(value, where,
                {"ns_per_sample", "median_ns_per_sample", "spread", "max_abs_error", "max_rel_error",
                 "within_tolerance"});
      measurement.ns_per_sample = number_at(value, where, "ns_per_sample");
      measurement.median_ns_per_sample = number_at(value, where, "median_ns_per_sample");
      measurement.spread = number_at(value, where, "spread");
      measurement.max_abs_error = number_at(value, where, "max_abs_error");
      measurement.max_rel_error = number_at(value, where, "max_rel_error");
      measurement.within_tolerance = bool_at(value, where, "within_tolerance");
      entry.backends.push_back(measurement);
    }
    sort_by_name(entry.backends);
    const std::string chosen = string_at(json, path, "chosen");
    entry.chosen = implementation_named(chosen, join_path(path, "chosen"));
    const BackendMeasurement* measured = entry.find(entry.chosen);
    if (!measured) fail(join_path(path, "chosen"), "'" + chosen + "' has no measurement in this entry");
    if (!measured->within_tolerance) {
      fail(join_path(path, "chosen"),
           "'" + chosen + "' is outside the error tolerance, and may not be chosen");
    }
    return entry;
  }
};

std::string describe_parse_error(const nlohmann::json::parse_error& error, std::string_view text) {
  const std::size_t offset = std::min<std::size_t>(error.byte == 0 ? 0 : error.byte - 1, text.size());
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
  const std::size_t line_start = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  const std::size_t column = offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
  std::string detail = error.what();
  // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ...".
  if (const std::size_t colon = detail.find(": ", detail.find("parse error")); colon != std::string::npos) {
    detail = detail.substr(colon + 2);
  }
  return "not valid JSON (line " + std::to_string(line) + ", column " + std::to_string(column) +
         "): " + detail;
}

// The profile in `text`; throws rtn::Error whose message does not name the source (the callers add it).
Profile parse_profile(std::string_view text) {
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(describe_parse_error(error, text));
  }
  try {
    return ProfileReader().read(root);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    // Not expected (the reader checks every type before it reads), but nothing else may escape.
    throw Error(std::string("cannot read the profile: ") + error.what());
  }
}

// The machine and build sections, as the profile, rtn-tune's results and anything else that records where it
// measured write them (one writer, so that they cannot drift apart).
OrderedJson machine_section(const MachineIdentity& machine) {
  OrderedJson json;
  json["vendor"] = machine.vendor;
  json["model_name"] = machine.model_name;
  json["microarchitecture"] = machine.microarchitecture;
  json["isa"] = machine.isa;
  json["isa_level"] = machine.isa_level();
  json["l1d_cache_bytes"] = machine.l1d_cache_bytes;
  json["l2_cache_bytes"] = machine.l2_cache_bytes;
  json["l3_cache_bytes"] = machine.l3_cache_bytes;
  json["logical_processors"] = machine.logical_processors;
  json["source"] = machine.source;
  if (!machine.isa_limited_to.empty()) json["isa_limited_to"] = machine.isa_limited_to;  // RTN_MAX_ISA
  return json;
}

OrderedJson build_section(const BuildIdentity& build) {
  OrderedJson json;
  json["rtn_version"] = build.rtn_version;
  json["compiler"] = build.compiler;
  json["flags"] = build.flags;
  json["eigen_version"] = build.eigen_version;
  json["xsimd_version"] = build.xsimd_version;
  json["kernel_sources"] = build.kernel_sources;
  json["isa_levels"] = build.isa_levels;
  json["backends"] = build.backends;
  return json;
}

void ignore(LoadedProfile& loaded, const std::string& why, const char* advice = "") {
  loaded.profile.reset();
  loaded.ignored = why;
  const std::string origin = loaded.origin == "argument" ? "" : " (from " + loaded.origin + ")";
  loaded.warnings.push_back("profile " + loaded.path + origin + " ignored: " + why +
                            " (every layer uses the built-in defaults" + advice + ")");
}

}  // namespace

std::string machine_to_json(const MachineIdentity& machine) { return machine_section(machine).dump(); }

std::string build_to_json(const BuildIdentity& build) { return build_section(build).dump(); }

std::string profile_to_json(const Profile& profile) {
  // The header sections pretty-printed, then one entry per few lines, one line per backend: a change in a
  // measurement is a one-line diff.
  const OrderedJson machine = machine_section(profile.machine);
  const OrderedJson build = build_section(profile.build);
  OrderedJson tuner = OrderedJson::object();
  for (const auto& [key, value] : profile.tuner) tuner[key] = value;

  std::string text = "{\n";
  text += "  \"format\": \"" + std::string(kFormatName) + "\",\n";
  text += "  \"version\": " + std::to_string(Profile::kFormatVersion) + ",\n";
  text += "  \"created\": " + OrderedJson(profile.created).dump() + ",\n";
  // Arrays of strings on one line: isa lists are long.
  OrderedJson machine_head = machine;
  machine_head.erase("isa");
  std::string machine_text = machine_head.dump(2);
  machine_text.insert(machine_text.find("\n  \"l1d_cache_bytes\""),
                      "\n  \"isa\": " + machine["isa"].dump() + ",");
  text += "  \"machine\": " + indent_lines(machine_text, "  ").substr(2) + ",\n";
  OrderedJson build_head = build;
  build_head.erase("isa_levels");
  build_head.erase("backends");
  std::string build_text = build_head.dump(2);
  build_text.insert(build_text.rfind("\n}"), ",\n  \"isa_levels\": " + build["isa_levels"].dump() +
                                                ",\n  \"backends\": " + build["backends"].dump());
  text += "  \"build\": " + indent_lines(build_text, "  ").substr(2) + ",\n";
  text += "  \"tuner\": " + indent_lines(tuner.dump(2), "  ").substr(2) + ",\n";
  text += "  \"entries\": [";
  for (std::size_t i = 0; i < profile.entries.size(); ++i) {
    const ProfileEntry& entry = profile.entries[i];
    text += i ? ",\n" : "\n";
    text += "    {\"layer\": " + OrderedJson(entry.layer).dump() +
            ", \"block\": " + std::to_string(entry.block) + ", \"chosen\": " + OrderedJson(entry.chosen).dump();
    if (entry.libtorch_ns_per_sample) {
      text += ", \"libtorch_ns_per_sample\": " +
              OrderedJson(round_significant(*entry.libtorch_ns_per_sample, 4)).dump();
    }
    text += ", \"backends\": {";
    std::vector<BackendMeasurement> backends = entry.backends;
    sort_by_name(backends);
    for (std::size_t b = 0; b < backends.size(); ++b) {
      text += (b ? ",\n      " : "\n      ") + OrderedJson(backends[b].implementation).dump() + ": " +
              measurement_json(backends[b]).dump();
    }
    text += "}}";
  }
  text += profile.entries.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return text;
}

Profile parse_profile_json(std::string_view text, const std::string& source_name) {
  try {
    return parse_profile(text);
  } catch (const Error& error) {
    throw Error(source_name + ": " + error.what());
  }
}

void save_profile(const Profile& profile, const std::string& path) {
  namespace fs = std::filesystem;
  const std::string text = profile_to_json(profile);
  std::error_code error;
  const fs::path target(path);
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), error);
    if (error) throw Error("cannot create the directory of profile '" + path + "': " + error.message());
  }
  const std::string partial = path + ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    if (!file) throw Error("cannot write profile '" + partial + "': " + std::strerror(errno));
    file << text;
    file.close();
    if (!file) throw Error("cannot write profile '" + partial + "': " + std::strerror(errno));
  }
  fs::rename(partial, target, error);
  if (error) {
    fs::remove(partial, error);
    throw Error("cannot replace profile '" + path + "': " + error.message());
  }
}

LoadedProfile load_profile(const std::string& explicit_path) {
  namespace fs = std::filesystem;
  LoadedProfile loaded;
  try {
    const char* environment = std::getenv("RTN_PROFILE");
    if (!explicit_path.empty()) {
      loaded.path = explicit_path;
      loaded.origin = "argument";
    } else if (environment && *environment) {
      loaded.path = environment;
      loaded.origin = "RTN_PROFILE";
    } else {
      loaded.path = default_profile_path();
      loaded.origin = "default path";
      std::error_code error;
      // No per-user profile is the normal state before the first rtn-tune: nothing to warn about.
      if (loaded.path.empty() || !fs::exists(loaded.path, error)) return loaded;
    }

    std::error_code error;
    if (!fs::exists(loaded.path, error)) {
      ignore(loaded, "no such file");
      return loaded;
    }
    if (fs::is_directory(loaded.path, error)) {
      ignore(loaded, "it is a directory");
      return loaded;
    }
    const std::uintmax_t size = fs::file_size(loaded.path, error);
    if (!error && size > kMaxProfileBytes) {
      ignore(loaded, "too large to be a profile (" + std::to_string(size) + " bytes)");
      return loaded;
    }
    std::ifstream file(loaded.path, std::ios::binary);
    if (!file) {
      ignore(loaded, std::string("cannot open it: ") + std::strerror(errno));
      return loaded;
    }
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad()) {
      ignore(loaded, std::string("cannot read it: ") + std::strerror(errno));
      return loaded;
    }

    Profile profile;
    try {
      profile = parse_profile(content.str());
    } catch (const Error& problem) {
      ignore(loaded, problem.what());
      return loaded;
    }
    const std::string mismatch = profile_mismatch(profile, this_machine(), this_build());
    if (!mismatch.empty()) {
      ignore(loaded, mismatch, "; rerun rtn-tune to measure this machine and build");
      return loaded;
    }
    loaded.profile = std::make_shared<const Profile>(std::move(profile));
  } catch (const std::bad_alloc&) {
    ignore(loaded, "out of memory while reading it");
  } catch (const std::exception& problem) {
    ignore(loaded, problem.what());
  }
  return loaded;
}

}  // namespace rtn
