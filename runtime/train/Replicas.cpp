#include "kiln/runtime/train/Replicas.h"

#include "kiln/ir/Printer.h"
#include "kiln/runtime/Communicator.h"
#include "kiln/runtime/dist/ProcessGroup.h"

#include <string_view>

namespace kiln {

namespace {

struct Fnv1a {
  uint64_t hash = 0xcbf29ce484222325ull;
  void add(const void *data, size_t bytes) {
    for (const auto *p = static_cast<const unsigned char *>(data); bytes--; ++p)
      hash = (hash ^ *p) * 0x100000001b3ull;
  }
  void add(std::string_view text) { add(text.data(), text.size() + 1); }
};

} // namespace

uint64_t stateFingerprint(const ParamStore &store) {
  Fnv1a h;
  for (const auto &[name, tensor] : store.all()) {
    h.add(name);
    h.add(tensor.type().str());
    h.add(tensor.raw(), tensor.byteSize());
  }
  return h.hash;
}

uint64_t graphFingerprint(const Graph &graph) {
  Fnv1a h;
  h.add(printGraph(graph));
  return h.hash;
}

void alignReplicas(const Graph &graph, ParamStore &store, const std::string &when) {
  Communicator &group = communicator();
  if (group.size() == 1)
    return;
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    if (node.attrs.getBool("trainable", false) || !isModelState(node.name))
      continue;
    Tensor copy = store.at(node.name).clone();
    group.broadcast(copy.raw(), copy.byteSize(), 0);
    store.set(node.name, std::move(copy));
  }
  requireSameOnEveryRank(stateFingerprint(store), "the model and optimizer state " + when);
}

} // namespace kiln
