#pragma once
// What a prediction is, independent of how it is computed: the options a predictor takes, its
// probabilities and saliency maps. Plain C++ (no torch), so records and the workstation logic
// hold predictions without linking LibTorch.

#include <optional>
#include <string>
#include <vector>

#include "dermreader/taxonomy/Inference.h"

namespace dermreader::engine {

enum class DevicePreference { Auto, Cpu, Cuda };
std::optional<DevicePreference> parseDevicePreference(const std::string& text);

struct PredictorOptions {
    DevicePreference device = DevicePreference::Auto;  // Auto: CUDA when available
    bool testTimeAugmentation = false;  // average over the 8 rotations/flips of the input
    int cpuThreads = 0;                 // 0: all cores
    bool cudaBFloat16 = false;          // bf16 autocast on CUDA (weights stay float32)
    bool cudaGraphs = true;             // batch-1 predictions replay a captured CUDA graph
};

struct Prediction {
    std::vector<double> classProbabilities;  // over the model's training classes
    std::vector<double> nodeProbabilities;   // P(node) for every taxonomy node
    double malignant = 0.0;
    std::optional<double> melanocyticMalignant;          // P(malignant | melanocytic lesion)
    std::optional<double> epidermalMalignant;            // P(malignant | epidermal lesion)
    std::vector<taxonomy::NodeProbability> firstLevel;   // the 3 roots
    std::vector<taxonomy::NodeProbability> secondLevel;  // the 9 classes, most probable first
    std::vector<taxonomy::NodeProbability> topClasses;   // training classes, most probable first
};

enum class SaliencyMethod { Gradient, GradCam };
std::string toString(SaliencyMethod method);

struct SaliencyMap {
    int width = 0, height = 0;  // the input image's size
    std::vector<float> values;  // row-major, scaled to [0, 1]
    SaliencyMethod method = SaliencyMethod::Gradient;
    int targetClass = -1;  // the training class explained
    // The resolution the map was computed at before it was scaled to the image: for Grad-CAM
    // the last feature map (8x8 at 299 px), which bounds the detail it can show.
    int nativeWidth = 0, nativeHeight = 0;
};

}  // namespace dermreader::engine
