#include "kiln/runtime/train/ModulePath.h"

namespace kiln {

bool inModulePath(const std::string &name, const std::string &prefix) {
  if (name == prefix)
    return true;
  bool startsWith = !prefix.empty() && name.rfind(prefix, 0) == 0;
  return startsWith && (prefix.back() == '.' || name[prefix.size()] == '.');
}

} // namespace kiln
