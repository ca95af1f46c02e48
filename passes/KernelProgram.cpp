#include "kiln/passes/KernelProgram.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/ShapeRules.h"

#include <fmt/format.h>

#include <algorithm>

namespace kiln {

std::string_view bufferKindName(BufferKind kind) {
  switch (kind) {
  case BufferKind::Input:
    return "input";
  case BufferKind::State:
    return "state";
  case BufferKind::Output:
    return "output";
  case BufferKind::Temporary:
    return "temp";
  case BufferKind::Constant:
    return "constant";
  case BufferKind::Scratch:
    return "scratch";
  }
  return "?";
}

std::string_view kernelKindName(KernelKind kind) {
  switch (kind) {
  case KernelKind::Loop:
    return "loop";
  case KernelKind::Reduction:
    return "reduction";
  case KernelKind::Matmul:
    return "matmul";
  case KernelKind::Conv:
    return "conv";
  case KernelKind::Window:
    return "window";
  case KernelKind::Collective:
    return "collective";
  }
  return "?";
}

std::vector<std::vector<int32_t>> writePasses(const Kernel &k) {
  std::vector<int32_t> written;
  for (const Kernel::Result &r : k.outputs)
    written.push_back(r.local);
  std::sort(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end()), written.end());
  auto node = [&](int32_t local) -> const Node & { return k.body[local - k.inputs.size()]; };
  auto ownPass = [&](int32_t local) {
    OpCategory c = opInfo(node(local).op).category;
    return c == OpCategory::Reduction || c == OpCategory::Contraction ||
           c == OpCategory::Window || node(local).op == OpKind::Concat;
  };
  std::vector<std::vector<int32_t>> passes;
  for (int32_t local : written) {
    bool joins = !passes.empty() && !ownPass(local) && !ownPass(passes.back().front()) &&
                 node(passes.back().front()).type.shape == node(local).type.shape;
    if (joins)
      passes.back().push_back(local);
    else
      passes.push_back({local});
  }
  return passes;
}

std::vector<BufferId> KernelProgram::inputBuffers() const {
  std::vector<BufferId> ids;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].kind == BufferKind::Input)
      ids.push_back(static_cast<BufferId>(i));
  return ids;
}

std::vector<BufferId> KernelProgram::stateBuffers() const {
  std::vector<BufferId> ids;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].kind == BufferKind::State)
      ids.push_back(static_cast<BufferId>(i));
  return ids;
}

namespace {

std::string bufferRef(const KernelProgram &p, BufferId b) { return "%" + p.buffers[b].name; }

std::string localRef(const KernelProgram &p, const Kernel &k, int32_t local) {
  if (static_cast<size_t>(local) < k.inputs.size())
    return bufferRef(p, k.inputs[local]);
  return fmt::format("t{}", local - static_cast<int32_t>(k.inputs.size()));
}

std::string bufferList(const KernelProgram &p, const std::vector<BufferId> &ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? ", " : "") + bufferRef(p, ids[i]);
  return s;
}

} // namespace

std::string printProgram(const KernelProgram &p) {
  std::string s = fmt::format("program @{} {{\n", p.name);
  for (const Buffer &b : p.buffers) {
    s += fmt::format("  {} %{} : {}", bufferKindName(b.kind), b.name, b.type.str());
    if (b.kind == BufferKind::Constant)
      s += " " + formatAttrs(b.data);
    s += "\n";
  }
  for (const Kernel &k : p.kernels) {
    std::vector<BufferId> outs;
    for (const Kernel::Result &r : k.outputs)
      outs.push_back(r.buffer);
    std::string space = shapeStr(k.space);
    if (k.kind == KernelKind::Reduction)
      space += " over " + shapeStr(k.axes);
    std::string scratch =
        k.scratch.empty() ? "" : fmt::format(" scratch ({})", bufferList(p, k.scratch));
    s += fmt::format("  kernel {} = {} {} ({}) -> ({}){} {{\n", k.name.empty() ? "_" : k.name,
                     kernelKindName(k.kind), space, bufferList(p, k.inputs), bufferList(p, outs),
                     scratch);
    for (size_t i = 0; i < k.body.size(); ++i) {
      const Node &n = k.body[i];
      std::string operands;
      for (size_t j = 0; j < n.operands.size(); ++j)
        operands += (j ? ", " : "") + localRef(p, k, n.operands[j]);
      std::string attrs = formatAttrs(n.attrs);
      s += fmt::format("    t{} = {}({}){} : {}", i, mnemonic(n.op), operands,
                       attrs.empty() ? "" : " " + attrs, n.type.str());
      if (!n.scope.empty() && n.scope != k.name)
        s += " @" + n.scope;
      s += "\n";
    }
    for (const Kernel::Result &r : k.outputs)
      s += fmt::format("    {} = {}\n", bufferRef(p, r.buffer), localRef(p, k, r.local));
    s += "  }\n";
  }
  for (const auto &o : p.outputs)
    s += fmt::format("  output {} = {}\n", o.name, bufferRef(p, o.buffer));
  for (const auto &u : p.updates)
    s += fmt::format("  update {} <- {}\n", bufferRef(p, u.state), bufferRef(p, u.value));
  s += "}\n";
  return s;
}

