#include "dermreader/engine/TorchInceptionV3.h"

namespace dermreader::engine {

namespace F = torch::nn::functional;

BasicConv2dImpl::BasicConv2dImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel,
                                 torch::ExpandingArray<2> stride,
                                 torch::ExpandingArray<2> padding) {
    conv = register_module(
        "conv",
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)));
    bn = register_module("bn",
                         torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(0.001)));
}

torch::Tensor BasicConv2dImpl::forward(const torch::Tensor& x) {
    return bn->forward(conv->forward(x)).relu_();
}

namespace {

torch::Tensor avgPool3x3(const torch::Tensor& x) {
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1));
}

torch::Tensor maxPool3x3s2(const torch::Tensor& x) {
    return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
}

// torchvision's trunc_normal_(std, a=-2, b=2); the bounds are absolute and, at these
// standard deviations, practically never reached, so clamping is equivalent.
void truncatedNormal(torch::Tensor& t, double stddev) {
    torch::NoGradGuard noGrad;
    t.normal_(0.0, stddev).clamp_(-2.0, 2.0);
}

}  // namespace

#define DR_REGISTER(name, ...) name = register_module(#name, BasicConv2d(__VA_ARGS__))

InceptionAImpl::InceptionAImpl(int64_t in, int64_t poolFeatures)
    : branch1x1(nullptr),
      branch5x5_1(nullptr),
      branch5x5_2(nullptr),
      branch3x3dbl_1(nullptr),
      branch3x3dbl_2(nullptr),
      branch3x3dbl_3(nullptr),
      branch_pool(nullptr) {
    DR_REGISTER(branch1x1, in, 64, 1);
    DR_REGISTER(branch5x5_1, in, 48, 1);
    DR_REGISTER(branch5x5_2, 48, 64, 5, 1, 2);
    DR_REGISTER(branch3x3dbl_1, in, 64, 1);
    DR_REGISTER(branch3x3dbl_2, 64, 96, 3, 1, 1);
    DR_REGISTER(branch3x3dbl_3, 96, 96, 3, 1, 1);
    DR_REGISTER(branch_pool, in, poolFeatures, 1);
}

torch::Tensor InceptionAImpl::forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b5 = branch5x5_2(branch5x5_1(x));
    auto b3 = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    auto bp = branch_pool(avgPool3x3(x));
    return torch::cat({b1, b5, b3, bp}, 1);
}

InceptionBImpl::InceptionBImpl(int64_t in)
    : branch3x3(nullptr),
      branch3x3dbl_1(nullptr),
      branch3x3dbl_2(nullptr),
      branch3x3dbl_3(nullptr) {
    DR_REGISTER(branch3x3, in, 384, 3, 2);
    DR_REGISTER(branch3x3dbl_1, in, 64, 1);
    DR_REGISTER(branch3x3dbl_2, 64, 96, 3, 1, 1);
    DR_REGISTER(branch3x3dbl_3, 96, 96, 3, 2);
}

torch::Tensor InceptionBImpl::forward(const torch::Tensor& x) {
    auto b3 = branch3x3(x);
    auto bd = branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)));
    return torch::cat({b3, bd, maxPool3x3s2(x)}, 1);
}

InceptionCImpl::InceptionCImpl(int64_t in, int64_t c7)
    : branch1x1(nullptr),
      branch7x7_1(nullptr),
      branch7x7_2(nullptr),
      branch7x7_3(nullptr),
      branch7x7dbl_1(nullptr),
      branch7x7dbl_2(nullptr),
      branch7x7dbl_3(nullptr),
      branch7x7dbl_4(nullptr),
      branch7x7dbl_5(nullptr),
      branch_pool(nullptr) {
    const torch::ExpandingArray<2> k17{1, 7}, k71{7, 1}, p03{0, 3}, p30{3, 0};
    DR_REGISTER(branch1x1, in, 192, 1);
    DR_REGISTER(branch7x7_1, in, c7, 1);
    DR_REGISTER(branch7x7_2, c7, c7, k17, 1, p03);
    DR_REGISTER(branch7x7_3, c7, 192, k71, 1, p30);
    DR_REGISTER(branch7x7dbl_1, in, c7, 1);
    DR_REGISTER(branch7x7dbl_2, c7, c7, k71, 1, p30);
    DR_REGISTER(branch7x7dbl_3, c7, c7, k17, 1, p03);
    DR_REGISTER(branch7x7dbl_4, c7, c7, k71, 1, p30);
    DR_REGISTER(branch7x7dbl_5, c7, 192, k17, 1, p03);
    DR_REGISTER(branch_pool, in, 192, 1);
}

torch::Tensor InceptionCImpl::forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b7 = branch7x7_3(branch7x7_2(branch7x7_1(x)));
    auto bd = branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x)))));
    auto bp = branch_pool(avgPool3x3(x));
    return torch::cat({b1, b7, bd, bp}, 1);
}

