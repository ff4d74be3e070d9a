#pragma once
// The torch side of Distributed.h: a c10d process group for this process and c10d's Reducer
// over the model's trainable parameters.

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "dermreader/training/Distributed.h"

namespace dermreader::training {

class DataParallel {
  public:
    // Joins the group (rank 0 hosts the rendezvous); Gloo for CPU tensors, NCCL for CUDA.
    // Throws std::runtime_error naming the problem (no backend in this build, rendezvous
    // timed out, ...).
    DataParallel(const ProcessGroupSpec& spec, const torch::Device& device);
    ~DataParallel();

    int rank() const { return spec_.rank; }
    int worldSize() const { return spec_.worldSize; }

    // Rank 0's values into every rank's tensors (in place).
    void broadcastFromRankZero(const std::vector<torch::Tensor>& tensors);
    // Averages the gradients of `parameters` (those that train) across ranks during backward.
    void reduceGradientsOf(const std::vector<torch::Tensor>& parameters);
    // Call between forward and backward of every step.
    void prepareForBackward(const torch::Tensor& loss);
    // Sums `values` across ranks (the step's loss, a stop request).
    std::vector<double> sum(const std::vector<double>& values);
    void barrier();

  private:
    struct Impl;
    ProcessGroupSpec spec_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dermreader::training
