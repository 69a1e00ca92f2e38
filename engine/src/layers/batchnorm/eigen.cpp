#include "backends/eigen_ops.hpp"
#include "layers/batchnorm/batchnorm_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(batchnorm, eigen, rtn::BatchNormKernel<rtn::EigenOps>)
