#include "backends/xsimd_ops.hpp"
#include "layers/conv2d/conv2d_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(conv2d, xsimd, rtn::Conv2dKernel<rtn::XsimdOps>)
