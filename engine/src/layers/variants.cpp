// The kernels of the variant implementations: one entry per (layer kind, variant), with the shapes each
// supports. registry.cpp adds them to the generic kernels.
#include "layers/factories.hpp"

namespace rtn {

std::vector<KernelEntry> variant_kernels() { return {}; }

}  // namespace rtn
