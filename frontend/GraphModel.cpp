// A graph model is rebuilt for every batch size by replaying its graph node by node
// into a new graph: the input gets the new batch, every other type comes from the
// shape rules again. The batch also sits in the attributes that spell out shapes
// (broadcast, reshape, constant, iota and random_uniform's `shape`, slice's `limit`):
// there, a leading dimension equal to the file's batch is the batch. The replayed graph
// is checked by the same shape rules, so a file whose shapes cannot follow the batch
// fails with the node that does not fit.
#include "kiln/frontend/GraphModel.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Verifier.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace kiln {

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("{}: cannot open the model file", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The one input and the one output a model graph must have.
struct Signature {
  ValueId input;
  ValueId output;
};

Signature checkSignature(const std::string &path, const Graph &graph) {
  std::vector<ValueId> inputs = graph.inputs();
  if (inputs.size() != 1)
    fail("{}: graph @{} has {} inputs; a model has one, the examples f32[batch, ...]", path,
         graph.name(), inputs.size());
  const Type &x = graph.type(inputs[0]);
  if (x.dtype != DType::F32 || x.rank() < 2)
    fail("{}: graph @{}: the input %{} is {}; a model takes examples f32[batch, ...]", path,
         graph.name(), graph.node(inputs[0]).name, x.str());
  if (graph.outputs().size() != 1)
    fail("{}: graph @{} has {} outputs; a model has one, the logits f32[batch, classes]", path,
         graph.name(), graph.outputs().size());
  const Type &out = graph.type(graph.outputs()[0].value);
  if (out.dtype != DType::F32 || out.rank() != 2 || out.shape[0] != x.shape[0] || out.shape[1] < 2)
    fail("{}: graph @{}: the output is {}; a classifier gives f32[{}, classes >= 2]", path,
         graph.name(), out.str(), x.shape[0]);
  return {inputs[0], graph.outputs()[0].value};
}

/// The eval-mode graph must be the same model: the same input, output and states.
void checkSameModel(const std::string &path, const Graph &train, const Graph &eval) {
  Signature a = checkSignature(path, train), b = checkSignature(path, eval);
  if (train.type(a.input) != eval.type(b.input) || train.type(a.output) != eval.type(b.output))
    fail("{}: the eval-mode graph @{} takes {} and gives {}; the forward graph @{} {} and {}", path,
         eval.name(), eval.type(b.input).str(), eval.type(b.output).str(), train.name(),
         train.type(a.input).str(), train.type(a.output).str());
  for (ValueId id : eval.states()) {
    const Node &state = eval.node(id);
    std::optional<ValueId> twin = train.findNamed(state.name);
    if (!twin || train.type(*twin) != state.type)
      fail("{}: state %{} : {} of the eval-mode graph @{} is not a state of the forward graph "
           "@{}",
           path, state.name, state.type.str(), eval.name(), train.name());
  }
  if (!eval.updates().empty())
    fail("{}: the eval-mode graph @{} updates state; evaluation changes nothing", path,
         eval.name());
}

/// Which values of `graph` lead with the batch (dimension 0 is the batch, or a whole
/// multiple of it, as in [batch * heads, ...]). The examples do; so does every value
/// computed from them along dimension 0; and so does a value spelled out with a leading
/// dimension that is a multiple of the batch (a constant, a broadcast splat of a bias to
/// [batch * steps, features]) when it meets one of
/// those in an elementwise op, together with whatever it was broadcast or reshaped
/// from, or when it is reduced over dimension 0. A channel count equal to the batch (icnn: 64
/// channels at batch 64) meets only per-channel values and keeps its size.
std::vector<bool> batchLeading(const Graph &graph, int64_t batch) {
  const size_t n = graph.size();
  enum class Lead { No, Yes, Maybe };
  std::vector<Lead> lead(n, Lead::No);
  std::vector<size_t> group(n); // union-find over values that must be rebatched together
  for (size_t i = 0; i < n; ++i)
    group[i] = i;
  auto find = [&](size_t v) {
    while (group[v] != v)
      v = group[v] = group[group[v]];
    return v;
  };
  std::vector<bool> forced(n, false);
  auto join = [&](size_t a, size_t b) {
    a = find(a), b = find(b);
    group[a] = b;
    forced[b] = forced[b] || forced[a];
  };
  auto leading = [&](const Node &node, std::string_view key) {
    return node.attrs.has(key) && !node.attrs.getInts(key).empty() &&
           node.attrs.getInts(key)[0] % batch == 0;
  };
  for (size_t i = 0; i < n; ++i) {
    const Node &node = graph.nodes()[i];
    auto from = [&](size_t k) { return lead[static_cast<size_t>(node.operands[k])]; };
    switch (opInfo(node.op).category) {
    case OpCategory::Source:
      if (node.op == OpKind::Input)
        lead[i] = Lead::Yes;
      else if (node.op != OpKind::State && leading(node, "shape"))
        lead[i] = Lead::Maybe;
      break;
    case OpCategory::Elementwise: {
      bool yes = false;
      for (size_t k = 0; k < node.operands.size(); ++k)
        yes = yes || from(k) == Lead::Yes;
      for (size_t k = 0; k < node.operands.size(); ++k)
        if (from(k) == Lead::Maybe) {
          join(static_cast<size_t>(node.operands[k]), i);
          lead[i] = Lead::Maybe;
        }
      if (yes) {
        lead[i] = Lead::Yes;
        forced[find(i)] = true;
      }
      break;
    }
    case OpCategory::Layout:
      if (node.operands.empty())
        break;
      if (node.op == OpKind::Concat && node.attrs.getInt("axis") != 0) {
        // Joined along another axis, the operands share dimension 0 (ViT's class token
        // broadcast to the batch, beside the patches).
        bool yes = false;
        for (size_t k = 0; k < node.operands.size(); ++k)
          yes = yes || from(k) == Lead::Yes;
        if (yes) {
          lead[i] = Lead::Yes;
          for (size_t k = 0; k < node.operands.size(); ++k)
            if (from(k) == Lead::Maybe)
              forced[find(static_cast<size_t>(node.operands[k]))] = true;
        }
        break;
      }
      if (from(0) == Lead::Yes) {
        bool kept = node.op != OpKind::Transpose || node.attrs.getInts("perm")[0] == 0;
        if (node.op == OpKind::Broadcast)
          kept = !node.attrs.getInts("dims").empty() && node.attrs.getInts("dims")[0] == 0;
        lead[i] = kept ? Lead::Yes : Lead::No;
      } else if (node.op == OpKind::Broadcast || node.op == OpKind::Reshape) {
        if (leading(node, "shape")) {
          lead[i] = Lead::Maybe;
          const Shape &operand = graph.type(node.operands[0]).shape;
          bool keepsAxis0 = node.op == OpKind::Reshape || (!node.attrs.getInts("dims").empty() &&
                                                           node.attrs.getInts("dims")[0] == 0);
          if (from(0) == Lead::Maybe && keepsAxis0 && !operand.empty() && operand[0] % batch == 0)
            join(static_cast<size_t>(node.operands[0]), i);
        }
      }
      break;
    case OpCategory::Reduction: {
      std::vector<int64_t> axes = reducedAxes(node);
      bool overBatch = std::find(axes.begin(), axes.end(), 0) != axes.end();
      if (from(0) == Lead::Yes && !overBatch)
        lead[i] = Lead::Yes;
      // A splat spelled with the batch and summed over it counts the batch (batch norm's
      // n in n / (n - 1)).
      if (from(0) == Lead::Maybe && overBatch)
        forced[find(static_cast<size_t>(node.operands[0]))] = true;
      break;
    }
    case OpCategory::Contraction:
    case OpCategory::Window:
      if (from(0) == Lead::Yes)
        lead[i] = Lead::Yes;
      break;
    }
  }
  std::vector<bool> result(n);
  for (size_t i = 0; i < n; ++i)
    result[i] = lead[i] == Lead::Yes || (lead[i] == Lead::Maybe && forced[find(i)]);
  return result;
}

/// `shape` with its leading dimension, k x `from`, made k x `to`.
std::vector<int64_t> rebatched(std::vector<int64_t> shape, int64_t from, int64_t to) {
  if (!shape.empty() && shape[0] % from == 0)
    shape[0] = shape[0] / from * to;
  return shape;
}

Attrs rebatchAttrs(const Node &node, int64_t from, int64_t to) {
  Attrs attrs = node.attrs;
  if (attrs.has("shape"))
    attrs.set("shape", rebatched(attrs.getInts("shape"), from, to));
  if (node.op == OpKind::Slice && attrs.has("limit"))
    attrs.set("limit", rebatched(attrs.getInts("limit"), from, to));
  return attrs;
}

/// `source` replayed at `batch` into a graph called `name`; updates are kept only when
/// training (an eval-mode replay of a single-graph file must not change state).
BuiltModel replay(const std::string &path, const Graph &source, int64_t batch, Mode mode,
                  const std::string &name) {
  Signature sig = checkSignature(path, source);
  const int64_t from = source.type(sig.input).shape[0];
  BuiltModel built{Graph(name), -1, -1, {}, {}};
  Graph &graph = built.graph;
  std::vector<bool> lead = batchLeading(source, from);
  std::vector<ValueId> map(source.size(), -1);
  for (size_t i = 0; i < source.size(); ++i) {
    const Node &node = source.nodes()[i];
    std::vector<ValueId> operands;
    for (ValueId operand : node.operands)
      operands.push_back(map[static_cast<size_t>(operand)]);
    try {
      switch (node.op) {
      case OpKind::Input:
        map[i] = graph.addInput(
            node.name, {node.type.dtype, rebatched(node.type.shape, from, batch)}, node.scope);
        break;
      case OpKind::State:
        map[i] = graph.addState(node.name, node.type, node.attrs, node.scope);
        (node.attrs.getBool("trainable", false) ? built.parameters : built.buffers)
            .push_back(map[i]);
        break;
      default:
        map[i] = graph.add(node.op, std::move(operands),
                           lead[i] ? rebatchAttrs(node, from, batch) : node.attrs, node.scope);
      }
    } catch (const Error &e) {
      fail("{}: graph @{} at batch {}: %{}: {}", path, source.name(), batch, i, e.what());
    }
  }
  if (mode == Mode::Train)
    for (const Update &u : source.updates())
      graph.addUpdate(map[static_cast<size_t>(u.state)], map[static_cast<size_t>(u.value)]);
  built.input = map[static_cast<size_t>(sig.input)];
  built.logits = map[static_cast<size_t>(sig.output)];
  return built;
}

} // namespace

