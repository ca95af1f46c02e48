// Per-epoch training history (spec §9-4: train/test loss and accuracy for each model),
// saved as CSV for spreadsheets and as JSON for tools and for redrawing the charts.
#pragma once

#include <string>
#include <vector>

namespace kiln {

/// The numbers of one epoch.
struct EpochRecord {
  int epoch = 0; ///< 1-based
  double trainLoss = 0, trainAcc = 0;
  double testLoss = 0, testAcc = 0;
  double seconds = 0; ///< wall time of the epoch
  double lr = 0;      ///< learning rate used in the epoch
};

/// The epochs of one model's training run.
struct History {
  std::string model;
  std::vector<EpochRecord> epochs;
};

/// The CSV text: header `model,epoch,train_loss,train_acc,test_loss,test_acc,seconds,lr`,
/// one row per (model, epoch); numbers printed so they parse back exactly.
std::string historyCsv(const std::vector<History> &histories);
/// The JSON text: `[{"model": "MLP", "epochs": [{"epoch": 1, "train_loss": ..., ...}]}]`.
/// A non-finite number (a diverged loss) is written as null.
std::string historyJson(const std::vector<History> &histories);

/// Writes historyCsv atomically to `path`.
void writeHistoryCsv(const std::string &path, const std::vector<History> &histories);
/// Writes historyJson atomically to `path`.
void writeHistoryJson(const std::string &path, const std::vector<History> &histories);
/// Reads a file written by writeHistoryJson (null reads back as NaN); throws kiln::Error
/// naming the file and the problem.
std::vector<History> readHistoryJson(const std::string &path);

} // namespace kiln
