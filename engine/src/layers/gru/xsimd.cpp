#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/gru/gru_kernel.hpp"

RTN_KERNEL_FACTORY(gru, xsimd, rtn::GruKernel<rtn::XsimdOps>)
