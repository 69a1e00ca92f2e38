#include "backends/stl_ops.hpp"
#include "layers/dense/dense_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(dense, stl, rtn::DenseKernel<rtn::StlOps>)
