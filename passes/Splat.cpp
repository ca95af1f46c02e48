#include "kiln/passes/Splat.h"

#include <algorithm>
#include <cmath>

namespace kiln {

Attrs splatAttrs(const Type &type, double value) {
  return Attrs{{"dtype", std::string(dtypeName(type.dtype))},
               {"shape", std::vector<int64_t>(type.shape)},
               {"value", value}};
}

bool isSplatConstant(const Node &node) {
  return node.op == OpKind::Constant && !node.attrs.has("data");
}

std::optional<double> splatValue(const Graph &graph, ValueId v) {
  // Layout ops move elements around without changing them: look through them.
  while (graph.node(v).op == OpKind::Broadcast || graph.node(v).op == OpKind::Reshape ||
         graph.node(v).op == OpKind::Transpose)
    v = graph.node(v).operands[0];
  const Node &node = graph.node(v);
  if (node.op != OpKind::Constant)
    return std::nullopt;
  if (!node.attrs.has("data"))
    return node.attrs.getFloat("value");
  std::vector<double> data = node.attrs.getFloats("data");
  if (data.empty())
    return std::nullopt;
  // Bitwise-equal elements only: 0.0 and -0.0 are different splats, and NaN equals NaN.
  auto same = [&](double x) {
    return std::signbit(x) == std::signbit(data[0]) &&
           (x == data[0] || (std::isnan(x) && std::isnan(data[0])));
  };
  if (std::all_of(data.begin(), data.end(), same))
    return data[0];
  return std::nullopt;
}

} // namespace kiln
