#include "kiln/ir/Printer.h"

#include <fmt/format.h>

namespace kiln {

std::string printGraph(const Graph &graph) {
  std::vector<std::string> names(graph.size());
  std::string out = fmt::format("graph @{} {{\n", graph.name());

  auto suffix = [](const Node &n) {
    std::string s;
    std::string attrs = formatAttrs(n.attrs);
    if (!attrs.empty())
      s += " " + attrs;
    if (!n.scope.empty())
      s += " @" + n.scope;
    return s;
  };

  for (size_t i = 0; i < graph.size(); ++i) {
    const Node &n = graph.nodes()[i];
    if (n.op != OpKind::Input && n.op != OpKind::State)
      continue;
    names[i] = "%" + n.name;
    out += fmt::format("  {} %{} : {}{}\n", mnemonic(n.op), n.name, n.type.str(),
                       n.op == OpKind::State ? suffix(n) : (n.scope.empty() ? "" : " @" + n.scope));
  }

  int counter = 0;
  for (size_t i = 0; i < graph.size(); ++i) {
    const Node &n = graph.nodes()[i];
    if (n.op == OpKind::Input || n.op == OpKind::State)
      continue;
    names[i] = "%" + std::to_string(counter++);
    std::string operands;
    for (size_t k = 0; k < n.operands.size(); ++k)
      operands += (k ? ", " : "") + names[static_cast<size_t>(n.operands[k])];
    out += fmt::format("  {} = {}({}){} : {}", names[i], mnemonic(n.op), operands,
                       n.attrs.empty() ? "" : " " + formatAttrs(n.attrs), n.type.str());
    out += n.scope.empty() ? "\n" : " @" + n.scope + "\n";
  }

  for (const Output &o : graph.outputs())
    out += fmt::format("  output {} = {}\n", o.name, names[static_cast<size_t>(o.value)]);
  for (const Update &u : graph.updates())
    out += fmt::format("  update {} <- {}\n", names[static_cast<size_t>(u.state)],
                       names[static_cast<size_t>(u.value)]);
  return out + "}\n";
}

} // namespace kiln
