#include "backends/stl_ops.hpp"
#include "layers/conv_transpose1d/conv_transpose1d_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(conv_transpose1d, stl, rtn::ConvTranspose1dKernel<rtn::StlOps>)
