// emitLoopNest: a LoopNest as LLVM IR. Elementwise ops are the IR of the interpreter's
// scalar semantics, so results agree bit for bit wherever the maths is exact: NaN-
// propagating max/min written as selects, wrapping i32 arithmetic, i32 division by zero
// giving 0, saturating float-to-int conversion. exp/log/pow are LLVM intrinsics, which
// the vectorizer turns into glibc's vector maths (libmvec).
//
// Reductions finish each output inside one iteration of the kept loops (LoopNest step
// 4), carrying float sums in f64 as the interpreter does:
//   1. into one output: blocks of kBlock elements of the innermost loop are summed in
//      the dtype with `reassoc` on that fadd only (so the vectorizer spreads a block over
//      vector lanes), and each block's sum is added to the f64 total in order;
//   2. into a row of outputs (a kept innermost loop): tiles of kTile outputs keep their
//      totals in a stack array while the reduced loops run, each element added to its
//      total in f64 (the vector runs along the row, so no reassociation is needed).
// So an f32 sum of millions of elements rounds like a sum of kBlock, and the order of
// additions depends only on the shapes, never on the thread count. Nothing else is
// reassociated.
#include "kiln/codegen/EmitContext.h"

#include <llvm/IR/Intrinsics.h>

#include <cassert>
#include <cmath>
#include <limits>

namespace kiln::codegen {

using namespace llvm;
using llvm::Type; // not kiln::Type

namespace {

/// Elements a float sum adds in its own type before the block's sum joins the f64 total:
/// long enough that the vectorized block loop amortizes its final horizontal add, short
/// enough that a block summed one element at a time still rounds like a short sum.
constexpr int64_t kBlock = 1024;
/// Outputs of a row (a kept innermost loop) accumulated together in a stack array.
constexpr int64_t kTile = 256;

class ExprEmitter {
public:
  ExprEmitter(EmitContext &ec, KernelFunction &kf, const LoopNest &nest)
      : ec_(ec), kf_(kf), b_(kf.builder()), nest_(nest) {
    kf.writes(nest.target);
    for (const LoopNest::Also &a : nest.also)
      kf.writes(a.target);
  }

  Value *affine(const Affine &a, const std::vector<Value *> &ivs) {
    Value *sum = ConstantInt::get(ec_.i64(), a.offset);
    for (size_t l = 0; l < ivs.size(); ++l)
      if (a.coef[l] != 0)
        sum = b_.CreateAdd(sum, b_.CreateMul(ivs[l], ConstantInt::get(ec_.i64(), a.coef[l])));
    return sum;
  }

  Value *address(ValueId value, DType dtype, Value *offset) {
    return b_.CreateInBoundsGEP(ec_.storageType(dtype), kf_.buffer(value), offset);
  }

  /// The address of `value` at `index`, its constant term folded into the buffer
  /// pointer when that points inside the buffer, so that kernels reading or writing a
  /// tensor at different places (slices, concat parts, time steps) share one body.
  Value *address(ValueId value, DType dtype, const Affine &index, const std::vector<Value *> &ivs) {
    int64_t elements = ec_.graph.type(ec_.plan.root(value, kf_.stage())).numElements();
    if (index.offset <= 0 || index.offset >= elements)
      return address(value, dtype, affine(index, ivs));
    Affine rest = index;
    rest.offset = 0;
    Value *base = kf_.buffer(value, index.offset * int64_t(dtypeSize(dtype)));
    return b_.CreateInBoundsGEP(ec_.storageType(dtype), base, affine(rest, ivs));
  }

  Value *load(ValueId value, DType dtype, Value *offset) {
    return loadFrom(address(value, dtype, offset), dtype);
  }

  Value *loadFrom(Value *address, DType dtype) {
    Value *v = b_.CreateLoad(ec_.storageType(dtype), address);
    return dtype == DType::Bool ? b_.CreateICmpNE(v, ConstantInt::get(v->getType(), 0)) : v;
  }

  void store(ValueId value, DType dtype, Value *offset, Value *v) {
    storeTo(address(value, dtype, offset), dtype, v);
  }

  void storeTo(Value *address, DType dtype, Value *v) {
    if (dtype == DType::Bool)
      v = b_.CreateZExt(v, ec_.storageType(DType::Bool));
    b_.CreateStore(v, address);
  }

