// Reading unsigned-byte IDX files (the format of MNIST and Fashion-MNIST), raw or
// gzip'd. Every malformed input is a kiln::Error naming the file and the byte offset
// of the problem; for a gzip'd file the offset is into the decompressed stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// What an IDX file must hold: images are rank 3 (magic 0x00000803), labels rank 1
/// (magic 0x00000801). Both have unsigned-byte elements (type code 0x08).
enum class IdxKind { Images, Labels };

/// The contents of a u8 IDX file: its dimensions and its row-major payload.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// The rank an IDX file of `kind` has: 3 for images, 1 for labels.
int idxRank(IdxKind kind);

/// Reads the u8 IDX file at `path`. It is gunzipped when it starts with the gzip magic
/// bytes 1f 8b, whatever its name. Fails with a kiln::Error ("<path>: byte <offset>:
/// ...") on a bad magic, a type code other than 0x08, a rank other than `kind`'s, a zero
/// or oversized dimension, a truncated header or payload, trailing bytes after the
/// payload, or a corrupt gzip stream ("<path>: gzip: <zlib message>").
IdxArray readIdx(const std::string &path, IdxKind kind);

/// The dimensions of the u8 IDX file at `path`, read from its header alone, with
/// readIdx's checks of the header.
std::vector<int64_t> readIdxDims(const std::string &path, IdxKind kind);

} // namespace kiln
