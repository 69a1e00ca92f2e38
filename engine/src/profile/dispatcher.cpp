#include "rtn/dispatcher.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "rtn/layer_descriptor.hpp"
#include "rtn/model.hpp"
#include "rtn/registry.hpp"

namespace rtn {

namespace {

struct LayerKey {
  std::string kind;
  std::vector<std::pair<std::string, double>> fields;  // in the key's order
};

// "lstm(in=1,hidden=40,layers=1,bias=1)" -> lstm, {in 1, hidden 40, layers 1, bias 1}. False when the text
// is not in that form.
bool parse_layer_key(const std::string& text, LayerKey& key) {
  const std::size_t open = text.find('(');
  if (open == std::string::npos || text.empty() || text.back() != ')') return false;
  key.kind = text.substr(0, open);
  key.fields.clear();
  const std::string inside = text.substr(open + 1, text.size() - open - 2);
  std::size_t start = 0;
  while (start < inside.size()) {
    std::size_t end = inside.find(',', start);
    if (end == std::string::npos) end = inside.size();
    const std::string field = inside.substr(start, end - start);
    const std::size_t equals = field.find('=');
    if (equals == std::string::npos) return false;
    const std::string value = field.substr(equals + 1);
    char* parsed_end = nullptr;
    const double number = std::strtod(value.c_str(), &parsed_end);
    if (value.empty() || *parsed_end != '\0' || !std::isfinite(number)) return false;
    key.fields.emplace_back(field.substr(0, equals), number);
    start = end + 1;
  }
  return true;
}

std::string block_note(int measured, int asked) {
  return measured == asked ? "" : " (measured at block " + std::to_string(measured) + ")";
}

// `preferred` if this build can compute `spec` with it, else the first of xsimd, eigen, stl that can.
Implementation compiled_or_fallback(const LayerSpec& spec, Implementation preferred) noexcept {
  const auto can_compute = [&](Implementation implementation) { return find_kernel(spec, implementation) != nullptr; };
  if (can_compute(preferred)) return preferred;
  // A variant that cannot compute the shape falls back to its backend's generic kernels first.
  if (can_compute(preferred.backend())) return preferred.backend();
  for (Backend backend : {Backend::xsimd, Backend::eigen, Backend::stl}) {
    if (can_compute(backend)) return backend;
  }
  return Backend::stl;
}

}  // namespace

Implementation default_implementation(const LayerSpec& spec, int block) noexcept {
  // What rtn-tune measured on the bundled suite (suites/default.json), as a rule per kind in the kind's
  // descriptor (engine/src/layers/<layer>/descriptor.cpp; docs/backends.md has the numbers). Where backends were
  // within noise of each other, and for kinds without a rule, xsimd.
  const LayerDescriptor* descriptor = find_layer_descriptor(spec.kind);
  const Implementation preferred =
      descriptor && descriptor->default_implementation ? descriptor->default_implementation(spec, block) : Backend::xsimd;
  return compiled_or_fallback(spec, preferred);
}

double shape_distance(const std::string& layer_a, const std::string& layer_b) {
  constexpr double kInfinite = std::numeric_limits<double>::infinity();
  LayerKey a, b;
  if (!parse_layer_key(layer_a, a) || !parse_layer_key(layer_b, b)) return kInfinite;
  if (a.kind != b.kind || a.fields.size() != b.fields.size()) return kInfinite;
  double distance = 0;
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].first != b.fields[i].first) return kInfinite;
    // 1 + |x| keeps 0/1 fields (bias) and fractional ones (eps, slopes) finite and small.
    distance +=
        std::fabs(std::log2((1 + std::fabs(a.fields[i].second)) / (1 + std::fabs(b.fields[i].second))));
  }
  return distance;
}

Dispatcher::Dispatcher(LoadedProfile profile) : profile_(std::move(profile)) {}

int Dispatcher::measured_block(int block) const {
  // Per-sample processing is its own regime (no batching across frames): only per-sample entries decide it.
  // Any block size is represented by the measured block size nearest on a log scale, the smaller on a tie.
  int best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (const ProfileEntry& entry : profile_.profile->entries) {
    if ((block <= 1) != (entry.block <= 1)) continue;
    const double distance = std::fabs(std::log2(static_cast<double>(entry.block) / std::max(block, 1)));
    if (distance < best_distance || (distance == best_distance && entry.block < best)) {
      best = entry.block;
      best_distance = distance;
    }
  }
  return best;
}

DispatchDecision Dispatcher::choose(const LayerSpec& spec, int block) const {
  DispatchDecision decision;
  decision.implementation = default_implementation(spec, block);
  decision.source = DispatchDecision::Source::built_in_default;
  if (!profile_.profile) {
    decision.reason = profile_.ignored.empty() ? "default (no profile)"
                                               : "default (profile ignored: " + profile_.ignored + ")";
    return decision;
  }
  const int measured = measured_block(block);
  if (measured == 0) {
    decision.reason = block <= 1 ? "default (the profile has no per-sample entries)"
                                 : "default (the profile has no block entries)";
    return decision;
  }
  const std::string key = spec.to_string();
  const Profile& profile = *profile_.profile;
  // An implementation this build lacks, or one that cannot compute this shape (a nearest entry's fixed-size
  // kernel), cannot be chosen: the choice falls through, and the reason says why.
  std::string unusable;
  const auto usable = [&](const std::string& name) -> std::optional<Implementation> {
    const std::optional<Implementation> implementation = Implementation::parse(name);
    const KernelEntry* entry = implementation ? find_kernel(spec.kind, *implementation) : nullptr;
    if (entry && entry->supports(spec)) return implementation;
    if (unusable.empty()) {
      unusable = "; the profile chose " + name +
                 (entry ? ", which has no kernel for this shape" : ", which this build lacks");
    }
    return std::nullopt;
  };
  if (const ProfileEntry* exact = profile.find(key, measured)) {
    if (const auto implementation = usable(exact->chosen)) {
      decision.implementation = *implementation;
      decision.source = DispatchDecision::Source::profile_exact;
      decision.reason = "profile: exact entry" + block_note(measured, block);
      return decision;
    }
  }
  const ProfileEntry* nearest = nullptr;
  std::optional<Implementation> nearest_choice;
  double nearest_distance = std::numeric_limits<double>::infinity();
  for (const ProfileEntry& entry : profile.entries) {
    if (entry.block != measured) continue;
    const double distance = shape_distance(key, entry.layer);
    if (distance >= nearest_distance || distance > kMaxNearestShapeDistance) continue;
    if (const auto implementation = usable(entry.chosen)) {
      nearest = &entry;
      nearest_choice = implementation;
      nearest_distance = distance;
    }
  }
  if (nearest) {
    decision.implementation = *nearest_choice;
    decision.source = DispatchDecision::Source::profile_nearest;
    decision.reason = "profile: nearest shape " + nearest->layer + block_note(measured, block);
    return decision;
  }
  decision.reason =
      "default (nothing measured near this shape at block " + std::to_string(measured) + unusable + ")";
  return decision;
}

}  // namespace rtn
