# Writes OUTPUT, a C++ file defining kiln::codegen::kLibJitBitcode with the bytes of INPUT
# (the libjit bitcode). Run with `cmake -DINPUT=... -DOUTPUT=... -P EmbedBitcode.cmake`.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp" "// Generated from libjit's bitcode by codegen/EmbedBitcode.cmake. Do not edit.
#include <cstddef>
namespace kiln::codegen {
extern const unsigned char kLibJitBitcode[];
extern const size_t kLibJitBitcodeSize;
alignas(16) const unsigned char kLibJitBitcode[] = {
${bytes}
};
const size_t kLibJitBitcodeSize = ${size};
} // namespace kiln::codegen
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
