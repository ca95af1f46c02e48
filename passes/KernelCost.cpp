// FLOP and byte counts of kernels (KernelCost.h).
#include "kiln/passes/KernelCost.h"

#include "kiln/ir/OpAttrs.h"

namespace kiln {

namespace {

double elements(const Type &t) { return double(t.numElements()); }

/// The multiply-adds behind one element of a convolution's `result`-side tensor `dy` or
/// `y`: the filter's per-output-channel volume, C/groups x KH x KW.
double filterVolume(const Shape &filter) { return double(filter[1] * filter[2] * filter[3]); }

} // namespace

double nodeFlops(const Node &node, const std::vector<Type> &in) {
  switch (opInfo(node.op).category) {
  case OpCategory::Source:
  case OpCategory::Layout:
  case OpCategory::Collective: // communication, not arithmetic
    return 0;
  case OpCategory::Elementwise:
    return elements(node.type);
  case OpCategory::Reduction:
    return elements(in[0]);
  case OpCategory::Contraction:
    switch (node.op) {
    case OpKind::Matmul: {
      const Shape &a = in[0].shape;
      int64_t depth = matmulAttrs(node.attrs).transposeA ? a[a.size() - 2] : a.back();
      return 2 * elements(node.type) * double(depth);
    }
    case OpKind::Conv2d: // y = conv(x, w)
      return 2 * elements(node.type) * filterVolume(in[1].shape);
    case OpKind::Conv2dInputGrad: // dx from (dy, w): the forward's work
      return 2 * elements(in[0]) * filterVolume(in[1].shape);
    case OpKind::Conv2dFilterGrad: // dw from (x, dy): the forward's work
      return 2 * elements(in[1]) * filterVolume(node.type.shape);
    default:
      break;
    }
    break;
  case OpCategory::Window: {
    WindowAttrs w = windowAttrs(node.attrs);
    double area = double(w.window[0] * w.window[1]);
    // The forward ops visit each window of the result; the gradients each window of dy.
    bool forward = node.op == OpKind::MaxPool2d || node.op == OpKind::AvgPool2d;
    return area * (forward ? elements(node.type) : elements(in.back()));
  }
  }
  return 0;
}

KernelCost kernelCost(const KernelProgram &program, const Kernel &kernel) {
  KernelCost cost;
  auto localType = [&](int32_t k) -> const Type & {
    size_t i = size_t(k);
    return i < kernel.inputs.size() ? program.buffers[size_t(kernel.inputs[i])].type
                                    : kernel.body[i - kernel.inputs.size()].type;
  };
  for (const Node &node : kernel.body) {
    std::vector<Type> operands;
    for (ValueId operand : node.operands)
      operands.push_back(localType(int32_t(operand)));
    cost.flops += nodeFlops(node, operands);
  }
  for (BufferId in : kernel.inputs)
    cost.bytes += double(program.buffers[size_t(in)].byteSize());
  for (const Kernel::Result &out : kernel.outputs)
    cost.bytes += double(program.buffers[size_t(out.buffer)].byteSize());
  return cost;
}

} // namespace kiln
