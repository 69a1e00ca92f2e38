#pragma once
// The dispatcher: at model load, the implementation for each layer, from the tuning profile where it has a
// measurement and from the built-in defaults where it has none. Used by Model::build; the tuner and the
// tests use it directly to see what a profile decides.
#include <string>

#include "rtn/implementation.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/profile.hpp"

namespace rtn {

// How far a profile entry may be from the layer (in the units of shape_distance) and still decide it.
// Beyond it the built-in defaults, which encode how the backends scale with size, are the better guess.
constexpr double kMaxNearestShapeDistance = 3.0;

// A distance between two layer shapes of the same kind, for finding the nearest measured one: the sum over
// the shape's fields (sizes, kernel, dilation, layers...) of |log2((1 + a) / (1 + b))|, so that 16 vs 32
// channels counts about as much as 32 vs 64. Takes the LayerSpec::to_string() keys, so that it also ranks
// kinds it does not know. Infinite when the kinds or the fields differ. Allocates.
double shape_distance(const std::string& layer_a, const std::string& layer_b);

struct DispatchDecision {
  enum class Source { profile_exact, profile_nearest, built_in_default };
  Implementation implementation;
  Source source = Source::built_in_default;
  // Why, for people: "profile: exact entry", "profile: nearest shape lstm(in=1,hidden=32,layers=1,bias=1)",
  // "default (no profile)", "default (profile ignored: made on X, this CPU is Y)",
  // "default (no profile entry near lstm(...) at block 64)". A mode other than the one asked for is named:
  // "profile: exact entry (measured at block 256)".
  std::string reason;
};

class Dispatcher {
 public:
  // Chooses from `profile` when it is in use (profile.profile set), else from the built-in defaults
  // (default_implementation()). Allocates.
  explicit Dispatcher(LoadedProfile profile = {});

  // The implementation for a layer processed `block` frames per call (1: per sample), and why. The profile's
  // measurements at the nearest measured block size decide: per-sample entries only for block 1, block
  // entries (the nearest size on a log scale) otherwise. There the exact entry wins, else the nearest shape
  // of the same kind within kMaxNearestShapeDistance, else the default. Only implementations compiled into
  // this build that can compute the shape are ever returned. Allocates (the reason).
  DispatchDecision choose(const LayerSpec& spec, int block) const;

  const LoadedProfile& profile() const noexcept { return profile_; }

 private:
  // The block size of the profile's entries that stands for `block`; 0 when the profile has none.
  int measured_block(int block) const;
  LoadedProfile profile_;
};

}  // namespace rtn