void verifyProgram(const KernelProgram &p) {
  auto buffers = static_cast<BufferId>(p.buffers.size());
  auto checkBuffer = [&](BufferId b, const std::string &where) {
    if (b < 0 || b >= buffers)
      fail("{}: buffer #{} does not exist", where, b);
  };
  std::vector<int> writer(p.buffers.size(), -1), scratchOf(p.buffers.size(), -1);
  for (size_t ki = 0; ki < p.kernels.size(); ++ki) {
    const Kernel &k = p.kernels[ki];
    std::string where = fmt::format("kernel {} ({})", ki, k.name);
    for (BufferId b : k.scratch) {
      checkBuffer(b, where);
      if (p.buffers[b].kind != BufferKind::Scratch)
        fail("{}: uses {} buffer {} as scratch", where, bufferKindName(p.buffers[b].kind),
             bufferRef(p, b));
      if (scratchOf[b] >= 0)
        fail("{}: scratch {} is already kernel {}'s", where, bufferRef(p, b), scratchOf[b]);
      scratchOf[b] = static_cast<int>(ki);
    }
    for (BufferId b : k.inputs) {
      checkBuffer(b, where);
      BufferKind kind = p.buffers[b].kind;
      if (kind == BufferKind::Scratch)
        fail("{}: reads scratch buffer {}", where, bufferRef(p, b));
      if ((kind == BufferKind::Temporary || kind == BufferKind::Output) && writer[b] < 0)
        fail("{}: reads {} before any kernel writes it", where, bufferRef(p, b));
    }
    if (k.values.size() != k.body.size())
      fail("{}: {} body nodes but {} graph values", where, k.body.size(), k.values.size());
    for (size_t i = 0; i < k.body.size(); ++i) {
      const Node &n = k.body[i];
      std::vector<Type> types;
      for (int32_t operand : n.operands) {
        if (operand < 0 || static_cast<size_t>(operand) >= k.inputs.size() + i)
          fail("{}: t{} reads local {} that is not defined before it", where, i, operand);
        types.push_back(static_cast<size_t>(operand) < k.inputs.size()
                            ? p.buffers[k.inputs[operand]].type
                            : k.body[operand - k.inputs.size()].type);
      }
      if (n.op == OpKind::Input || n.op == OpKind::State)
        fail("{}: t{} is an {} node; arguments are buffers", where, i, mnemonic(n.op));
      Type t;
      try {
        t = inferType(n.op, types, n.attrs);
      } catch (const Error &e) {
        fail("{}: t{} = {}: {}", where, i, mnemonic(n.op), e.what());
      }
      if (t != n.type)
        fail("{}: t{} = {} gives {} but says {}", where, i, mnemonic(n.op), t.str(), n.type.str());
    }
    if (k.outputs.empty())
      fail("{}: writes no buffer", where);
    for (const Kernel::Result &r : k.outputs) {
      checkBuffer(r.buffer, where);
      const Buffer &b = p.buffers[r.buffer];
      if (r.local < static_cast<int32_t>(k.inputs.size()) ||
          static_cast<size_t>(r.local) >= k.numLocals())
        fail("{}: output {} is not a body node", where, bufferRef(p, r.buffer));
      if (b.kind != BufferKind::Temporary && b.kind != BufferKind::Output)
        fail("{}: writes {} buffer {}", where, bufferKindName(b.kind), bufferRef(p, r.buffer));
      if (writer[r.buffer] >= 0)
        fail("{}: {} is already written by kernel {}", where, bufferRef(p, r.buffer),
             writer[r.buffer]);
      if (k.body[r.local - k.inputs.size()].type != b.type)
        fail("{}: writes a {} into {} : {}", where, k.body[r.local - k.inputs.size()].type.str(),
             bufferRef(p, r.buffer), b.type.str());
      writer[r.buffer] = static_cast<int>(ki);
    }
  }
  for (size_t b = 0; b < p.buffers.size(); ++b) {
    BufferKind kind = p.buffers[b].kind;
    if ((kind == BufferKind::Temporary || kind == BufferKind::Output) && writer[b] < 0)
      fail("buffer {} is never written", bufferRef(p, static_cast<BufferId>(b)));
    if (kind == BufferKind::Scratch && scratchOf[b] < 0)
      fail("scratch buffer {} belongs to no kernel", bufferRef(p, static_cast<BufferId>(b)));
  }
  for (const auto &o : p.outputs)
    checkBuffer(o.buffer, "output " + o.name);
  for (const auto &u : p.updates) {
    checkBuffer(u.state, "update");
    checkBuffer(u.value, "update");
    if (p.buffers[u.state].kind != BufferKind::State)
      fail("update target {} is not state", bufferRef(p, u.state));
    if (p.buffers[u.state].type != p.buffers[u.value].type)
      fail("update of {} has type {}", bufferRef(p, u.state), p.buffers[u.value].type.str());
  }
}

} // namespace kiln
