// A model graph replayed at another batch size.
//
// rebatch replays the graph node by node: the input gets the new batch, `shape` (and a
// slice's `start` and `limit`) along a batch dimension is scaled, and the shape rules
// give every type; each type is checked against the source's with its batch scaled.
#include "kiln/frontend/Rebatch.h"

#include "kiln/ir/OpAttrs.h"

namespace kiln {

namespace {

using Dims = std::vector<std::optional<BatchDim>>;

/// `shape` with dimension `d.axis` (batch x the rest of it at `from`) made for `to`.
std::vector<int64_t> scaled(std::vector<int64_t> shape, const BatchDim &d, int64_t from,
                            int64_t to) {
  int64_t &size = shape.at(static_cast<size_t>(d.axis));
  size = size / from * to;
  return shape;
}

/// `node`'s attributes at batch `to`: the `shape` of a value holding the batch, and the
/// bounds of a slice along the batch.
Attrs rebatchAttrs(const Node &node, const std::optional<BatchDim> &d,
                   const std::optional<BatchDim> &operand, int64_t from, int64_t to) {
  Attrs attrs = node.attrs;
  if (!d)
    return attrs;
  if (attrs.has("shape"))
    attrs.set("shape", scaled(attrs.getInts("shape"), *d, from, to));
  if (node.op == OpKind::Slice && operand) {
    SliceAttrs s = sliceAttrs(node.attrs);
    attrs.set("start", scaled(s.start, *operand, from, to));
    attrs.set("limit", scaled(s.limit, *operand, from, to));
  }
  return attrs;
}

} // namespace

Rebatched rebatch(const Graph &source, ValueId input, int64_t batch, std::string name,
                  bool keepUpdates) {
  const int64_t from = source.type(input).shape.at(0);
  BatchLayout layout =
      batch == from ? BatchLayout{Dims(source.size()), {}} : batchLayout(source, input);
  const Dims &dims = layout.dims;
  Rebatched out{Graph(std::move(name)), std::vector<ValueId>(source.size(), -1)};
  Graph &graph = out.graph;
  for (size_t i = 0; i < source.size(); ++i) {
    const Node &node = source.nodes()[i];
    const ValueId id = static_cast<ValueId>(i);
    Type expected = node.type;
    if (dims[i])
      expected.shape = scaled(expected.shape, *dims[i], from, batch);
    std::vector<ValueId> operands;
    try {
      for (ValueId operand : node.operands) {
        ValueId mapped = out.map[static_cast<size_t>(operand)];
        auto shared = layout.broadcasts.find({id, operand});
        if (shared != layout.broadcasts.end()) {
          const Type &t = source.type(operand);
          std::vector<int64_t> all(t.shape.size());
          for (size_t d = 0; d < all.size(); ++d)
            all[d] = static_cast<int64_t>(d);
          mapped = graph.add(
              OpKind::Broadcast, {mapped},
              {{"dims", all}, {"shape", scaled(t.shape, shared->second, from, batch)}}, node.scope);
        }
        operands.push_back(mapped);
      }
      switch (node.op) {
      case OpKind::Input:
        out.map[i] = graph.addInput(node.name, expected, node.scope);
        break;
      case OpKind::State:
        out.map[i] = graph.addState(node.name, node.type, node.attrs, node.scope);
        break;
      default: {
        std::optional<BatchDim> operand;
        if (!node.operands.empty())
          operand = dims[static_cast<size_t>(node.operands[0])];
        out.map[i] = graph.add(node.op, std::move(operands),
                               rebatchAttrs(node, dims[i], operand, from, batch), node.scope);
      }
      }
    } catch (const RebatchError &) {
      throw;
    } catch (const Error &e) {
      throw RebatchError(id, e.what());
    }
    if (graph.type(out.map[i]) != expected)
      throw RebatchError(id,
                         fmt::format("{}{}{}: gives {}, not {} (its type at batch {} with "
                                     "the batch scaled)",
                                     mnemonic(node.op), node.scope.empty() ? "" : " @", node.scope,
                                     graph.type(out.map[i]).str(), expected.str(), from));
  }
  if (keepUpdates)
    for (const Update &u : source.updates())
      try {
        graph.addUpdate(out.map[static_cast<size_t>(u.state)],
                        out.map[static_cast<size_t>(u.value)]);
      } catch (const Error &e) {
        throw RebatchError(u.value, e.what());
      }
  return out;
}

} // namespace kiln
