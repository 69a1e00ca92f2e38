#include "backends/eigen_ops.hpp"
#include "layers/factories.hpp"
#include "layers/pooling/pooling_kernel.hpp"

RTN_KERNEL_FACTORY(pooling, eigen, rtn::PoolingKernel<rtn::EigenOps>)
