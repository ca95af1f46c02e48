// evalNode: checks the operands against the node's shape rule, reads the op's
// attributes through the typed accessors the shape rules use (ir/OpAttrs.h), and calls
// the kernel family.
// This file holds the interpreter's one exhaustive switch over OpKind.
#include "kiln/runtime/interp/Kernels.h"

#include "kiln/ir/Error.h"
#include "kiln/ir/OpAttrs.h"
#include "kiln/ir/ShapeRules.h"
#include "kiln/runtime/interp/Dispatch.h"
#include "kiln/runtime/interp/KernelFamilies.h"

namespace kiln {

namespace {
using namespace interp;

std::string describe(const Node &node, std::span<const Tensor> operands) {
  std::string s = fmt::format("{}(", mnemonic(node.op));
  for (size_t i = 0; i < operands.size(); ++i)
    s += (i ? ", " : "") + operands[i].type().str();
  s += ")";
  if (!node.scope.empty())
    s = node.scope + ": " + s;
  return s;
}

/// Re-runs the shape rule so a kernel never sees operands it was not written for.
void checkOperands(const Node &node, std::span<const Tensor> operands) {
  std::vector<Type> types;
  for (const Tensor &t : operands) {
    if (!t.defined())
      fail("{}: an operand has no value", describe(node, operands));
    types.push_back(t.type());
  }
  Type inferred;
  try {
    inferred = inferType(node.op, types, node.attrs);
  } catch (const Error &e) {
    fail("{}: {}", describe(node, operands), e.what());
  }
  if (inferred != node.type)
    fail("{}: operands give {}, the node says {}", describe(node, operands), inferred.str(),
         node.type.str());
}

} // namespace

Tensor evalNode(const Node &node, std::span<const Tensor> in) {
  if (node.op == OpKind::Input || node.op == OpKind::State)
    fail("{} '{}' has no kernel: its value is an argument of the run", mnemonic(node.op),
         node.name);
  checkOperands(node, in);
  const Attrs &attrs = node.attrs;
  const Type &type = node.type;

  switch (node.op) {
  case OpKind::Input:
  case OpKind::State:
    break; // rejected above
  case OpKind::Constant:
    return constantKernel(type, attrs.has("data") ? attrs.getFloats("data") : std::vector<double>{},
                          attrs.getFloat("value", 0.0), attrs.has("data"));
  case OpKind::Iota:
    return iotaKernel(type, attrs.getInt("axis"));
  case OpKind::RandomUniform:
    return randomUniformKernel(type, attrs.getInt("seed"), attrs.getInt("offset", 0), in[0]);

#define ELEMENTWISE(Enum, ...) case OpKind::Enum:
#include "kiln/ir/Ops.def"
    return elementwiseKernel(*elementwiseOp(node.op), in, attrs, type);

  case OpKind::ReduceSum:
    return reduceKernel(ReduceOp::Sum, in[0], attrs.getInts("axes"), type);
  case OpKind::ReduceMax:
    return reduceKernel(ReduceOp::Max, in[0], attrs.getInts("axes"), type);
  case OpKind::ReduceMean:
    return reduceKernel(ReduceOp::Mean, in[0], attrs.getInts("axes"), type);
  case OpKind::Argmax:
    return argmaxKernel(in[0], attrs.getInt("axis"), type);

  case OpKind::Matmul: {
    MatmulAttrs m = matmulAttrs(attrs);
    return matmulKernel(in[0], in[1], m.transposeA, m.transposeB, type);
  }
  case OpKind::Conv2d:
    return conv2dKernel(in[0], in[1], convAttrs(attrs), type);
  case OpKind::Conv2dInputGrad:
    return conv2dInputGradKernel(in[0], in[1], convAttrs(attrs), type);
  case OpKind::Conv2dFilterGrad:
    return conv2dFilterGradKernel(in[0], in[1], convAttrs(attrs), type);

  case OpKind::MaxPool2d:
    return maxPool2dKernel(in[0], windowAttrs(attrs), type);
  case OpKind::MaxPool2dGrad:
    return maxPool2dGradKernel(in[0], in[1], windowAttrs(attrs));
  case OpKind::AvgPool2d:
    return avgPool2dKernel(in[0], windowAttrs(attrs), type);
  case OpKind::AvgPool2dGrad:
    return avgPool2dGradKernel(in[0], windowAttrs(attrs), type);

  case OpKind::Reshape:
    return reshapeKernel(in[0], type);
  case OpKind::Transpose:
    return transposeKernel(in[0], attrs.getInts("perm"), type);
  case OpKind::Broadcast:
    return broadcastKernel(in[0], attrs.getInts("dims"), type);
  case OpKind::Slice: {
    SliceAttrs s = sliceAttrs(attrs);
    return sliceKernel(in[0], s.start, s.stride, type);
  }
  case OpKind::Concat:
    return concatKernel(in, attrs.getInt("axis"), type);
  case OpKind::Pad: {
    PadAttrs p = padAttrs(attrs);
    return padKernel(in[0], p.low, p.value, type);
  }
  case OpKind::OneHot:
    return oneHotKernel(in[0], type);
  case OpKind::AllReduce:
    return allReduceKernel(in[0], attrs.getString("reduction") == "mean");
  }
  unreachable("unknown op");
}

} // namespace kiln
