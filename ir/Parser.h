// Reads the textual form of a graph (the one ir/Printer.h writes) back into a Graph.
// Hand-written files may also number computations arbitrarily, interleave inputs and
// state with computations, and use `#` or `//` comments; each value must be defined
// exactly once, before its first use.
#pragma once

#include "kiln/ir/Graph.h"

#include <string_view>
#include <vector>

namespace kiln {

/// Parses one `graph @name { ... }`. Every problem — syntax, an unknown op or dtype, an
/// undefined or redefined value, an attribute the op does not take, lacks or has of
/// another type, a declared type that disagrees with the op's shape rule — throws
/// kiln::Error with the one-line message "FILE:LINE:COL: message".
/// For every graph g that verifies, printGraph(parseGraph(printGraph(g))) == printGraph(g).
Graph parseGraph(std::string_view text, std::string_view fileName = "<input>");

/// Parses a file of one or more graphs, one after the other (a model file holds its
/// train-mode and eval-mode forward graphs), with parseGraph's errors.
std::vector<Graph> parseGraphs(std::string_view text, std::string_view fileName = "<input>");

/// parseGraphs, also giving the line of the statement that defined each node:
/// lines[g][v] for value v of the g-th graph, so that later errors about a node can
/// point into the file.
std::vector<Graph> parseGraphs(std::string_view text, std::string_view fileName,
                               std::vector<std::vector<int64_t>> &lines);

} // namespace kiln
