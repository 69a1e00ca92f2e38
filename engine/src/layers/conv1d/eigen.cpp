#include "backends/eigen_ops.hpp"
#include "layers/conv1d/conv1d_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(conv1d, eigen, rtn::Conv1dKernel<rtn::EigenOps>)
