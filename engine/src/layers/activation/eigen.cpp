#include "backends/eigen_ops.hpp"
#include "layers/activation/activation_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(activation, eigen, rtn::ActivationKernel<rtn::EigenOps>)
