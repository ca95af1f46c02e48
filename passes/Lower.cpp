// lower: the kernel program from a graph and its fusion plan.
//
// Algorithm:
//   1. One buffer per input and state, in graph order (the calling convention).
//   2. For each group in order: its inputs are the operands of its members that are not
//      members (each a buffer: an argument, constant data, or a value an earlier group
//      wrote); its body is the members in graph order with operands renumbered to
//      locals; its outputs are the members whose home is this group, each getting a new
//      buffer (Output for graph outputs and new state values, Temporary otherwise).
//      A member the kernel itself reads back from memory (step 2b, storedInKernel) gets
//      a buffer of its own too, written and read by that kernel only.
//   3. Outputs and updates refer to the buffers of their values.
#include "kiln/passes/Lower.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/GraphView.h"
#include "kiln/ir/ShapeRules.h"
#include "kiln/passes/FusionRules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <set>

namespace kiln {

namespace {

class Lowering {
public:
  Lowering(const Graph &graph, const FusionPlan &plan)
      : g_(graph), plan_(plan), names_(printedNames(graph)), bufferOf_(graph.size(), -1),
        result_(graph.size(), false), users_(graph.size()) {
    for (size_t i = 0; i < g_.size(); ++i)
      for (ValueId o : g_.node(static_cast<ValueId>(i)).operands)
        users_[o].push_back(static_cast<ValueId>(i));
    for (const Output &o : g_.outputs())
      result_[o.value] = true;
    for (const Update &u : g_.updates())
      result_[u.value] = true;
  }

  KernelProgram run() {
    p_.name = g_.name();
    for (size_t i = 0; i < g_.size(); ++i) {
      const Node &node = g_.node(static_cast<ValueId>(i));
      if (node.op == OpKind::Input || node.op == OpKind::State)
        newBuffer(static_cast<ValueId>(i),
                  node.op == OpKind::Input ? BufferKind::Input : BufferKind::State);
    }
    for (size_t k = 0; k < plan_.groups.size(); ++k)
      lowerGroup(static_cast<int>(k));
    for (const Output &o : g_.outputs())
      p_.outputs.push_back({o.name, bufferFor(o.value)});
    for (const Update &u : g_.updates())
      p_.updates.push_back({bufferOf_[u.state], bufferFor(u.value)});
    for (const Node &node : g_.nodes())
      p_.graphComputations += node.op != OpKind::Input && node.op != OpKind::State;
    return std::move(p_);
  }

private:
  BufferId newBuffer(ValueId v, BufferKind kind) {
    const Node &node = g_.node(v);
    std::string name = names_[v].substr(1); // printed names start with '%'
    Attrs data = kind == BufferKind::Constant ? node.attrs : Attrs{};
    p_.buffers.push_back({std::move(name), node.type, kind, v, std::move(data)});
    bufferOf_[v] = static_cast<BufferId>(p_.buffers.size() - 1);
    return bufferOf_[v];
  }

  /// The buffer holding v for a reader outside v's group.
  BufferId bufferFor(ValueId v) {
    if (bufferOf_[v] >= 0)
      return bufferOf_[v];
    if (fusion::nodeClass(g_.node(v)) == fusion::NodeClass::ConstantData)
      return newBuffer(v, BufferKind::Constant);
    fail("internal error: lowering @{}: value {} is read before a kernel writes it", g_.name(),
         names_[v]);
  }

  /// A buffer that only its kernel writes and reads (bufferOf_ keeps the value's buffer
  /// for other kernels, if it has one).
  BufferId kernelLocalBuffer(ValueId v, int kernel) {
    BufferId saved = bufferOf_[v];
    BufferId b = newBuffer(v, BufferKind::Temporary);
    // The value's own buffer (or another kernel's copy) keeps the plain name.
    if (saved >= 0 || plan_.home[v] >= 0 || !localNames_.insert(p_.buffers[b].name).second)
      p_.buffers[b].name += fmt::format(".k{}", kernel);
    bufferOf_[v] = saved;
    return b;
  }

