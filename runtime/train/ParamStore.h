// ParamStore: every piece of graph state of a run (parameters, batch-norm statistics,
// optimizer moments, the step counter), by name. The train and eval graphs of a model
// bind to the same store, so evaluation always sees the latest parameters.
#pragma once

#include "kiln/ir/Graph.h"
#include "kiln/runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

class ParamStore {
public:
  /// Makes sure every state of `graph` is present: missing ones are initialized from
  /// their `init` attributes with `seed`; present ones must have the graph's type
  /// (kiln::Error naming the state otherwise).
  void bind(const Graph &graph, uint64_t seed);

  bool has(const std::string &name) const { return tensors_.count(name) != 0; }
  const Tensor &at(const std::string &name) const;
  void set(const std::string &name, Tensor value);
  const std::map<std::string, Tensor> &all() const { return tensors_; }

  /// The state tensors of `graph`, in graph.states() order.
  std::vector<Tensor> gather(const Graph &graph) const;

private:
  std::map<std::string, Tensor> tensors_;
};

/// True for state that belongs to the model (PyTorch's state_dict: parameters and
/// buffers), false for training machinery (optimizer moments, the step counter).
bool isModelState(const std::string &name);

} // namespace kiln
