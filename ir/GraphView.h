// A Boost.Graph view of a kiln Graph (DESIGN §9): values are vertices and each operand
// is an edge from the operand to its user. It gives the topological order, cycle
// detection for the verifier, and Graphviz output for `kiln ir --format dot`.
#pragma once

#include "kiln/ir/Graph.h"

#include <ostream>
#include <vector>

namespace kiln {

/// Every value once, each after all of its operands (Boost.Graph's topological_sort).
/// Throws kiln::Error if an operand is out of range or the operands form a cycle.
std::vector<ValueId> topologicalOrder(const Graph &graph);

/// A cycle among the operands, as values v0, v1, ..., vk where each is an operand of
/// the next and vk is an operand of v0; empty when there is none (found with a
/// depth-first search that stops at the first back edge). Throws kiln::Error if an
/// operand is out of range.
std::vector<ValueId> findCycle(const Graph &graph);

/// Writes the graph in Graphviz dot (boost::write_graphviz). Each value is a vertex
/// labelled "%N = op : type" and its scope, named as printGraph names it; inputs are
/// inverted houses, state cylinders, computations rounded boxes. Each output is an
/// extra "output name" vertex; each update a dashed "update" edge into its state. Values
/// are grouped in one cluster per top-level scope.
void writeDot(std::ostream &os, const Graph &graph);

/// The names printGraph gives the values: "%x" for inputs and state, "%0", "%1", ... for
/// computations in order. Used by the verifier and the dot writer so their messages
/// match a printed dump.
std::vector<std::string> printedNames(const Graph &graph);

} // namespace kiln
