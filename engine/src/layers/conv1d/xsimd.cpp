#include "backends/xsimd_ops.hpp"
#include "layers/conv1d/conv1d_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(conv1d, xsimd, rtn::Conv1dKernel<rtn::XsimdOps>)
