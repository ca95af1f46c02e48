// A graph model is rebuilt for every batch size by replaying its graph at that batch
// (frontend/Rebatch: the input gets the new batch, every attribute that spells a
// dimension holding the batch is scaled, the shape rules give every type). A file whose
// graph cannot follow the batch fails with the file, the line and the node.
#include "kiln/frontend/GraphModel.h"

#include "kiln/frontend/Rebatch.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/ir/Verifier.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace kiln {

namespace {

std::string readFile(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    fail("{}: is a directory, not a model file", path);
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

/// A model file's graphs, with the line of each node's statement for errors.
struct ModelFile {
  std::string path;
  std::vector<Graph> graphs;
  std::vector<std::vector<int64_t>> lines;
};

/// `file`'s graph `g` replayed at `batch` into a graph called `name`; updates are kept
/// only when training (an eval-mode replay of a single-graph file must not change state).
/// A node that cannot follow the batch fails as "FILE:LINE: graph @g at batch N: ...".
BuiltModel replay(const ModelFile &file, size_t g, int64_t batch, Mode mode,
                  const std::string &name) {
  const Graph &source = file.graphs[g];
  Signature sig = checkSignature(file.path, source);
  Rebatched r;
  try {
    r = rebatch(source, sig.input, batch, name, mode == Mode::Train);
  } catch (const RebatchError &e) {
    fail("{}:{}: graph @{} at batch {}: {}", file.path,
         file.lines[g].at(static_cast<size_t>(e.node)), source.name(), batch, e.what());
  }
  BuiltModel built{std::move(r.graph), -1, -1, {}, {}};
  for (ValueId id : source.states())
    (source.node(id).attrs.getBool("trainable", false) ? built.parameters : built.buffers)
        .push_back(r.map[static_cast<size_t>(id)]);
  built.input = r.map[static_cast<size_t>(sig.input)];
  built.logits = r.map[static_cast<size_t>(sig.output)];
  return built;
}

} // namespace

bool isModelFile(std::string_view name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".kir";
}

ModelSpec graphModel(const std::string &path) { return graphModelText(readFile(path), path); }

ModelSpec graphModelText(std::string text, const std::string &path) {
  auto file = std::make_shared<ModelFile>();
  file->path = path;
  file->graphs = parseGraphs(text, path, file->lines);
  const std::vector<Graph> &graphs = file->graphs;
  if (graphs.size() > 2)
    fail("{}: {} graphs; a model file holds the forward graph and at most its eval-mode graph",
         path, graphs.size());
  for (const Graph &graph : graphs)
    verify(graph);
  Signature sig = checkSignature(path, graphs.front());
  if (graphs.size() == 2)
    checkSameModel(path, graphs.front(), graphs.back());
  const Graph &forward = graphs.front();
  const Shape &x = forward.type(sig.input).shape;

  ModelSpec spec;
  spec.name = std::filesystem::path(path).stem().string();
  spec.description = "model file " + path;
  spec.sampleShape = Shape(x.begin() + 1, x.end());
  spec.numClasses = forward.type(sig.output).shape[1];
  spec.output = OutputKind::Logits;
  spec.source = std::move(text);
  spec.build = [file, name = spec.name](int64_t batch, Mode mode) {
    size_t g = mode == Mode::Eval ? file->graphs.size() - 1 : 0;
    return replay(*file, g, batch, mode, name + (mode == Mode::Train ? ".forward" : ".eval"));
  };
  return spec;
}

ModelSpec resolveModel(const std::string &name) {
  return isModelFile(name) ? graphModel(name) : zooEntry(name);
}

} // namespace kiln
