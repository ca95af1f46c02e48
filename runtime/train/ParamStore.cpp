#include "kiln/runtime/train/ParamStore.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/Init.h"

namespace kiln {

void ParamStore::bind(const Graph &graph, uint64_t seed) {
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    auto it = tensors_.find(node.name);
    if (it == tensors_.end())
      tensors_.emplace(node.name, initialState(graph, id, seed));
    else if (it->second.type() != node.type)
      fail("state '{}' is {} but graph '{}' expects {}", node.name, it->second.type().str(),
           graph.name(), node.type.str());
  }
}

const Tensor &ParamStore::at(const std::string &name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    fail("no state named '{}'", name);
  return it->second;
}

void ParamStore::set(const std::string &name, Tensor value) {
  tensors_.insert_or_assign(name, std::move(value));
}

std::vector<Tensor> ParamStore::gather(const Graph &graph) const {
  std::vector<Tensor> out;
  for (ValueId id : graph.states())
    out.push_back(at(graph.node(id).name));
  return out;
}

bool isModelState(const std::string &name) {
  return name != "step" && name.rfind("optim.", 0) != 0;
}

} // namespace kiln
