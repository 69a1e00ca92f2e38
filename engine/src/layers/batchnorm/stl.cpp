#include "backends/stl_ops.hpp"
#include "layers/batchnorm/batchnorm_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(batchnorm, stl, rtn::BatchNormKernel<rtn::StlOps>)
