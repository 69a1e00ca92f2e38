#include "backends/stl_ops.hpp"
#include "layers/factories.hpp"
#include "layers/gru/gru_kernel.hpp"

RTN_KERNEL_FACTORY(gru, stl, rtn::GruKernel<rtn::StlOps>)