  Value *constant(DType dtype, double value) {
    switch (dtype) {
    case DType::F32:
      return ConstantFP::get(ec_.valueType(dtype), static_cast<double>(static_cast<float>(value)));
    case DType::F64:
      return ConstantFP::get(ec_.valueType(dtype), value);
    case DType::I32: { // the interpreter's convertValue: truncate, saturate, NaN -> 0
      int32_t v = 0;
      if (std::isnan(value))
        v = 0;
      else if (value <= -2147483648.0)
        v = std::numeric_limits<int32_t>::min();
      else if (value >= 2147483647.0)
        v = std::numeric_limits<int32_t>::max();
      else
        v = static_cast<int32_t>(value);
      return ConstantInt::get(ec_.valueType(dtype), static_cast<uint64_t>(uint32_t(v)));
    }
    case DType::Bool:
      return ConstantInt::get(ec_.valueType(dtype), value != 0.0 ? 1 : 0);
    }
    assert(false && "unknown dtype");
    return nullptr;
  }

  /// convertValue<To, From> of runtime/interp/Dispatch.h.
  Value *convert(Value *v, DType from, DType to) {
    Type *target = ec_.valueType(to);
    if (from == to)
      return v;
    bool fromFloat = isFloat(from);
    switch (to) {
    case DType::F32:
    case DType::F64:
      if (fromFloat)
        return b_.CreateFPCast(v, target);
      return from == DType::Bool ? b_.CreateUIToFP(v, target) : b_.CreateSIToFP(v, target);
    case DType::I32:
      if (fromFloat)
        return b_.CreateIntrinsic(Intrinsic::fptosi_sat, {target, v->getType()}, {v});
      return b_.CreateZExt(v, target); // from bool
    case DType::Bool:
      if (fromFloat)
        return b_.CreateFCmpUNE(v, ConstantFP::get(v->getType(), 0.0));
      return b_.CreateICmpNE(v, ConstantInt::get(v->getType(), 0));
    }
    assert(false && "unknown dtype");
    return nullptr;
  }

  Value *unaryIntrinsic(Intrinsic::ID id, Value *v) { return b_.CreateUnaryIntrinsic(id, v); }

  Value *libm(const char *name, Value *v) {
    bool single = v->getType()->isFloatTy();
    std::string fn = std::string(name) + (single ? "f" : "");
    FunctionCallee callee = ec_.function(fn, v->getType(), {v->getType()});
    // A pure function (glibc's tanh never sets errno): the loop vectorizer may then
    // call its libmvec variant (JitEngine maps them).
    if (auto *f = dyn_cast<Function>(callee.getCallee())) {
      f->setDoesNotAccessMemory();
      f->setDoesNotThrow();
      f->setWillReturn();
    }
    CallInst *call = b_.CreateCall(callee, {v});
    call->setDoesNotAccessMemory();
    return call;
  }

  Value *maxValue(Value *a, Value *bv, bool isMin, DType dtype) {
    if (!isFloat(dtype))
      return b_.CreateBinaryIntrinsic(isMin ? Intrinsic::smin : Intrinsic::smax, a, bv);
    // a < b ? b : a (or b < a ? b : a), then a NaN b wins if a was not NaN.
    Value *better = isMin ? b_.CreateFCmpOLT(bv, a) : b_.CreateFCmpOLT(a, bv);
    Value *r = b_.CreateSelect(better, bv, a);
    return b_.CreateSelect(b_.CreateFCmpUNO(bv, bv), bv, r);
  }

