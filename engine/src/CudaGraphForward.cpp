#include "CudaGraphForward.h"

#ifdef DERMREADER_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace dermreader::engine {

struct CudaGraphForward::State {
    Forward forward;
    std::string failure;
#ifdef DERMREADER_WITH_CUDA
    std::unique_ptr<at::cuda::CUDAGraph> graph;
    torch::Tensor staticInput, staticOutput;

    bool matches(const torch::Tensor& input) const {
        return graph && staticInput.sizes() == input.sizes() &&
               staticInput.scalar_type() == input.scalar_type() &&
               staticInput.device() == input.device() &&
               staticInput.suggest_memory_format() == input.suggest_memory_format();
    }

    void capture(const torch::Tensor& input) {
        graph.reset();
        staticInput = input.clone(input.suggest_memory_format());
        const auto current = c10::cuda::getCurrentCUDAStream(input.device().index());
        auto side = c10::cuda::getStreamFromPool(false, input.device().index());
        current.synchronize();
        {
            c10::cuda::CUDAStreamGuard onSide(side);
            // Warm-up outside the capture: cuDNN picks its algorithms and the allocator its
            // blocks, neither of which may happen while capturing.
            for (int i = 0; i < 3; ++i)
                forward(staticInput);
            side.synchronize();
            auto captured = std::make_unique<at::cuda::CUDAGraph>();
            // Thread-local: other threads' CUDA work (another predictor) is not caught in it.
            captured->capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
            try {
                staticOutput = forward(staticInput);
            } catch (...) {
                // The stream must leave capture mode, or nothing on it runs again.
                try {
                    captured->capture_end();
                } catch (...) {
                }
                throw;
            }
            captured->capture_end();
            graph = std::move(captured);
        }
        side.synchronize();
    }
#endif
};

CudaGraphForward::CudaGraphForward(Forward forward) : state_(std::make_unique<State>()) {
    state_->forward = std::move(forward);
}

CudaGraphForward::~CudaGraphForward() = default;

torch::Tensor CudaGraphForward::operator()(const torch::Tensor& input) {
    auto& s = *state_;
#ifdef DERMREADER_WITH_CUDA
    if (!input.is_cuda() || !s.failure.empty())
        return s.forward(input);
    if (!s.matches(input)) {
        try {
            s.capture(input);
        } catch (const c10::Error& e) {
            s.failure = e.what_without_backtrace();
            s.graph.reset();
            s.staticInput = s.staticOutput = torch::Tensor();
            return s.forward(input);
        }
    }
    s.staticInput.copy_(input);
    s.graph->replay();
    // The graph overwrites its output at the next replay: hand out a copy.
    return s.staticOutput.clone();
#else
    return s.forward(input);
#endif
}

bool CudaGraphForward::captured() const {
#ifdef DERMREADER_WITH_CUDA
    return state_->graph != nullptr;
#else
    return false;
#endif
}

std::string CudaGraphForward::failure() const {
    return state_->failure;
}

}  // namespace dermreader::engine
