#include "backends/xsimd_ops.hpp"
#include "layers/batchnorm/batchnorm_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(batchnorm, xsimd, rtn::BatchNormKernel<rtn::XsimdOps>)
