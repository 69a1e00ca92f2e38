#include "backends/stl_ops.hpp"
#include "layers/factories.hpp"
#include "layers/wavenet/wavenet_kernel.hpp"

RTN_KERNEL_FACTORY(wavenet, stl, rtn::WaveNetKernel<rtn::StlOps>)
