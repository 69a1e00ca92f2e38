#include "backends/eigen_ops.hpp"
#include "layers/dense/dense_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(dense, eigen, rtn::DenseKernel<rtn::EigenOps>)
