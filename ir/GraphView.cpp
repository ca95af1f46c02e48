#include "kiln/ir/GraphView.h"

#include "kiln/ir/Error.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/graphviz.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <iterator>
#include <map>

namespace kiln {

namespace {

using OperandGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<OperandGraph>::vertex_descriptor;
using Edge = boost::graph_traits<OperandGraph>::edge_descriptor;

/// One vertex per value, one edge operand -> user per operand.
OperandGraph operandGraph(const Graph &graph) {
  OperandGraph g(graph.size());
  for (size_t user = 0; user < graph.size(); ++user)
    for (ValueId operand : graph.nodes()[user].operands) {
      if (operand < 0 || static_cast<size_t>(operand) >= graph.size())
        fail("node {} ({}) has operand {} out of range (the graph has {} values)", user,
             mnemonic(graph.nodes()[user].op), operand, graph.size());
      boost::add_edge(static_cast<Vertex>(operand), user, g);
    }
  return g;
}

struct CycleFound {};

/// Records the DFS tree; at the first back edge u -> v (v an ancestor of u), the cycle
/// is the tree path v ... u, and the search stops.
class CycleRecorder : public boost::default_dfs_visitor {
public:
  CycleRecorder(std::vector<Vertex> &parent, std::vector<ValueId> &cycle)
      : parent_(&parent), cycle_(&cycle) {}

  void tree_edge(Edge e, const OperandGraph &g) {
    (*parent_)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(Edge e, const OperandGraph &g) {
    Vertex ancestor = boost::target(e, g);
    for (Vertex v = boost::source(e, g); v != ancestor; v = (*parent_)[v])
      cycle_->push_back(static_cast<ValueId>(v));
    cycle_->push_back(static_cast<ValueId>(ancestor));
    std::reverse(cycle_->begin(), cycle_->end());
    throw CycleFound{};
  }

private:
  std::vector<Vertex> *parent_;
  std::vector<ValueId> *cycle_;
};

std::string cycleText(const std::vector<std::string> &names, const std::vector<ValueId> &cycle) {
  std::string s;
  for (ValueId v : cycle)
    s += names[static_cast<size_t>(v)] + " -> ";
  return s + names[static_cast<size_t>(cycle.front())];
}

/// A string as the inside of a dot "..." literal.
std::string dotEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

} // namespace

std::vector<std::string> printedNames(const Graph &graph) {
  std::vector<std::string> names(graph.size());
  int counter = 0;
  for (size_t i = 0; i < graph.size(); ++i) {
    const Node &n = graph.nodes()[i];
    bool named = n.op == OpKind::Input || n.op == OpKind::State;
    names[i] = "%" + (named ? n.name : std::to_string(counter++));
  }
  return names;
}

std::vector<ValueId> findCycle(const Graph &graph) {
  OperandGraph g = operandGraph(graph);
  std::vector<Vertex> parent(graph.size());
  std::vector<ValueId> cycle;
  try {
    boost::depth_first_search(g, boost::visitor(CycleRecorder(parent, cycle)));
  } catch (const CycleFound &) {
  }
  return cycle;
}

std::vector<ValueId> topologicalOrder(const Graph &graph) {
  OperandGraph g = operandGraph(graph);
  std::vector<Vertex> reversed;
  try {
    boost::topological_sort(g, std::back_inserter(reversed));
  } catch (const boost::not_a_dag &) {
    std::vector<ValueId> cycle = findCycle(graph);
    fail("the graph has a cycle: {}", cycleText(printedNames(graph), cycle));
  }
  return std::vector<ValueId>(reversed.rbegin(), reversed.rend());
}

namespace {

struct DotEdge {
  bool update = false;
};
using DotGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, DotEdge>;

} // namespace

void writeDot(std::ostream &os, const Graph &graph) {
  std::vector<std::string> names = printedNames(graph);
  size_t numValues = graph.size();
  DotGraph g(numValues + graph.outputs().size());
  for (size_t user = 0; user < numValues; ++user)
    for (ValueId operand : graph.nodes()[user].operands)
      if (operand >= 0 && static_cast<size_t>(operand) < numValues) // drawn even if invalid
        boost::add_edge(static_cast<size_t>(operand), user, g);
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    ValueId v = graph.outputs()[i].value;
    if (v >= 0 && static_cast<size_t>(v) < numValues)
      boost::add_edge(static_cast<size_t>(v), numValues + i, g);
  }
  for (const Update &u : graph.updates())
    if (std::max(u.state, u.value) < static_cast<ValueId>(numValues) &&
        std::min(u.state, u.value) >= 0)
      boost::add_edge(static_cast<size_t>(u.value), static_cast<size_t>(u.state),
                      DotEdge{/*update=*/true}, g);

  auto vertexWriter = [&](std::ostream &out, size_t v) {
    if (v >= numValues) {
      out << "[shape=house, style=bold, label=\"output "
          << dotEscape(graph.outputs()[v - numValues].name) << "\"]";
      return;
    }
    const Node &n = graph.nodes()[v];
    const char *shape = n.op == OpKind::Input   ? "shape=invhouse"
                        : n.op == OpKind::State ? "shape=cylinder"
                                                : "shape=box, style=rounded";
    // Escaped piecewise so that the separator stays dot's line break.
    std::string escaped =
        dotEscape(names[v] + " = " + std::string(mnemonic(n.op)) + " : " + n.type.str());
    if (!n.scope.empty())
      escaped += "\\n@" + dotEscape(n.scope);
    out << "[" << shape << ", label=\"" << escaped << "\"]";
  };
  auto edgeWriter = [&](std::ostream &out, const auto &e) {
    if (g[e].update)
      out << "[style=dashed, constraint=false, label=\"update\"]";
  };
  auto graphWriter = [&](std::ostream &out) {
    out << "label=\"graph @" << dotEscape(graph.name()) << "\";\n";
    out << "node [fontname=\"monospace\"];\n";
    // One cluster per top-level scope ("fc1" for "fc1/relu"). Dot lets a subgraph name
    // its vertices before write_graphviz defines them below.
    std::map<std::string, std::vector<size_t>> clusters;
    for (size_t v = 0; v < numValues; ++v) {
      const std::string &scope = graph.nodes()[v].scope;
      if (!scope.empty())
        clusters[scope.substr(0, scope.find('/'))].push_back(v);
    }
    for (const auto &[top, members] : clusters) {
      out << "subgraph \"cluster_" << dotEscape(top) << "\" {\nlabel=\"" << dotEscape(top)
          << "\";\n";
      for (size_t v : members)
        out << v << ";\n";
      out << "}\n";
    }
  };
  // GCC 12 warns that Boost 1.74's edge iterator (a boost::optional) "may be used
  // uninitialized" once inlined here; it is initialized before use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  boost::write_graphviz(os, g, vertexWriter, edgeWriter, graphWriter);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
}

} // namespace kiln
