#include "dermreader/engine/Prediction.h"

namespace dermreader::engine {

std::optional<DevicePreference> parseDevicePreference(const std::string& text) {
    if (text == "auto")
        return DevicePreference::Auto;
    if (text == "cpu")
        return DevicePreference::Cpu;
    if (text == "cuda")
        return DevicePreference::Cuda;
    return std::nullopt;
}

std::string toString(SaliencyMethod method) {
    return method == SaliencyMethod::Gradient ? "gradient" : "gradcam";
}

}  // namespace dermreader::engine
