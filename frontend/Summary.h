// A per-layer summary of a model, as torchsummary prints one for PyTorch: each layer
// (a run of nodes under one scope, in graph order) with its main op, output shape and
// parameters, then the totals and the memory one forward pass needs.
#pragma once

#include "kiln/frontend/Zoo.h"

#include <string>

namespace kiln {

/// The summary of `model` traced in eval mode at `batch`.
std::string modelSummary(const ModelSpec &model, int64_t batch = 1);

} // namespace kiln