bool isModelFile(std::string_view name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".kir";
}

ModelSpec graphModel(const std::string &path) {
  auto graphs = std::make_shared<std::vector<Graph>>(parseGraphs(readFile(path), path));
  if (graphs->size() > 2)
    fail("{}: {} graphs; a model file holds the forward graph and at most its eval-mode graph",
         path, graphs->size());
  for (const Graph &graph : *graphs)
    verify(graph);
  Signature sig = checkSignature(path, graphs->front());
  if (graphs->size() == 2)
    checkSameModel(path, graphs->front(), graphs->back());
  const Graph &forward = graphs->front();
  const Shape &x = forward.type(sig.input).shape;

  ModelSpec spec;
  spec.name = std::filesystem::path(path).stem().string();
  spec.description = "model file " + path;
  spec.sampleShape = Shape(x.begin() + 1, x.end());
  spec.numClasses = forward.type(sig.output).shape[1];
  spec.output = OutputKind::Logits;
  spec.build = [graphs, path, name = spec.name](int64_t batch, Mode mode) {
    const Graph &source = mode == Mode::Eval ? graphs->back() : graphs->front();
    return replay(path, source, batch, mode, name + (mode == Mode::Train ? ".forward" : ".eval"));
  };
  return spec;
}

ModelSpec resolveModel(const std::string &name) {
  return isModelFile(name) ? graphModel(name) : zooEntry(name);
}

} // namespace kiln
