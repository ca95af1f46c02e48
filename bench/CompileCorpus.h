// The compile corpus of issue 11: train steps the JIT must compile in bounded time,
// beyond the zoo's tuned shapes. Convolutional nets over 1, 3 and 7 input channels with
// widths 1..128, kernels 1/3/5, strides 1 and 2, with and without batch norm, relu or
// leaky relu, max or average pooling; LSTMs over 8..64 steps; attention encoders.
#pragma once

#include "kiln/frontend/Zoo.h"

#include <vector>

namespace kiln::bench {

/// The corpus's models (the zoo's come on top where a benchmark wants them).
std::vector<ModelSpec> compileCorpus();

} // namespace kiln::bench
