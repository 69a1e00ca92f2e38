#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/lstm/lstm_kernel.hpp"

RTN_KERNEL_FACTORY(lstm, xsimd, rtn::LstmKernel<rtn::XsimdOps>)
