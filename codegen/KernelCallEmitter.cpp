// emitKernelCall: contraction and window kernels as calls of libjit entries, one per
// work item, with every shape and stride a constant so that inlining specializes the
// libjit code to this graph; an all_reduce as one call that adds its operand to its
// bucket (runtime/BucketedAllReduce.h).
#include "kiln/codegen/EmitContext.h"
#include "kiln/ir/OpAttrs.h"

#include <cassert>

namespace kiln::codegen {

using namespace llvm;
using llvm::Type; // not kiln::Type

namespace {

class CallEmitter {
public:
  CallEmitter(EmitContext &ec, KernelFunction &kf, const Stage &kernel,
              const std::optional<Epilogue> &epilogue)
      : ec_(ec), kf_(kf), b_(kf.builder()), kernel_(kernel), node_(ec.graph.node(kernel.value)),
        dtype_(node_.type.dtype), epilogue_(epilogue) {
    kf.writes(kernel.value);
  }

  Value *constant(int64_t v) { return ConstantInt::get(ec_.i64(), v); }

  /// arena + scratchOffset + worker * scratchPerWorker.
  Value *scratch() {
    Value *offset = b_.CreateMul(kf_.worker(), constant(kernel_.scratchPerWorker));
    return b_.CreateInBoundsGEP(Type::getInt8Ty(ec_.context), kf_.arenaAt(kernel_.scratchOffset),
                                offset);
  }

  /// for (item = begin; item < end; ++item) { call(item); epilogue over its rows }.
  void forEachItem(const std::function<void(Value *)> &call) {
    kf_.loop(kf_.begin(), kf_.end(), {}, [&](Value *item, std::vector<Value *>) {
      call(item);
      if (epilogue_) {
        int64_t total = ec_.graph.type(kernel_.value).numElements();
        Value *first = b_.CreateMul(item, constant(epilogue_->elementsPerItem));
        Value *last = b_.CreateBinaryIntrinsic(
            Intrinsic::smin, b_.CreateAdd(first, constant(epilogue_->elementsPerItem)),
            constant(total));
        emitLoopRows(ec_, kf_, *epilogue_->nest,
                     b_.CreateSDiv(first, constant(epilogue_->rowElements)),
                     b_.CreateSDiv(last, constant(epilogue_->rowElements)));
      }
      return std::vector<Value *>{};
    });
  }

  void call(const std::string &name, std::vector<Value *> args) {
    std::vector<Type *> types;
    for (Value *a : args)
      types.push_back(a->getType());
    b_.CreateCall(ec_.function(name, Type::getVoidTy(ec_.context), types), args);
  }

  std::vector<Value *> convArgs(const libjit::ConvShape &s) {
    return {constant(s.n),  constant(s.c),  constant(s.h),  constant(s.w),
            constant(s.o),  constant(s.kh), constant(s.kw), constant(s.ho),
            constant(s.wo), constant(s.sh), constant(s.sw), constant(s.ph),
            constant(s.pw), constant(s.dh), constant(s.dw), constant(s.groups)};
  }

  std::vector<Value *> poolArgs(const Shape &x, const Shape &y) {
    WindowAttrs p = windowAttrs(node_.attrs);
    const Pair &window = p.window, &stride = p.stride, &padding = p.padding;
    return {constant(x[2]),       constant(x[3]),      constant(y[2]),      constant(y[3]),
            constant(window[0]),  constant(window[1]), constant(stride[0]), constant(stride[1]),
            constant(padding[0]), constant(padding[1])};
  }

  void matmul() {
    const Graph &g = ec_.graph;
    const Shape &out = node_.type.shape;
    size_t r = out.size();
    int64_t m = out[r - 2], n = out[r - 1];
    MatmulAttrs attrs = matmulAttrs(node_.attrs);
    bool ta = attrs.transposeA, tb = attrs.transposeB;
    const Shape &as = g.type(node_.operands[0]).shape;
    int64_t k = ta ? as[r - 2] : as[r - 1];
    // A(i, p) = a[i*ars + p*acs]; B(p, j) = b[p*brs + j*bcs].
    int64_t ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
    Value *a = kf_.buffer(node_.operands[0]), *bb = kf_.buffer(node_.operands[1]);
    Value *c = kf_.buffer(kernel_.value);
    std::string name = "kiln_gemm_" + ec_.isaSuffix(dtype_);
    forEachItem([&](Value *item) {
      call(name,
           {a, constant(ars), constant(acs), constant(m * k), bb, constant(brs), constant(bcs),
            constant(k * n), c, constant(m * n), constant(m), constant(n), constant(k),
            constant(kernel_.itemRows), constant(kernel_.itemCols), constant(0), item, scratch()});
    });
  }

