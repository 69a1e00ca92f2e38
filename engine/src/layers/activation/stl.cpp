#include "backends/stl_ops.hpp"
#include "layers/activation/activation_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(activation, stl, rtn::ActivationKernel<rtn::StlOps>)
