// Rows come from runs of consecutive computations that share a scope ("conv1",
// "conv1/relu", "conv1/pool"), so a layer applied twice shows twice, as in torchsummary.
// A row's kind is its contraction or window op when it has one (the layer's work),
// otherwise its last op; its output is its last node's type. Parameters are counted on
// the first row of the scope that owns them.
#include "kiln/frontend/Summary.h"

#include <fmt/core.h>

#include <map>
#include <set>

namespace kiln {

namespace {

struct Row {
  std::string scope;
  std::string kind;
  Type output;
  int64_t parameters = 0;
  bool anchored = false; ///< kind is the row's contraction or window op
};

std::string megabytes(int64_t bytes) {
  return fmt::format("{:.2f}", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

} // namespace

std::string modelSummary(const ModelSpec &model, int64_t batch) {
  BuiltModel built = buildModel(model, batch, Mode::Eval);
  const Graph &graph = built.graph;
  std::map<std::string, int64_t> paramsOfScope;
  int64_t trainable = 0, buffers = 0, stateBytes = 0;
  for (ValueId id : graph.states()) {
    const Node &node = graph.node(id);
    int64_t n = node.type.numElements();
    stateBytes += n * static_cast<int64_t>(dtypeSize(node.type.dtype));
    if (node.attrs.getBool("trainable", false)) {
      trainable += n;
      paramsOfScope[node.scope] += n;
    } else {
      buffers += n;
    }
  }

  std::vector<Row> rows;
  std::set<std::string> counted;
  int64_t activationBytes = 0;
  for (const Node &node : graph.nodes()) {
    if (node.op == OpKind::Input || node.op == OpKind::State || node.op == OpKind::Constant)
      continue;
    if (rows.empty() || rows.back().scope != node.scope) {
      Row row{node.scope, std::string(mnemonic(node.op)), node.type, 0, false};
      if (counted.insert(node.scope).second)
        row.parameters = paramsOfScope[node.scope];
      rows.push_back(row);
    }
    Row &row = rows.back();
    bool anchor = isAnchor(node.op);
    if (anchor || !row.anchored)
      row.kind = std::string(mnemonic(node.op));
    row.anchored = row.anchored || anchor;
    row.output = node.type;
  }
  for (const Row &row : rows)
    activationBytes += row.output.numElements() * static_cast<int64_t>(dtypeSize(row.output.dtype));

  std::string text =
      fmt::format("{} ({}), batch {}\n", model.name,
                  model.description.empty() ? "no description" : model.description, batch);
  text += fmt::format("{:<22} {:<14} {:<22} {:>12}\n", "layer", "kind", "output", "parameters");
  text += std::string(73, '-') + "\n";
  text += fmt::format("{:<22} {:<14} {:<22} {:>12}\n", "(input)", "input",
                      graph.type(built.input).str(), 0);
  for (const Row &row : rows)
    text += fmt::format("{:<22} {:<14} {:<22} {:>12}\n", row.scope.empty() ? "(model)" : row.scope,
                        row.kind, row.output.str(), row.parameters);
  text += std::string(73, '-') + "\n";
  const int64_t inputBytes = graph.type(built.input).numElements() * 4;
  text += fmt::format("parameters: {} trainable, {} in buffers (running statistics, counters)\n",
                      trainable, buffers);
  text += fmt::format("memory (MB): input {}, layer outputs {}, parameters and buffers {}\n",
                      megabytes(inputBytes), megabytes(activationBytes), megabytes(stateBytes));
  return text;
}

} // namespace kiln