  Value *op(const Node &node, const std::vector<Value *> &in, DType operandType) {
    bool fp = isFloat(operandType);
    Value *x = in.empty() ? nullptr : in[0];
    switch (node.op) {
    case OpKind::Neg:
      return fp ? b_.CreateFNeg(x) : b_.CreateSub(ConstantInt::get(x->getType(), 0), x);
    case OpKind::Exp:
      return unaryIntrinsic(Intrinsic::exp, x);
    case OpKind::Log:
      return unaryIntrinsic(Intrinsic::log, x);
    case OpKind::Sqrt:
      return unaryIntrinsic(Intrinsic::sqrt, x);
    case OpKind::Rsqrt:
      return b_.CreateFDiv(ConstantFP::get(x->getType(), 1.0), unaryIntrinsic(Intrinsic::sqrt, x));
    case OpKind::Tanh:
      return libm("tanh", x);
    case OpKind::Logistic: {
      // The interpreter's overflow-free form: x >= 0 ? 1 / (1 + e^-x) : e^x / (1 + e^x);
      // both branches use e = e^-|x|.
      Value *e = unaryIntrinsic(Intrinsic::exp, b_.CreateFNeg(unaryIntrinsic(Intrinsic::fabs, x)));
      Value *one = ConstantFP::get(x->getType(), 1.0);
      Value *denominator = b_.CreateFAdd(one, e);
      return b_.CreateSelect(b_.CreateFCmpOGE(x, ConstantFP::get(x->getType(), 0.0)),
                             b_.CreateFDiv(one, denominator), b_.CreateFDiv(e, denominator));
    }
    case OpKind::Abs:
      if (fp)
        return unaryIntrinsic(Intrinsic::fabs, x);
      return b_.CreateSelect(b_.CreateICmpSLT(x, ConstantInt::get(x->getType(), 0)),
                             b_.CreateSub(ConstantInt::get(x->getType(), 0), x), x);
    case OpKind::Convert:
      return convert(x, operandType, node.type.dtype);
    case OpKind::Add:
      return fp ? b_.CreateFAdd(x, in[1]) : b_.CreateAdd(x, in[1]);
    case OpKind::Sub:
      return fp ? b_.CreateFSub(x, in[1]) : b_.CreateSub(x, in[1]);
    case OpKind::Mul:
      return fp ? b_.CreateFMul(x, in[1]) : b_.CreateMul(x, in[1]);
    case OpKind::Div: {
      if (fp)
        return b_.CreateFDiv(x, in[1]);
      // Truncating; x / 0 is 0 and x / -1 is the wrapping negation (no INT_MIN trap).
      Value *y = in[1];
      Value *zero = ConstantInt::get(y->getType(), 0), *one = ConstantInt::get(y->getType(), 1);
      Value *isZero = b_.CreateICmpEQ(y, zero);
      Value *isMinusOne = b_.CreateICmpEQ(y, ConstantInt::get(y->getType(), -1, true));
      Value *safe = b_.CreateSelect(b_.CreateOr(isZero, isMinusOne), one, y);
      Value *q = b_.CreateSDiv(x, safe);
      q = b_.CreateSelect(isMinusOne, b_.CreateSub(zero, x), q);
      return b_.CreateSelect(isZero, zero, q);
    }
    case OpKind::Max:
      return maxValue(x, in[1], /*isMin=*/false, operandType);
    case OpKind::Min:
      return maxValue(x, in[1], /*isMin=*/true, operandType);
    case OpKind::Pow:
      return b_.CreateBinaryIntrinsic(Intrinsic::pow, x, in[1]);
    case OpKind::Compare:
      return compare(node.attrs.getString("direction"), x, in[1], operandType);
    case OpKind::Select:
      return b_.CreateSelect(x, in[1], in[2]);
    case OpKind::Input:
    case OpKind::State:
    case OpKind::Constant:
    case OpKind::Iota:
    case OpKind::RandomUniform:
    case OpKind::ReduceSum:
    case OpKind::ReduceMax:
    case OpKind::ReduceMean:
    case OpKind::Argmax:
    case OpKind::Matmul:
    case OpKind::Conv2d:
    case OpKind::Conv2dInputGrad:
    case OpKind::Conv2dFilterGrad:
    case OpKind::MaxPool2d:
    case OpKind::MaxPool2dGrad:
    case OpKind::AvgPool2d:
    case OpKind::AvgPool2dGrad:
    case OpKind::Reshape:
    case OpKind::Transpose:
    case OpKind::Broadcast:
    case OpKind::Slice:
    case OpKind::Concat:
    case OpKind::Pad:
    case OpKind::OneHot:
    case OpKind::AllReduce:
      break;
    }
    assert(false && "not an elementwise op");
    return nullptr;
  }

  Value *compare(const std::string &direction, Value *a, Value *c, DType dtype) {
    using P = CmpInst::Predicate;
    struct Row {
      const char *name;
      P fp, sint, uint;
    };
    static const Row rows[] = {{"eq", P::FCMP_OEQ, P::ICMP_EQ, P::ICMP_EQ},
                               {"ne", P::FCMP_UNE, P::ICMP_NE, P::ICMP_NE},
                               {"lt", P::FCMP_OLT, P::ICMP_SLT, P::ICMP_ULT},
                               {"le", P::FCMP_OLE, P::ICMP_SLE, P::ICMP_ULE},
                               {"gt", P::FCMP_OGT, P::ICMP_SGT, P::ICMP_UGT},
                               {"ge", P::FCMP_OGE, P::ICMP_SGE, P::ICMP_UGE}};
    for (const Row &row : rows)
      if (direction == row.name) {
        P p = isFloat(dtype) ? row.fp : dtype == DType::Bool ? row.uint : row.sint;
        return isFloat(dtype) ? b_.CreateFCmp(p, a, c) : b_.CreateICmp(p, a, c);
      }
    assert(false && "unknown compare direction");
    return nullptr;
  }

