#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/pooling/pooling_kernel.hpp"

RTN_KERNEL_FACTORY(pooling, xsimd, rtn::PoolingKernel<rtn::XsimdOps>)