InceptionDImpl::InceptionDImpl(int64_t in)
    : branch3x3_1(nullptr),
      branch3x3_2(nullptr),
      branch7x7x3_1(nullptr),
      branch7x7x3_2(nullptr),
      branch7x7x3_3(nullptr),
      branch7x7x3_4(nullptr) {
    DR_REGISTER(branch3x3_1, in, 192, 1);
    DR_REGISTER(branch3x3_2, 192, 320, 3, 2);
    DR_REGISTER(branch7x7x3_1, in, 192, 1);
    DR_REGISTER(branch7x7x3_2, 192, 192, torch::ExpandingArray<2>{1, 7}, 1,
                torch::ExpandingArray<2>{0, 3});
    DR_REGISTER(branch7x7x3_3, 192, 192, torch::ExpandingArray<2>{7, 1}, 1,
                torch::ExpandingArray<2>{3, 0});
    DR_REGISTER(branch7x7x3_4, 192, 192, 3, 2);
}

torch::Tensor InceptionDImpl::forward(const torch::Tensor& x) {
    auto b3 = branch3x3_2(branch3x3_1(x));
    auto b7 = branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))));
    return torch::cat({b3, b7, maxPool3x3s2(x)}, 1);
}

InceptionEImpl::InceptionEImpl(int64_t in)
    : branch1x1(nullptr),
      branch3x3_1(nullptr),
      branch3x3_2a(nullptr),
      branch3x3_2b(nullptr),
      branch3x3dbl_1(nullptr),
      branch3x3dbl_2(nullptr),
      branch3x3dbl_3a(nullptr),
      branch3x3dbl_3b(nullptr),
      branch_pool(nullptr) {
    const torch::ExpandingArray<2> k13{1, 3}, k31{3, 1}, p01{0, 1}, p10{1, 0};
    DR_REGISTER(branch1x1, in, 320, 1);
    DR_REGISTER(branch3x3_1, in, 384, 1);
    DR_REGISTER(branch3x3_2a, 384, 384, k13, 1, p01);
    DR_REGISTER(branch3x3_2b, 384, 384, k31, 1, p10);
    DR_REGISTER(branch3x3dbl_1, in, 448, 1);
    DR_REGISTER(branch3x3dbl_2, 448, 384, 3, 1, 1);
    DR_REGISTER(branch3x3dbl_3a, 384, 384, k13, 1, p01);
    DR_REGISTER(branch3x3dbl_3b, 384, 384, k31, 1, p10);
    DR_REGISTER(branch_pool, in, 192, 1);
}

torch::Tensor InceptionEImpl::forward(const torch::Tensor& x) {
    auto b1 = branch1x1(x);
    auto b3 = branch3x3_1(x);
    b3 = torch::cat({branch3x3_2a(b3), branch3x3_2b(b3)}, 1);
    auto bd = branch3x3dbl_2(branch3x3dbl_1(x));
    bd = torch::cat({branch3x3dbl_3a(bd), branch3x3dbl_3b(bd)}, 1);
    auto bp = branch_pool(avgPool3x3(x));
    return torch::cat({b1, b3, bd, bp}, 1);
}

InceptionAuxImpl::InceptionAuxImpl(int64_t in, int64_t numClasses)
    : conv0(nullptr), conv1(nullptr) {
    DR_REGISTER(conv0, in, 128, 1);
    DR_REGISTER(conv1, 128, 768, 5);
    fc = register_module("fc", torch::nn::Linear(768, numClasses));
}

torch::Tensor InceptionAuxImpl::forward(const torch::Tensor& x) {
    auto y = F::avg_pool2d(x, F::AvgPool2dFuncOptions(5).stride(3));
    y = conv1(conv0(y));
    y = F::adaptive_avg_pool2d(y, F::AdaptiveAvgPool2dFuncOptions(1));
    return fc(torch::flatten(y, 1));
}

InceptionV3Impl::InceptionV3Impl(int64_t numClasses, bool auxLogits)
    : Conv2d_1a_3x3(nullptr),
      Conv2d_2a_3x3(nullptr),
      Conv2d_2b_3x3(nullptr),
      Conv2d_3b_1x1(nullptr),
      Conv2d_4a_3x3(nullptr),
      Mixed_5b(nullptr),
      Mixed_5c(nullptr),
      Mixed_5d(nullptr),
      Mixed_6a(nullptr),
      Mixed_6b(nullptr),
      Mixed_6c(nullptr),
      Mixed_6d(nullptr),
      Mixed_6e(nullptr),
      Mixed_7a(nullptr),
      Mixed_7b(nullptr),
      Mixed_7c(nullptr) {
    // Registration order = torchvision's state-dict order.
    DR_REGISTER(Conv2d_1a_3x3, 3, 32, 3, 2);
    DR_REGISTER(Conv2d_2a_3x3, 32, 32, 3);
    DR_REGISTER(Conv2d_2b_3x3, 32, 64, 3, 1, 1);
    DR_REGISTER(Conv2d_3b_1x1, 64, 80, 1);
    DR_REGISTER(Conv2d_4a_3x3, 80, 192, 3);
    Mixed_5b = register_module("Mixed_5b", InceptionA(192, 32));
    Mixed_5c = register_module("Mixed_5c", InceptionA(256, 64));
    Mixed_5d = register_module("Mixed_5d", InceptionA(288, 64));
    Mixed_6a = register_module("Mixed_6a", InceptionB(288));
    Mixed_6b = register_module("Mixed_6b", InceptionC(768, 128));
    Mixed_6c = register_module("Mixed_6c", InceptionC(768, 160));
    Mixed_6d = register_module("Mixed_6d", InceptionC(768, 160));
    Mixed_6e = register_module("Mixed_6e", InceptionC(768, 192));
    if (auxLogits)
        AuxLogits = register_module("AuxLogits", InceptionAux(768, numClasses));
    Mixed_7a = register_module("Mixed_7a", InceptionD(768));
    Mixed_7b = register_module("Mixed_7b", InceptionE(1280));
    Mixed_7c = register_module("Mixed_7c", InceptionE(2048));
    dropout = register_module("dropout", torch::nn::Dropout(0.5));
    fc = register_module("fc", torch::nn::Linear(kFeatureSize, numClasses));
}

