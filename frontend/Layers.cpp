#include "kiln/frontend/Layers.h"

#include "kiln/ir/Error.h"

#include <cmath>

namespace kiln {

Linear::Linear(Module *parent, std::string name, int64_t inFeatures, int64_t outFeatures,
               LinearOptions options)
    : Module(parent, std::move(name)), in_(inFeatures), out_(outFeatures), hasBias_(options.bias) {
  if (in_ < 1 || out_ < 1)
    fail("{}: Linear({} -> {}) needs positive sizes", scope(), in_, out_);
  double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  weight_ = addParameter("weight", {out_, in_}, uniformInit(bound));
  if (hasBias_)
    bias_ = addParameter("bias", {out_}, uniformInit(bound));
}

Value Linear::forward(Value x) {
  IRBuilder &b = x.tracer().builder();
  Type t = x.type();
  if (t.rank() < 1 || t.shape.back() != in_ || t.dtype != DType::F32)
    fail("{}: Linear({} -> {}) got input {}", b.scope(), in_, out_, t.str());
  // matmul takes rank 2: fold leading dimensions into rows and unfold them after.
  int64_t rows = t.numElements() / in_;
  ValueId flat = b.reshape(x.id(), {rows, in_});
  ValueId y = b.op(OpKind::Matmul, {flat, state(x, weight_).id()}, {{"transpose_b", true}});
  if (hasBias_)
    y = b.add(y, b.broadcast(state(x, bias_).id(), {rows, out_}, {1}));
  Shape outShape = t.shape;
  outShape.back() = out_;
  return x.tracer().wrap(b.reshape(y, outShape), b.scope());
}

Conv2d::Conv2d(Module *parent, std::string name, int64_t inChannels, int64_t outChannels,
               Conv2dOptions options)
    : Module(parent, std::move(name)), in_(inChannels), out_(outChannels), options_(options) {
  const Conv2dOptions &o = options_;
  if (in_ < 1 || out_ < 1 || o.groups < 1 || in_ % o.groups || out_ % o.groups)
    fail("{}: {}: channels must be positive multiples of groups", scope(), describe());
  if (o.kernel.h < 1 || o.kernel.w < 1 || o.stride.h < 1 || o.stride.w < 1 || o.dilation.h < 1 ||
      o.dilation.w < 1 || o.padding.h < 0 || o.padding.w < 0)
    fail("{}: {}: kernel, stride and dilation must be >= 1 and padding >= 0", scope(), describe());
  int64_t fanIn = in_ / o.groups * o.kernel.h * o.kernel.w;
  double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
  weight_ =
      addParameter("weight", {out_, in_ / o.groups, o.kernel.h, o.kernel.w}, uniformInit(bound));
  if (o.bias)
    bias_ = addParameter("bias", {out_}, uniformInit(bound));
}

std::string Conv2d::describe() const {
  const Conv2dOptions &o = options_;
  return fmt::format("Conv2d({} -> {}, kernel {}, stride {}, padding {}, dilation {}, groups {})",
                     in_, out_, shapeStr(o.kernel.vec()), shapeStr(o.stride.vec()),
                     shapeStr(o.padding.vec()), shapeStr(o.dilation.vec()), o.groups);
}

Value Conv2d::forward(Value x) {
  IRBuilder &b = x.tracer().builder();
  Type t = x.type();
  if (t.rank() != 4 || t.shape[1] != in_ || t.dtype != DType::F32)
    fail("{}: {} got input {} (expected f32[N,{},H,W])", b.scope(), describe(), t.str(), in_);
  const Conv2dOptions &o = options_;
  // The window must fit the padded input; Graph::add would say so too, but here the
  // message can name the layer's configuration.
  for (auto [size, k, p, d, axis] :
       {std::tuple{t.shape[2], o.kernel.h, o.padding.h, o.dilation.h, "height"},
        std::tuple{t.shape[3], o.kernel.w, o.padding.w, o.dilation.w, "width"}})
    if (d * (k - 1) + 1 > size + 2 * p)
      fail("{}: {} got input {}: the kernel is larger than the padded input along {}", b.scope(),
           describe(), t.str(), axis);
  ValueId y = b.op(OpKind::Conv2d, {x.id(), state(x, weight_).id()},
                   {{"stride", o.stride.vec()},
                    {"padding", o.padding.vec()},
                    {"dilation", o.dilation.vec()},
                    {"groups", o.groups}});
  if (o.bias) {
    Shape shape = b.type(y).shape;
    y = b.add(y, b.broadcast(state(x, bias_).id(), shape, {1}));
  }
  return x.tracer().wrap(y, b.scope());
}

Embedding::Embedding(Module *parent, std::string name, int64_t numEmbeddings, int64_t embeddingDim)
    : Module(parent, std::move(name)), num_(numEmbeddings), dim_(embeddingDim) {
  if (num_ < 1 || dim_ < 1)
    fail("{}: Embedding({}, {}) needs positive sizes", scope(), num_, dim_);
  weight_ = addParameter("weight", {num_, dim_}, normalInit(1.0));
}

Value Embedding::forward(Value indices) {
  IRBuilder &b = indices.tracer().builder();
  Type t = indices.type();
  if (t.dtype != DType::I32)
    fail("{}: Embedding({}, {}) got input {} (expected i32 indices)", b.scope(), num_, dim_,
         t.str());
  // One row per index: [n, num] one-hot rows times [num, dim] pick the weight's rows.
  int64_t n = t.numElements();
  ValueId flat = b.reshape(indices.id(), {n});
  ValueId hot = b.op(OpKind::OneHot, {flat}, {{"depth", num_}, {"dtype", std::string("f32")}});
  ValueId rows = b.op(OpKind::Matmul, {hot, state(indices, weight_).id()});
  Shape outShape = t.shape;
  outShape.push_back(dim_);
  return indices.tracer().wrap(b.reshape(rows, outShape), b.scope());
}

} // namespace kiln
