#include "backends/eigen_ops.hpp"
#include "layers/factories.hpp"
#include "layers/wavenet/wavenet_kernel.hpp"

RTN_KERNEL_FACTORY(wavenet, eigen, rtn::WaveNetKernel<rtn::EigenOps>)