  void conv(const char *entry, Value *x, Value *w, Value *out, std::vector<Value *> extra) {
    libjit::ConvShape s = convShape(ec_.graph, kernel_.value);
    std::string name = std::string(entry) + ec_.isaSuffix(dtype_);
    forEachItem([&](Value *item) {
      std::vector<Value *> args = {x, w, out};
      for (Value *v : convArgs(s))
        args.push_back(v);
      for (Value *v : extra)
        args.push_back(v);
      args.push_back(item);
      args.push_back(scratch());
      call(name, args);
    });
  }

  void pool(const char *entry, std::vector<ValueId> operands, const Shape &x, const Shape &y) {
    std::vector<Value *> buffers;
    for (ValueId v : operands)
      buffers.push_back(kf_.buffer(v));
    buffers.push_back(kf_.buffer(kernel_.value));
    int64_t planes = x[0] * x[1];
    std::string name = std::string(entry) + EmitContext::dtypeSuffix(dtype_);
    forEachItem([&](Value *item) {
      Value *p0 = b_.CreateMul(item, constant(kernel_.itemRows));
      Value *p1 = b_.CreateBinaryIntrinsic(
          Intrinsic::smin, b_.CreateAdd(p0, constant(kernel_.itemRows)), constant(planes));
      std::vector<Value *> args = buffers;
      for (Value *v : poolArgs(x, y))
        args.push_back(v);
      args.push_back(p0);
      args.push_back(p1);
      call(name, args);
    });
  }

