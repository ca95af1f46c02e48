// Shrinking a failing random graph to a small one that still fails, so a report shows
// the few nodes that matter: outputs are dropped, nodes bypassed (replaced by an
// operand of the same type) or cut (replaced by a new input drawn from the node's own
// value range), each change kept only while the failure persists.
#pragma once

#include "RandomGraph.h"

#include <functional>
#include <map>
#include <vector>

namespace kiln::test {

/// A copy of `test` with only the outputs whose `keepOutput` entry is true, every node
/// of `cut` replaced by a new input of its type and facts, every node of `bypass`
/// replaced by the value it maps to, and nothing the kept outputs do not need.
TestGraph rebuild(const TestGraph &test, const std::vector<bool> &keepOutput,
                  const std::vector<ValueId> &cut = {},
                  const std::map<ValueId, ValueId> &bypass = {});

/// The smallest graph found from `failing` for which `fails` still holds, trying at
/// most `attempts` candidates (each costs a compile).
TestGraph shrink(const TestGraph &failing, const std::function<bool(const TestGraph &)> &fails,
                 int attempts = 80);

} // namespace kiln::test
