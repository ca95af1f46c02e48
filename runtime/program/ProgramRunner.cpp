// ProgramRunner: the kernel program on the interpreter's kernels.
//
// Storage: with no plan every buffer is a Tensor. With a plan, arena buffers are byte
// ranges of one arena (filled with 0xFF, a NaN pattern, so reading bytes nobody wrote
// shows), and an in-place update's buffer is the state's storage; a kernel copies its
// inputs out of that storage, evaluates its body, and copies each output in.
#include "kiln/runtime/program/ProgramRunner.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/interp/Kernels.h"

#include <cstring>

namespace kiln {

ProgramRunner::ProgramRunner(const KernelProgram &program, const MemoryPlan *plan)
    : program_(program), plan_(plan), constants_(program.buffers.size()) {
  for (size_t b = 0; b < program.buffers.size(); ++b) {
    const Buffer &buffer = program.buffers[b];
    if (buffer.kind == BufferKind::Constant)
      constants_[b] = evalNode(Node{OpKind::Constant, {}, buffer.data, buffer.type, {}, {}}, {});
  }
}

namespace {

void checkArguments(const KernelProgram &p, const std::vector<BufferId> &ids,
                    std::span<const Tensor> given, const char *what) {
  if (given.size() != ids.size())
    fail("program @{} has {} {}s, got {} tensors", p.name, ids.size(), what, given.size());
  for (size_t i = 0; i < ids.size(); ++i)
    if (given[i].type() != p.buffers[ids[i]].type)
      fail("{} '{}' of program @{} expects {}, got {}", what, p.buffers[ids[i]].name, p.name,
           p.buffers[ids[i]].type.str(), given[i].type().str());
}

/// Where each buffer's value is: a tensor of its own, or bytes of the arena.
class Storage {
public:
  Storage(const KernelProgram &p, const MemoryPlan *plan) : p_(p), plan_(plan) {
    tensors_.resize(p.buffers.size());
    if (plan)
      arena_.assign(static_cast<size_t>(plan->arenaBytes), std::byte{0xFF});
  }

  Tensor &tensor(BufferId b) { return tensors_[b]; }

  Tensor read(BufferId b) const {
    const std::byte *bytes = location(b);
    if (!bytes)
      return tensors_[b];
    Tensor t = Tensor(p_.buffers[b].type);
    std::memcpy(t.raw(), bytes, t.byteSize());
    return t;
  }

  void write(BufferId b, const Tensor &value) {
    std::byte *bytes = location(b);
    if (!bytes) {
      tensors_[b] = value;
      return;
    }
    std::memcpy(bytes, value.raw(), value.byteSize());
  }

private:
  /// The bytes of an arena or in-place buffer; nullptr for one held as a tensor.
  std::byte *location(BufferId b) const {
    if (!plan_)
      return nullptr;
    const BufferPlacement &pl = plan_->placements[b];
    switch (pl.where) {
    case Placement::External:
    case Placement::Caller: // a tensor of its own here; the result is cloned out
      return nullptr;
    case Placement::Arena:
      return const_cast<std::byte *>(arena_.data()) + pl.offset;
    case Placement::InPlace: // over a state (a tensor here) or an arena buffer
      if (plan_->placements[pl.state].where == Placement::Arena)
        return location(pl.state);
      return const_cast<Tensor &>(tensors_[pl.state]).raw();
    }
    return nullptr;
  }

  const KernelProgram &p_;
  const MemoryPlan *plan_;
  std::vector<Tensor> tensors_;
  std::vector<std::byte> arena_;
};

} // namespace

ProgramRunner::Result ProgramRunner::run(std::span<const Tensor> inputs,
                                         std::span<const Tensor> state) const {
  const KernelProgram &p = program_;
  std::vector<BufferId> inputIds = p.inputBuffers(), stateIds = p.stateBuffers();
  checkArguments(p, inputIds, inputs, "input");
  checkArguments(p, stateIds, state, "state");
  Storage storage(p, plan_);
  for (size_t i = 0; i < inputIds.size(); ++i)
    storage.tensor(inputIds[i]) = inputs[i];
  // A copy: in-place updates write into the state's storage, never the caller's.
  for (size_t i = 0; i < stateIds.size(); ++i)
    storage.tensor(stateIds[i]) = state[i].clone();
  for (size_t b = 0; b < p.buffers.size(); ++b)
    if (p.buffers[b].kind == BufferKind::Constant)
      storage.tensor(static_cast<BufferId>(b)) = constants_[b];

  std::vector<Tensor> locals, operands;
  for (const Kernel &k : p.kernels) {
    locals.clear();
    for (BufferId b : k.inputs)
      locals.push_back(storage.read(b));
    for (const Node &node : k.body) {
      operands.clear();
      for (ValueId o : node.operands)
        operands.push_back(locals[static_cast<size_t>(o)]);
      locals.push_back(evalNode(node, operands));
    }
    for (const Kernel::Result &r : k.outputs)
      storage.write(r.buffer, locals[static_cast<size_t>(r.local)]);
  }

  Result result;
  for (const auto &o : p.outputs)
    result.outputs.push_back(storage.read(o.buffer).clone());
  for (const auto &u : p.updates)
    result.updates.push_back(storage.read(u.value).clone());
  return result;
}

} // namespace kiln
