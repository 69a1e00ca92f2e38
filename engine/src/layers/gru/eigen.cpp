#include "backends/eigen_ops.hpp"
#include "layers/factories.hpp"
#include "layers/gru/gru_kernel.hpp"

RTN_KERNEL_FACTORY(gru, eigen, rtn::GruKernel<rtn::EigenOps>)
