#include "backends/xsimd_ops.hpp"
#include "layers/activation/activation_kernel.hpp"
#include "layers/factories.hpp"

RTN_KERNEL_FACTORY(activation, xsimd, rtn::ActivationKernel<rtn::XsimdOps>)