  /// The value of expression `e` at loop variables `ivs`.
  /// The value of expression `root` in the current iteration, each shared expression
  /// computed once.
  Value *emit(int root, const std::vector<Value *> &ivs) {
    memo_.clear();
    return emitShared(root, ivs);
  }

  /// Expressions computed so far in this iteration, in scopes: a Pad's operand is
  /// computed in a branch, and what is computed there is forgotten after it.
  Value *emitShared(int e, const std::vector<Value *> &ivs) {
    for (auto it = memo_.rbegin(); it != memo_.rend(); ++it)
      if (it->first == e)
        return it->second;
    Value *v = emitOnce(e, ivs);
    memo_.push_back({e, v});
    return v;
  }

  Value *emitOnce(int e, const std::vector<Value *> &ivs) {
    const Expr &x = nest_.exprs[e];
    switch (x.kind) {
    case Expr::Kind::Load:
      return loadFrom(address(x.value, x.dtype, x.index, ivs), x.dtype);
    case Expr::Kind::Constant:
      return constant(x.dtype, x.constant);
    case Expr::Kind::Iota: {
      Value *i = affine(x.index, ivs);
      if (isFloat(x.dtype))
        return b_.CreateSIToFP(i, ec_.valueType(x.dtype));
      if (x.dtype == DType::Bool)
        return b_.CreateICmpNE(i, ConstantInt::get(ec_.i64(), 0));
      return b_.CreateTrunc(i, ec_.valueType(x.dtype));
    }
    case Expr::Kind::Op: {
      std::vector<Value *> in;
      for (int operand : x.operands)
        in.push_back(emitShared(operand, ivs));
      const Node &node = ec_.graph.node(x.value);
      DType operandType = ec_.graph.type(node.operands[0]).dtype;
      if (node.op == OpKind::Select)
        operandType = node.type.dtype;
      return op(node, in, operandType);
    }
    case Expr::Kind::Random: {
      Value *counter = emitShared(x.operands[0], ivs);
      Value *step = b_.CreateSExt(counter, ec_.i64());
      auto seed = static_cast<uint64_t>(ec_.graph.node(x.value).attrs.getInt("seed"));
      FunctionCallee uniform = ec_.function("kiln_uniform", Type::getFloatTy(ec_.context),
                                            {ec_.i64(), ec_.i64(), ec_.i64()});
      return b_.CreateCall(uniform,
                           {ConstantInt::get(ec_.i64(), seed), step, affine(x.index, ivs)});
    }
    case Expr::Kind::OneHot: {
      Value *index = emitShared(x.operands[0], ivs);
      Value *hit = b_.CreateICmpEQ(b_.CreateSExt(index, ec_.i64()), affine(x.index, ivs));
      return convert(hit, DType::Bool, x.dtype);
    }
    case Expr::Kind::Pad: {
      // Branch around the operand: its loads are only valid inside the guards.
      Value *inside = ConstantInt::getTrue(ec_.context);
      for (const Guard &g : x.guards) {
        Value *i = affine(g.index, ivs);
        inside = b_.CreateAnd(inside, b_.CreateICmpSGE(i, ConstantInt::get(ec_.i64(), g.lo)));
        inside = b_.CreateAnd(inside, b_.CreateICmpSLT(i, ConstantInt::get(ec_.i64(), g.hi)));
      }
      Function *f = kf_.function();
      BasicBlock *from = b_.GetInsertBlock();
      BasicBlock *then = BasicBlock::Create(ec_.context, "pad.in", f);
      BasicBlock *join = BasicBlock::Create(ec_.context, "pad.join", f);
      b_.CreateCondBr(inside, then, join);
      b_.SetInsertPoint(then);
      size_t scope = memo_.size();
      Value *v = emitShared(x.operands[0], ivs);
      memo_.resize(scope);
      BasicBlock *thenEnd = b_.GetInsertBlock();
      b_.CreateBr(join);
      b_.SetInsertPoint(join);
      PHINode *phi = b_.CreatePHI(ec_.valueType(x.dtype), 2);
      phi->addIncoming(v, thenEnd);
      phi->addIncoming(constant(x.dtype, x.constant), from);
      return phi;
    }
    }
    assert(false && "unknown expression");
    return nullptr;
  }

