// A model graph replayed at another batch size: the graph a model file gives at the
// batch it is compiled for, whatever batch it was written at.
#pragma once

#include "kiln/frontend/BatchLayout.h"

#include <string>
#include <vector>

namespace kiln {

/// A graph replayed at another batch size, and where each source value went.
struct Rebatched {
  Graph graph;
  std::vector<ValueId> map; ///< source value -> replayed value
};

/// `source`, whose `input` leads with its batch, replayed node by node at `batch` into a
/// graph called `name`: the input gets the new batch, every attribute that spells a
/// dimension holding the batch is scaled, and every type comes from the shape rules
/// again. Keeps the updates when `keepUpdates`. At the source's own batch the graph is
/// copied as it is. Throws RebatchError as batchLayout does, and for a node whose shape
/// rule refuses the replayed operands.
Rebatched rebatch(const Graph &source, ValueId input, int64_t batch, std::string name,
                  bool keepUpdates);

} // namespace kiln
