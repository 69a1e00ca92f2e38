#include "backends/stl_ops.hpp"
#include "layers/factories.hpp"
#include "layers/pooling/pooling_kernel.hpp"

RTN_KERNEL_FACTORY(pooling, stl, rtn::PoolingKernel<rtn::StlOps>)
