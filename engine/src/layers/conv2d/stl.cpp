#include "backends/stl_ops.hpp"
#include "layers/conv2d/conv2d_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(conv2d, stl, rtn::Conv2dKernel<rtn::StlOps>)