  /// acc (+)= v for Sum, NaN-propagating max for Max.
  Value *combine(Value *acc, Value *v, DType dtype) {
    if (nest_.combine == LoopNest::Combine::Max)
      return maxValue(acc, v, /*isMin=*/false, dtype);
    if (!isFloat(dtype))
      return b_.CreateAdd(acc, v);
    FastMathFlags flags;
    flags.setAllowReassoc();
    auto *sum = cast<Instruction>(b_.CreateFAdd(acc, v));
    sum->setFastMathFlags(flags);
    return sum;
  }

  Value *identity(DType dtype) {
    if (nest_.combine == LoopNest::Combine::Sum)
      return constant(dtype, 0.0);
    if (isFloat(dtype))
      return ConstantFP::getInfinity(ec_.valueType(dtype), /*Negative=*/true);
    return ConstantInt::get(ec_.valueType(dtype), static_cast<uint64_t>(uint32_t(INT32_MIN)));
  }

  /// Where an output's total is carried: float sums in f64 (like the interpreter), so
  /// adding block sums or single elements to it loses nothing at any length.
  DType carriedType() const {
    bool floatSum = nest_.combine == LoopNest::Combine::Sum && isFloat(nest_.targetType);
    return floatSum ? DType::F64 : nest_.targetType;
  }

  /// The carried total with `v` (of the target's dtype) added in.
  Value *accumulate(Value *total, Value *v) {
    if (nest_.combine == LoopNest::Combine::Max)
      return maxValue(total, v, /*isMin=*/false, nest_.targetType);
    if (!isFloat(nest_.targetType))
      return b_.CreateAdd(total, v);
    return b_.CreateFAdd(total, b_.CreateFPExt(v, ec_.valueType(DType::F64)));
  }

  /// The output value of a carried total: the mean divides in f64, then f32 rounds once.
  Value *finish(Value *total) {
    if (nest_.mean)
      total = b_.CreateFDiv(total, ConstantFP::get(total->getType(), double(nest_.count)));
    return total->getType() == ec_.valueType(nest_.targetType)
               ? total
               : b_.CreateFPTrunc(total, ec_.valueType(nest_.targetType));
  }

  Value *index(int64_t i) { return ConstantInt::get(ec_.i64(), static_cast<uint64_t>(i)); }

  /// The loops from `level` inward, with the outer loop variables `ivs`.
  void loops(size_t level, std::vector<Value *> &ivs, Value *lo, Value *hi) {
    using C = LoopNest::Combine;
    if ((nest_.combine == C::Sum || nest_.combine == C::Max) && level == nest_.keptLoops) {
      if (nest_.keptInnermost)
        reduceIntoRow(ivs);
      else
        reduceIntoOne(ivs);
      return;
    }
    size_t inner = nest_.sizes.size() - 1;
    Value *start = level == 0 ? lo : index(0);
    Value *stop = level == 0 ? hi : index(nest_.sizes[level]);
    DType t = nest_.targetType;
    if (level < inner) {
      kf_.loop(start, stop, {}, [&](Value *iv, std::vector<Value *>) {
        ivs.push_back(iv);
        loops(level + 1, ivs, lo, hi);
        ivs.pop_back();
        return std::vector<Value *>{};
      });
      return;
    }
    if (nest_.combine == C::Store) {
      kf_.loop(start, stop, {}, [&](Value *iv, std::vector<Value *>) {
        ivs.push_back(iv);
        storeTo(address(nest_.target, t, nest_.store, ivs), t, emit(nest_.root, ivs));
        for (const LoopNest::Also &a : nest_.also) // sharing what the values before computed
          storeTo(address(a.target, a.type, nest_.store, ivs), a.type, emitShared(a.root, ivs));
        ivs.pop_back();
        return std::vector<Value *>{};
      });
      return;
    }
    // Argmax: the innermost loop scans one output's candidates.
    ivs.push_back(index(0));
    Value *offset = affine(nest_.store, ivs);
    DType in = nest_.exprs[nest_.root].dtype;
    Value *first = emit(nest_.root, ivs);
    ivs.pop_back();
    std::vector<Value *> best =
        kf_.loop(index(1), stop, {first, index(0)}, [&](Value *iv, std::vector<Value *> acc) {
          ivs.push_back(iv);
          Value *v = emit(nest_.root, ivs);
          ivs.pop_back();
          // The interpreter's beatsMax: greater, or NaN over a number; ties keep the first.
          Value *wins = isFloat(in)         ? b_.CreateOr(b_.CreateFCmpOGT(v, acc[0]),
                                                          b_.CreateAnd(b_.CreateFCmpUNO(v, v),
                                                                       b_.CreateFCmpORD(acc[0], acc[0])))
                        : in == DType::Bool ? b_.CreateICmpUGT(v, acc[0])
                                            : b_.CreateICmpSGT(v, acc[0]);
          return std::vector<Value *>{b_.CreateSelect(wins, v, acc[0]),
                                      b_.CreateSelect(wins, iv, acc[1])};
        });
    store(nest_.target, t, offset, b_.CreateTrunc(best[1], ec_.valueType(DType::I32)));
  }

