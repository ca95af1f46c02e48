#include "kiln/ir/Builder.h"

#include "kiln/ir/Error.h"

namespace kiln {

ValueId IRBuilder::constant(double value, DType dtype, const Shape &shapeRef) {
  // A copy: `shapeRef` may live in the graph (constantLike), whose nodes move on append.
  Shape shape = shapeRef;
  ValueId scalar = op(OpKind::Constant, {},
                      {{"dtype", std::string(dtypeName(dtype))},
                       {"shape", std::vector<int64_t>{}},
                       {"value", value}});
  return shape.empty() ? scalar : broadcast(scalar, shape, {});
}

ValueId IRBuilder::broadcast(ValueId v, const Shape &shape, std::vector<int64_t> dims) {
  return op(OpKind::Broadcast, {v}, {{"dims", std::move(dims)}, {"shape", shape}});
}

ValueId IRBuilder::broadcastTo(ValueId v, const Shape &shape) {
  const Shape &from = type(v).shape;
  if (from == shape)
    return v;
  if (from.size() > shape.size())
    fail("{}: cannot broadcast {} to {}", scope_, type(v).str(), shapeStr(shape));
  std::vector<int64_t> dims;
  size_t offset = shape.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    dims.push_back(static_cast<int64_t>(offset + i));
  return broadcast(v, shape, std::move(dims));
}

ValueId IRBuilder::reshape(ValueId v, const Shape &shape) {
  if (type(v).shape == shape)
    return v;
  return op(OpKind::Reshape, {v}, {{"shape", shape}});
}

ValueId IRBuilder::transpose(ValueId v, std::vector<int64_t> perm) {
  return op(OpKind::Transpose, {v}, {{"perm", std::move(perm)}});
}

ValueId IRBuilder::reduceSum(ValueId v, std::vector<int64_t> axes) {
  if (axes.empty())
    return v;
  return op(OpKind::ReduceSum, {v}, {{"axes", std::move(axes)}});
}

ValueId IRBuilder::convert(ValueId v, DType dtype) {
  if (type(v).dtype == dtype)
    return v;
  return op(OpKind::Convert, {v}, {{"dtype", std::string(dtypeName(dtype))}});
}

} // namespace kiln
