#include "backends/xsimd_ops.hpp"
#include "layers/dense/dense_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(dense, xsimd, rtn::DenseKernel<rtn::XsimdOps>)