  void run() {
    const Graph &g = ec_.graph;
    switch (kernel_.kind) {
    case StageKind::Matmul:
      matmul();
      break;
    case StageKind::Conv2d:
    case StageKind::Conv2dInputGrad: {
      // The shifted forms multiply by the filter PackFilter packed for every image.
      bool forward = kernel_.kind == StageKind::Conv2d;
      const char *entry =
          forward ? (kernel_.shifted ? "kiln_conv2d_s1_" : "kiln_conv2d_")
                  : (kernel_.shifted ? "kiln_conv2d_input_grad_s1_" : "kiln_conv2d_input_grad_");
      conv(entry, kf_.buffer(node_.operands[0]),
           kernel_.shifted ? kf_.arenaAt(kernel_.partsOffset) : kf_.buffer(node_.operands[1]),
           kf_.buffer(kernel_.value), {});
      break;
    }
    case StageKind::Conv2dFilterGrad:
      conv(kernel_.shifted ? "kiln_conv2d_filter_grad_s1_" : "kiln_conv2d_filter_grad_",
           kf_.buffer(node_.operands[0]), kf_.buffer(node_.operands[1]),
           kf_.arenaAt(kernel_.partsOffset), {constant(kernel_.imagesPerChunk)});
      break;
    case StageKind::PackFilter: {
      libjit::ConvShape s = convShape(g, kernel_.value);
      std::vector<Value *> args = {kf_.buffer(node_.operands[1]), kf_.arenaAt(kernel_.partsOffset)};
      for (Value *v : convArgs(s))
        args.push_back(v);
      call((node_.op == OpKind::Conv2d ? "kiln_conv2d_pack_s1_"
                                       : "kiln_conv2d_input_grad_pack_s1_") +
               ec_.isaSuffix(dtype_),
           args);
      break;
    }
    case StageKind::SumChunks: {
      libjit::ConvShape s = convShape(g, kernel_.value);
      int64_t chunks = libjit::ceilDiv(std::max<int64_t>(s.n, 1), kernel_.imagesPerChunk);
      Value *parts = kf_.arenaAt(kernel_.partsOffset), *dw = kf_.buffer(kernel_.value);
      if (kernel_.shifted) {
        libjit::FilterGradPart part = libjit::shiftedFilterGradPart(
            ec_.plan.options.isa, static_cast<int>(dtypeSize(dtype_)), s);
        call("kiln_conv2d_filter_grad_sum_s1_" + EmitContext::dtypeSuffix(dtype_),
             {parts, dw, constant(chunks), constant(s.groups), constant(s.k()), constant(s.og()),
              constant(part.rows), constant(part.cols)});
      } else {
        int64_t size = node_.type.numElements();
        call("kiln_sum_chunks_" + EmitContext::dtypeSuffix(dtype_),
             {parts, dw, constant(chunks), constant(size), constant(0), constant(size)});
      }
      break;
    }
    case StageKind::MaxPool2d:
      pool("kiln_max_pool_", {node_.operands[0]}, g.type(node_.operands[0]).shape,
           node_.type.shape);
      break;
    case StageKind::MaxPool2dGrad:
      pool("kiln_max_pool_grad_", {node_.operands[0], node_.operands[1]},
           g.type(node_.operands[0]).shape, g.type(node_.operands[1]).shape);
      break;
    case StageKind::AvgPool2d:
      pool("kiln_avg_pool_", {node_.operands[0]}, g.type(node_.operands[0]).shape,
           node_.type.shape);
      break;
    case StageKind::AvgPool2dGrad:
      pool("kiln_avg_pool_grad_", {node_.operands[0]}, node_.type.shape,
           g.type(node_.operands[0]).shape);
      break;
    case StageKind::AllReduce: {
      Value *in = kf_.buffer(node_.operands[0]), *out = kf_.buffer(kernel_.value);
      auto i32 = [&](int v) { return ConstantInt::get(Type::getInt32Ty(ec_.context), v); };
      bool mean = node_.attrs.getString("reduction") == "mean";
      forEachItem([&](Value *) {
        call("kiln_all_reduce_start",
             {constant(kernel_.bucket), in, out, constant(node_.type.numElements()),
              i32(static_cast<int>(dtype_)), i32(mean), i32(kernel_.closesBucket)});
      });
      break;
    }
    case StageKind::Loop:
    case StageKind::ConcatPart:
    case StageKind::Reduce:
      assert(false && "loop kernels are emitted by emitLoopNest");
      break;
    }
    kf_.finish();
  }

private:
  EmitContext &ec_;
  KernelFunction &kf_;
  IRBuilder<> &b_;
  const Stage &kernel_;
  const Node &node_;
  DType dtype_;
  const std::optional<Epilogue> &epilogue_;
};

/// The contiguous output elements one work item writes, or 0 when its output is not
/// one contiguous range (grouped convolutions, matmul blocks).
int64_t elementsPerItem(const Graph &g, const Stage &kernel) {
  const Node &node = g.node(kernel.value);
  const Shape &out = node.type.shape;
  switch (kernel.kind) {
  case StageKind::Conv2d:
  case StageKind::Conv2dInputGrad: {
    libjit::ConvShape s = convShape(g, kernel.value);
    return s.groups == 1 ? out[1] * out[2] * out[3] : 0; // item n: image n
  }
  case StageKind::MaxPool2d:
  case StageKind::MaxPool2dGrad:
  case StageKind::AvgPool2d:
  case StageKind::AvgPool2dGrad:
    return kernel.itemRows * out[2] * out[3]; // itemRows planes
  case StageKind::Matmul:
  case StageKind::Conv2dFilterGrad:
  case StageKind::SumChunks:
  case StageKind::PackFilter:
  case StageKind::Loop:
  case StageKind::ConcatPart:
  case StageKind::Reduce:
  case StageKind::AllReduce:
    break;
  }
  return 0;
}

} // namespace

std::optional<Epilogue> epilogueFor(const EmitContext &ec, size_t stage, const LoopNest &nest) {
  const Graph &g = ec.graph;
  const Stage &kernel = ec.plan.stages[stage];
  if (stage + 1 >= ec.plan.stages.size())
    return std::nullopt;
  const Stage &next = ec.plan.stages[stage + 1];
  int64_t perItem = elementsPerItem(g, kernel);
  if (perItem == 0 || next.kind != StageKind::Loop || next.kernel != kernel.kernel ||
      nest.combine != LoopNest::Combine::Store ||
      g.type(next.value).shape != g.type(kernel.value).shape || nest.sizes.empty())
    return std::nullopt;
  // The stage's value only at the element being written: the item has written it.
  Storage produced = ec.plan.storage(kernel.value, stage);
  for (const Expr &e : nest.exprs)
    if (e.kind == Expr::Kind::Load && ec.plan.storage(e.value, stage + 1) == produced &&
        (e.index.coef != nest.store.coef || e.index.offset != nest.store.offset))
      return std::nullopt;
  int64_t total = g.type(kernel.value).numElements();
  int64_t row = nest.sizes[0] > 0 ? total / nest.sizes[0] : 0;
  // The nest must store row-major over the whole shape, and items end on row bounds.
  std::vector<int64_t> strides(nest.sizes.size(), 1);
  for (size_t d = nest.sizes.size(); d-- > 1;)
    strides[d - 1] = strides[d] * nest.sizes[d];
  if (nest.store.coef != strides || nest.store.offset != 0 || row == 0 || perItem % row != 0)
    return std::nullopt;
  return Epilogue{&nest, perItem, row};
}

void emitKernelCall(EmitContext &ec, KernelFunction &kf, const Stage &kernel,
                    const std::optional<Epilogue> &epilogue) {
  CallEmitter(ec, kf, kernel, epilogue).run();
}

} // namespace kiln::codegen
