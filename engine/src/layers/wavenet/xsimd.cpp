#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/wavenet/wavenet_kernel.hpp"

RTN_KERNEL_FACTORY(wavenet, xsimd, rtn::WaveNetKernel<rtn::XsimdOps>)
