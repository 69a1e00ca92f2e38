#include "backends/stl_ops.hpp"
#include "layers/factories.hpp"
#include "layers/lstm/lstm_kernel.hpp"

RTN_KERNEL_FACTORY(lstm, stl, rtn::LstmKernel<rtn::StlOps>)