  /// The store offset of the outputs of kept loop variables `ivs` (and `row` on the
  /// innermost loop when it is kept): reduced loops do not move it.
  Value *outputOffset(std::vector<Value *> ivs, Value *row = nullptr) {
    ivs.resize(nest_.sizes.size(), index(0));
    if (row)
      ivs.back() = row;
    return affine(nest_.store, ivs);
  }

  /// One output: the reduced loops carry its total in a register. Float sums add the
  /// innermost loop in blocks of kBlock elements: each block is summed in the dtype
  /// (reassociable, so the vectorizer spreads it over vector lanes) and added to the
  /// f64 total, so rounding grows with the block, not with the whole reduction.
  void reduceIntoOne(std::vector<Value *> &ivs) {
    Value *total = reducedLoops(ivs.size(), ivs, identity(carriedType()));
    store(nest_.target, nest_.targetType, outputOffset(ivs), finish(total));
  }

  Value *reducedLoops(size_t level, std::vector<Value *> &ivs, Value *total) {
    if (level + 1 < nest_.sizes.size())
      return kf_.loop(index(0), index(nest_.sizes[level]), {total},
                      [&](Value *iv, std::vector<Value *> carried) {
                        ivs.push_back(iv);
                        Value *next = reducedLoops(level + 1, ivs, carried[0]);
                        ivs.pop_back();
                        return std::vector<Value *>{next};
                      })[0];
    int64_t n = nest_.sizes[level];
    if (nest_.combine != LoopNest::Combine::Sum || !isFloat(nest_.targetType))
      return kf_.loop(index(0), index(n), {total}, [&](Value *iv, std::vector<Value *> carried) {
        ivs.push_back(iv);
        Value *next = accumulate(carried[0], emit(nest_.root, ivs));
        ivs.pop_back();
        return std::vector<Value *>{next};
      })[0];
    int64_t blocks = n / kBlock, rest = n % kBlock;
    if (blocks > 0)
      total = kf_.loop(
          index(0), index(blocks), {total}, [&](Value *block, std::vector<Value *> carried) {
            Value *start = b_.CreateMul(block, index(kBlock));
            return std::vector<Value *>{accumulate(carried[0], blockSum(ivs, start, kBlock))};
          })[0];
    if (rest > 0)
      total = accumulate(total, blockSum(ivs, index(blocks * kBlock), rest));
    return total;
  }

  /// The sum, in the dtype, of the innermost loop's iterations [start, start + n).
  Value *blockSum(std::vector<Value *> &ivs, Value *start, int64_t n) {
    DType t = nest_.targetType;
    return kf_.loop(index(0), index(n), {identity(t)}, [&](Value *i, std::vector<Value *> sum) {
      ivs.push_back(b_.CreateAdd(start, i));
      Value *next = combine(sum[0], emit(nest_.root, ivs), t);
      ivs.pop_back();
      return std::vector<Value *>{next};
    })[0];
  }

