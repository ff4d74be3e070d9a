#pragma once
// Inception v3 (Szegedy et al. 2015) in the LibTorch C++ frontend, with module, parameter and
// buffer names identical to torchvision's `inception_v3` so that its state dicts (and timm's
// `inception_v3.tv_in1k`) load directly. Includes torch: engine and training only.

#include <torch/torch.h>

#include <functional>

namespace dermreader::engine {

// conv (no bias) -> BatchNorm (eps 0.001) -> ReLU, torchvision's BasicConv2d.
class BasicConv2dImpl : public torch::nn::Module {
  public:
    BasicConv2dImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel,
                    torch::ExpandingArray<2> stride = 1, torch::ExpandingArray<2> padding = 0);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

class InceptionAImpl : public torch::nn::Module {
  public:
    InceptionAImpl(int64_t in, int64_t poolFeatures);
    torch::Tensor forward(const torch::Tensor& x);
    BasicConv2d branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3,
        branch_pool;
};
TORCH_MODULE(InceptionA);

class InceptionBImpl : public torch::nn::Module {
  public:
    explicit InceptionBImpl(int64_t in);
    torch::Tensor forward(const torch::Tensor& x);
    BasicConv2d branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;
};
TORCH_MODULE(InceptionB);

class InceptionCImpl : public torch::nn::Module {
  public:
    InceptionCImpl(int64_t in, int64_t channels7x7);
    torch::Tensor forward(const torch::Tensor& x);
    BasicConv2d branch1x1, branch7x7_1, branch7x7_2, branch7x7_3, branch7x7dbl_1, branch7x7dbl_2,
        branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool;
};
TORCH_MODULE(InceptionC);

class InceptionDImpl : public torch::nn::Module {
  public:
    explicit InceptionDImpl(int64_t in);
    torch::Tensor forward(const torch::Tensor& x);
    BasicConv2d branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3,
        branch7x7x3_4;
};
TORCH_MODULE(InceptionD);

class InceptionEImpl : public torch::nn::Module {
  public:
    explicit InceptionEImpl(int64_t in);
    torch::Tensor forward(const torch::Tensor& x);
    BasicConv2d branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b, branch3x3dbl_1, branch3x3dbl_2,
        branch3x3dbl_3a, branch3x3dbl_3b, branch_pool;
};
TORCH_MODULE(InceptionE);

class InceptionAuxImpl : public torch::nn::Module {
  public:
    InceptionAuxImpl(int64_t in, int64_t numClasses);
    torch::Tensor forward(const torch::Tensor& x);
    BasicConv2d conv0, conv1;
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(InceptionAux);

struct InceptionV3Outputs {
    torch::Tensor logits;     // [N, classes]
    torch::Tensor auxLogits;  // [N, classes] in training mode with the aux head, else undefined
};

class InceptionV3Impl : public torch::nn::Module {
  public:
    static constexpr int64_t kInputSize = 299;
    static constexpr int64_t kFeatureSize = 2048;

    InceptionV3Impl(int64_t numClasses, bool auxLogits);

    // Mixed_7c's activations [N, 2048, 8, 8] for a [N, 3, 299, 299] input (Grad-CAM's layer).
    // With `aux`, also computes the auxiliary logits after Mixed_6e (training only).
    torch::Tensor features(const torch::Tensor& x, torch::Tensor* aux = nullptr);
    // Global average pooling: the 2,048-d last hidden layer (the paper's t-SNE features).
    static torch::Tensor pool(const torch::Tensor& features);
    // Dropout then the final layer.
    torch::Tensor classify(const torch::Tensor& pooled);
    InceptionV3Outputs forward(const torch::Tensor& x);

    // Replaces the final layer (and the aux head's) with freshly initialised ones sized to
    // `numClasses`.
    void resetClassifier(int64_t numClasses);
    int64_t numClasses() const { return fc->options.out_features(); }
    bool hasAuxLogits() const { return !AuxLogits.is_empty(); }

    BasicConv2d Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3;
    InceptionA Mixed_5b, Mixed_5c, Mixed_5d;
    InceptionB Mixed_6a;
    InceptionC Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e;
    InceptionAux AuxLogits{nullptr};
    InceptionD Mixed_7a;
    InceptionE Mixed_7b, Mixed_7c;
    torch::nn::Dropout dropout{nullptr};
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(InceptionV3);

// torchvision's initialisation: truncated normal (std 0.1; 0.01 for the aux head's conv1,
// 0.001 for its fc) for convs and linears, BatchNorm weight 1 and bias 0.
void initialiseLikeTorchvision(InceptionV3Impl& model);

// Sets every BatchNorm's running statistics to those of `images` (an untrained network's
// defaults, mean 0 and variance 1, let activations grow layer by layer until the softmax
// saturates). Leaves the model in eval mode.
void calibrateBatchNorm(InceptionV3Impl& model, const torch::Tensor& images);
// The same over `batches` batches (`batch(i)` makes the i-th): each statistic is the average of
// the batches' (an init's statistics re-estimated on the training images, "AdaBN").
void calibrateBatchNorm(InceptionV3Impl& model,
                        const std::function<torch::Tensor(std::size_t)>& batch,
                        std::size_t batches);

}  // namespace dermreader::engine
