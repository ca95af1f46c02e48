// The C maths functions JIT code may call. The emitter asks only for exp, log, pow, tanh
// and fma, but LLVM rewrites and lowers calls as it sees fit: pow(2, x) becomes exp2f,
// pow(2, float(i)) ldexpf, pow(10, x) exp10f, sin and cos of one value sincos, llvm.powi
// libgcc's __powisf2, and the loop vectorizer calls glibc's vector variants (libmvec,
// _ZGVdN8v_expf). So the allow-list is not a list of what kiln emits but a rule about
// names: every function of the C maths library in its f32 and f64 forms, their libmvec
// variants, and the libgcc helpers of llvm.powi. They are pure functions of their
// arguments (at most setting errno), so any of them is safe to link.
#pragma once

#include <string_view>

namespace kiln::codegen {

/// The address of `name` in this process's maths libraries when `name` is allowed by
/// the rule above (null for any other name, or when the system lacks the function).
const void *mathSymbol(std::string_view name);

/// Whether glibc's libmvec is present; without it the vectorizer must not call it.
bool haveVectorMath();

} // namespace kiln::codegen