  /// A row of outputs along the innermost (kept) loop: tiles of kTile outputs whose
  /// totals live in a stack array while the reduced loops run over the tile; each
  /// element is added to its output's total in the carried type.
  void reduceIntoRow(std::vector<Value *> &ivs) {
    int64_t n = nest_.sizes.back(), width = std::min(n, kTile);
    Value *totals = kf_.stackArray(ec_.valueType(carriedType()), std::max<int64_t>(width, 1));
    int64_t tiles = width > 0 ? n / width : 0, rest = width > 0 ? n % width : 0;
    if (tiles > 0)
      kf_.loop(index(0), index(tiles), {}, [&](Value *tile, std::vector<Value *>) {
        reduceTile(ivs, totals, b_.CreateMul(tile, index(width)), width);
        return std::vector<Value *>{};
      });
    if (rest > 0)
      reduceTile(ivs, totals, index(tiles * width), rest);
  }

  void reduceTile(std::vector<Value *> &ivs, Value *totals, Value *first, int64_t width) {
    Type *carried = ec_.valueType(carriedType());
    auto total = [&](Value *i) { return b_.CreateInBoundsGEP(carried, totals, i); };
    Value *init = identity(carriedType());
    kf_.loop(index(0), index(width), {}, [&](Value *i, std::vector<Value *>) {
      b_.CreateStore(init, total(i));
      return std::vector<Value *>{};
    });
    tileLoops(ivs.size(), ivs, total, first, width);
    kf_.loop(index(0), index(width), {}, [&](Value *i, std::vector<Value *>) {
      Value *offset = outputOffset(ivs, b_.CreateAdd(first, i));
      store(nest_.target, nest_.targetType, offset, finish(b_.CreateLoad(carried, total(i))));
      return std::vector<Value *>{};
    });
  }

  /// The reduced loops from `level` inward around the tile's innermost loop.
  void tileLoops(size_t level, std::vector<Value *> &ivs,
                 const std::function<Value *(Value *)> &total, Value *first, int64_t width) {
    Type *carried = ec_.valueType(carriedType());
    bool row = level + 1 == nest_.sizes.size();
    kf_.loop(index(0), index(row ? width : nest_.sizes[level]), {},
             [&](Value *iv, std::vector<Value *>) {
               if (!row) {
                 ivs.push_back(iv);
                 tileLoops(level + 1, ivs, total, first, width);
                 ivs.pop_back();
                 return std::vector<Value *>{};
               }
               ivs.push_back(b_.CreateAdd(first, iv));
               Value *cell = total(iv);
               b_.CreateStore(accumulate(b_.CreateLoad(carried, cell), emit(nest_.root, ivs)),
                              cell);
               ivs.pop_back();
               return std::vector<Value *>{};
             });
  }

  void run() {
    Value *rows = index(nest_.rowsPerItem);
    Value *size = index(nest_.sizes[0]);
    Value *lo = b_.CreateMul(kf_.begin(), rows);
    Value *hi = b_.CreateBinaryIntrinsic(Intrinsic::smin, b_.CreateMul(kf_.end(), rows), size);
    rowsOf(lo, hi);
  }

  /// The nest over rows [lo, hi) of its outermost loop.
  void rowsOf(Value *lo, Value *hi) {
    using C = LoopNest::Combine;
    if (nest_.combine == C::Sum || nest_.combine == C::Max) {
      // Empty tensors: no outputs, or outputs over nothing (the identity; NaN for a mean).
      int64_t outputs = ec_.graph.type(nest_.target).numElements(), inputs = 1;
      for (int64_t s : nest_.sizes)
        inputs *= s;
      if (outputs == 0)
        return;
      if (inputs == 0) {
        Value *value = finish(identity(carriedType()));
        kf_.loop(index(0), index(outputs), {}, [&](Value *i, std::vector<Value *>) {
          store(nest_.target, nest_.targetType, i, value);
          return std::vector<Value *>{};
        });
        return;
      }
    }
    std::vector<Value *> ivs;
    loops(0, ivs, lo, hi);
  }

private:
  EmitContext &ec_;
  KernelFunction &kf_;
  IRBuilder<> &b_;
  const LoopNest &nest_;
  std::vector<std::pair<int, Value *>> memo_;
};

} // namespace

void emitLoopNest(EmitContext &ec, KernelFunction &kf, const LoopNest &nest) {
  ExprEmitter(ec, kf, nest).run();
  kf.finish();
}

void emitLoopRows(EmitContext &ec, KernelFunction &kf, const LoopNest &nest, Value *lo, Value *hi) {
  ExprEmitter(ec, kf, nest).rowsOf(lo, hi);
}

} // namespace kiln::codegen
