#pragma once
// Batch-1 inference replayed from a captured CUDA graph: one launch instead of the ~300 kernel
// launches an Inception v3 forward makes, which is most of batch-1 latency on a fast GPU.
// The graph is captured at the first call for an input shape (after warm-up runs on a side
// stream, as CUDA graphs require) and re-captured when the shape changes. A capture that fails
// switches graphs off for good and the eager forward answers; failure() says why.
// Without CUDA in the build it is the eager forward.

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

namespace dermreader::engine {

class CudaGraphForward {
  public:
    using Forward = std::function<torch::Tensor(const torch::Tensor&)>;
    explicit CudaGraphForward(Forward forward);
    ~CudaGraphForward();
    CudaGraphForward(const CudaGraphForward&) = delete;
    CudaGraphForward& operator=(const CudaGraphForward&) = delete;

    // forward(input), from the graph for a CUDA input; a CPU input runs eagerly.
    torch::Tensor operator()(const torch::Tensor& input);
    bool captured() const;
    std::string failure() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace dermreader::engine