  /// Step 2b: whether a member is read from memory by the later steps of its own kernel,
  /// so the kernel needs its buffer even when no other kernel reads it. A kernel runs in
  /// loops over memory: each reduction and contraction result, each concat (copied part
  /// by part), the operands a contraction or window op takes as whole arrays (but a
  /// reshape of another kernel's buffer, which is that buffer), what a
  /// reshape re-indexes (the element order cannot be followed through an expression,
  /// unless the reshape only adds or drops dimensions of size 1),
  /// and a row value broadcast back over the rows (computed once per row, not per
  /// element).
  bool storedInKernel(const FusionGroup &group, ValueId m) const {
    auto member = [&](ValueId v) {
      return std::binary_search(group.members.begin(), group.members.end(), v);
    };
    const Node &node = g_.node(m);
    switch (fusion::nodeClass(node)) {
    case fusion::NodeClass::Reduction:
    case fusion::NodeClass::Contraction:
    case fusion::NodeClass::Window:
    case fusion::NodeClass::Collective:
      return true;
    default:
      break;
    }
    if (node.op == OpKind::Concat)
      return true;
    bool splat = node.op == OpKind::Constant;
    for (ValueId user : users_[m]) {
      if (!member(user))
        continue;
      const Node &u = g_.node(user);
      fusion::NodeClass uc = fusion::nodeClass(u);
      // A reshape of another kernel's buffer is that buffer, re-indexed.
      bool view = node.op == OpKind::Reshape && !member(node.operands[0]);
      if ((uc == fusion::NodeClass::Contraction || uc == fusion::NodeClass::Window) && !view)
        return true;
      if (u.op == OpKind::Reshape && !splat && !onlyUnitDims(node.type.shape, u.type.shape))
        return true;
      if (u.op == OpKind::Broadcast && group.kind == KernelKind::Reduction &&
          fusion::nodeClass(node) == fusion::NodeClass::Elementwise)
        return true;
    }
    return false;
  }

  void lowerGroup(int index) {
    const FusionGroup &group = plan_.groups[index];
    Kernel k;
    const Node &main = g_.node(group.main);
    k.name = main.scope.empty() ? std::string(mnemonic(main.op)) : main.scope;
    k.kind = group.kind;
    k.space = group.space;
    k.axes = group.axes;
    auto member = [&](ValueId v) {
      return std::binary_search(group.members.begin(), group.members.end(), v);
    };
    for (ValueId m : group.members)
      for (ValueId o : g_.node(m).operands)
        if (!member(o)) {
          BufferId b = bufferFor(o);
          if (std::find(k.inputs.begin(), k.inputs.end(), b) == k.inputs.end())
            k.inputs.push_back(b);
        }
    std::vector<int32_t> local(g_.size(), -1);
    for (ValueId m : group.members) {
      Node node = g_.node(m);
      for (ValueId &o : node.operands) {
        if (member(o)) {
          o = local[o];
        } else {
          auto it = std::find(k.inputs.begin(), k.inputs.end(), bufferOf_[o]);
          o = static_cast<ValueId>(it - k.inputs.begin());
        }
      }
      local[m] = static_cast<int32_t>(k.inputs.size() + k.body.size());
      k.body.push_back(std::move(node));
      k.values.push_back(m);
    }
    for (ValueId m : group.members)
      if (plan_.home[m] == index)
        k.outputs.push_back(
            {local[m], newBuffer(m, result_[m] ? BufferKind::Output : BufferKind::Temporary)});
      else if (storedInKernel(group, m))
        k.outputs.push_back({local[m], kernelLocalBuffer(m, index)});
    assert(!k.outputs.empty() && "lowering: a kernel that writes nothing");
    p_.kernels.push_back(std::move(k));
  }

  const Graph &g_;
  const FusionPlan &plan_;
  std::vector<std::string> names_;
  std::vector<BufferId> bufferOf_;
  std::vector<bool> result_;
  std::vector<std::vector<ValueId>> users_;
  std::set<std::string> localNames_;
  KernelProgram p_;
};

} // namespace

KernelProgram lowerToProgram(const Graph &graph, const FusionPlan &plan) {
  return Lowering(graph, plan).run();
}

KernelProgram lowerGraph(const Graph &graph, Statistics *stats) {
  Statistics local;
  PassContext context(stats ? *stats : local, "fuse");
  FusionPlan plan = planFusion(graph, &context);
  return lowerToProgram(graph, plan);
}

} // namespace kiln
