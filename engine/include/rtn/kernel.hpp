#pragma once
// Kernel: one layer kind computed by one implementation (rtn/implementation.hpp). Every kernel of a kind has this interface and
// the same numerics contract, so tests, the tuner and models treat them alike.
#include "rtn/implementation.hpp"
#include "rtn/layer_spec.hpp"

namespace rtn {

class Kernel {
 public:
  Kernel(const LayerSpec& spec, Implementation implementation) : spec_(spec), implementation_(implementation) {}
  virtual ~Kernel() = default;
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const LayerSpec& spec() const noexcept { return spec_; }
  // What computes it ("xsimd.fixed"), and that implementation's backend.
  Implementation implementation() const noexcept { return implementation_; }
  Backend backend() const noexcept { return implementation_.backend(); }
  // Set by the registry (KernelEntry::create) to the entry that built the kernel.
  void set_implementation(Implementation implementation) noexcept { implementation_ = implementation; }
  int input_size() const noexcept { return spec_.input_size; }
  int output_size() const noexcept { return spec_.output_size; }

  // What of a layer a kernel type cannot compute beyond its sizes: a reason, or null. A kernel template whose
  // fixed-size instances have limits (Conv1dKernel, GruKernel) hides this with its own; the registry's
  // fixed-size entries and StaticModel both ask it, so the limit is stated once.
  static const char* unsupported(const LayerSpec&) noexcept { return nullptr; }

  // Allocates: sizes the scratch space for blocks of up to max_block frames, then reset()s.
  // Must be called before the first process().
  virtual void prepare(int max_block) = 0;
  // Clears the state (convolution history, recurrent state) to zero. Never allocates.
  virtual void reset() noexcept = 0;
  // Computes `frames` frames (1..max_block). `in` holds frames x input_size floats, frame after
  // frame (channels interleaved); `out` receives output_frames(frames) x output_size. in and out must not
  // overlap. State carries over to the next call: processing a signal in blocks of any sizes gives the same
  // output as processing it at once. Never allocates, locks, throws or does I/O.
  virtual void process(const float* in, float* out, int frames) noexcept = 0;
  // The frames the next process() of `frames` input frames writes: `frames`, but for a decimating layer
  // (spec().time_stride() > 1), whose outputs fall on every time_stride()-th input frame since reset(), and
  // an upsampling one (frames * spec().time_upsampling()); at most spec().max_output_frames(frames). Never
  // allocates.
  virtual int output_frames(int frames) const noexcept { return frames; }

 private:
  LayerSpec spec_;
  Implementation implementation_;
};

}  // namespace rtn