#undef DR_REGISTER

torch::Tensor InceptionV3Impl::features(const torch::Tensor& input, torch::Tensor* aux) {
    auto x = Conv2d_2b_3x3(Conv2d_2a_3x3(Conv2d_1a_3x3(input)));
    x = maxPool3x3s2(x);
    x = Conv2d_4a_3x3(Conv2d_3b_1x1(x));
    x = maxPool3x3s2(x);
    x = Mixed_5d(Mixed_5c(Mixed_5b(x)));
    x = Mixed_6e(Mixed_6d(Mixed_6c(Mixed_6b(Mixed_6a(x)))));
    // The aux head needs a 17x17 map here (inputs of about 299 pixels); smaller inputs skip it.
    if (aux && hasAuxLogits() && x.size(2) >= 17 && x.size(3) >= 17)
        *aux = AuxLogits(x);
    return Mixed_7c(Mixed_7b(Mixed_7a(x)));
}

torch::Tensor InceptionV3Impl::pool(const torch::Tensor& features) {
    return torch::flatten(F::adaptive_avg_pool2d(features, F::AdaptiveAvgPool2dFuncOptions(1)), 1);
}

torch::Tensor InceptionV3Impl::classify(const torch::Tensor& pooled) {
    return fc(dropout(pooled));
}

InceptionV3Outputs InceptionV3Impl::forward(const torch::Tensor& x) {
    InceptionV3Outputs out;
    const bool wantAux = is_training() && hasAuxLogits();
    out.logits = classify(pool(features(x, wantAux ? &out.auxLogits : nullptr)));
    return out;
}

void InceptionV3Impl::resetClassifier(int64_t numClasses) {
    const auto device = fc->weight.device();
    fc = replace_module("fc", torch::nn::Linear(kFeatureSize, numClasses));
    // Smaller than torchvision's 0.1, so that a new classifier starts near uniform.
    truncatedNormal(fc->weight, 0.01);
    torch::nn::init::zeros_(fc->bias);
    fc->to(device);
    if (hasAuxLogits()) {
        AuxLogits->fc = AuxLogits->replace_module("fc", torch::nn::Linear(768, numClasses));
        truncatedNormal(AuxLogits->fc->weight, 0.001);
        torch::nn::init::zeros_(AuxLogits->fc->bias);
        AuxLogits->fc->to(device);
    }
}

void initialiseLikeTorchvision(InceptionV3Impl& model) {
    torch::NoGradGuard noGrad;
    for (const auto& item : model.named_modules()) {
        const std::string& name = item.key();
        auto& module = item.value();
        double stddev = 0.1;
        if (name == "AuxLogits.conv1.conv")
            stddev = 0.01;
        if (name == "AuxLogits.fc")
            stddev = 0.001;
        if (auto* conv = module->as<torch::nn::Conv2d>()) {
            truncatedNormal(conv->weight, stddev);
        } else if (auto* linear = module->as<torch::nn::Linear>()) {
            truncatedNormal(linear->weight, stddev);
            torch::nn::init::zeros_(linear->bias);
        } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
            torch::nn::init::ones_(bn->weight);
            torch::nn::init::zeros_(bn->bias);
        }
    }
}

void calibrateBatchNorm(InceptionV3Impl& model, const torch::Tensor& images) {
    calibrateBatchNorm(
        model, [&](std::size_t) { return images; }, 1);
}

void calibrateBatchNorm(InceptionV3Impl& model,
                        const std::function<torch::Tensor(std::size_t)>& batch,
                        std::size_t batches) {
    torch::NoGradGuard noGrad;
    std::vector<torch::nn::BatchNorm2dImpl*> norms;
    for (auto& module : model.modules()) {
        if (auto* bn = module->as<torch::nn::BatchNorm2d>())
            norms.push_back(bn);
    }
    for (auto* bn : norms) {
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt);  // cumulative average over the batches
    }
    model.train();
    for (std::size_t i = 0; i < batches; ++i)
        model.forward(batch(i));
    for (auto* bn : norms)
        bn->options.momentum(0.1);
    model.eval();
}

}  // namespace dermreader::engine
