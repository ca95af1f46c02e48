// Module paths on the command line (`--freeze conv1 conv2`, `--reinit fc1`): a prefix
// names a whole module, as PyTorch's `model.fc1` does.
#pragma once

#include <string>

namespace kiln {

/// True when state `name` belongs to module path `prefix`: "fc1" and "fc1." both take
/// fc1.weight and fc1.bias, but "fc" takes neither (it would also catch fc10.*); a full
/// name ("fc1.bias") takes only itself.
bool inModulePath(const std::string &name, const std::string &prefix);

} // namespace kiln
