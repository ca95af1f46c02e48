// The invariants of a well-formed Graph. Passes run the verifier after every pass, so a
// pass that breaks the graph is caught where it did so, not in codegen.
#pragma once

#include "kiln/ir/Graph.h"

namespace kiln {

/// Checks, in this order, and throws kiln::Error for the first violation:
///  1. every operand refers to a node of the graph, and the operands form no cycle
///     (Boost.Graph depth-first search);
///  2. per node, in order: operands are defined before use (SSA order); inputs and
///     state have a printable name and no operands, inputs no attributes, and a type
///     with non-negative dimensions; computations have no name and the type their
///     shape rule gives (which first checks the attributes against the op's schema,
///     AttrSchema.h: no unknown key, no required one missing, none of the wrong type;
///     state is checked against its initializer's); scopes and attribute keys can be
///     printed and parsed back;
///  3. input and state names are unique;
///  4. outputs refer to values and have unique, printable names;
///  5. updates target state, with a value of the same type, each state at most once.
/// Node errors read "%N (op) @scope: problem", values named as printGraph names them.
void verify(const Graph &graph);

} // namespace kiln
