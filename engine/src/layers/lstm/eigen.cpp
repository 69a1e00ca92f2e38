#include "backends/eigen_ops.hpp"
#include "layers/factories.hpp"
#include "layers/lstm/lstm_kernel.hpp"

RTN_KERNEL_FACTORY(lstm, eigen, rtn::LstmKernel<rtn::EigenOps>)
