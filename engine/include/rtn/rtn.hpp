#pragma once
// Everything a user of the rtn engine needs.
#include "rtn/backend.hpp"
#include "rtn/denormals.hpp"
#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/model.hpp"
#include "rtn/profile.hpp"
#include "rtn/registry.hpp"
#include "rtn/wavenet_spec.hpp"
#include "rtn/weights.hpp"
#ifdef RTN_HAVE_JSON
#include "rtn/model_file.hpp"
#include "rtn/nam_file.hpp"
#endif
