// Loss functions (torch.nn.functional names), each reduced to a mean scalar f32[] as
// PyTorch's default reduction='mean' does.
#pragma once

#include "kiln/frontend/Value.h"

namespace kiln {

/// -mean_b log_softmax(logits)[b, labels[b]] for logits f32[B,C] and labels i32[B]:
/// nn.CrossEntropyLoss. Built from log_softmax and one_hot, so it stays finite for large
/// logits. Throws kiln::Error on mismatched shapes or types.
Value cross_entropy(const Value &logits, const Value &labels);
/// -mean_b logProbs[b, labels[b]] (nn.NLLLoss) for log-probabilities f32[B,C].
Value nll_loss(const Value &logProbs, const Value &labels);
/// mean((prediction - target)^2) over all elements; the shapes must be equal.
Value mse_loss(const Value &prediction, const Value &target);
/// -mean(t log p + (1-t) log(1-p)) for probabilities p; like PyTorch, each log is
/// clamped at -100 so that p = 0 or 1 gives a finite loss.
Value binary_cross_entropy(const Value &probabilities, const Value &target);

} // namespace kiln
