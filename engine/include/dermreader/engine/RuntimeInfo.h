#pragma once
// What this build of the engine runs on: the LibTorch it was built against, whether that
// LibTorch has CUDA, and what the machine offers now (`dermtool info`). No torch here.

#include <cstdint>
#include <string>
#include <vector>

namespace dermreader::engine {

struct CudaDeviceInfo {
    int index = 0;
    std::string name;
    std::uint64_t memoryBytes = 0;
    int computeMajor = 0, computeMinor = 0;
};

struct RuntimeInfo {
    std::string torchVersion;    // the LibTorch headers this program was compiled with
    bool cudaCompiled = false;   // built with LibTorch's CUDA libraries linked in
    bool cudaAvailable = false;  // a driver and at least one device, now
    std::string cudaVersion;     // CUDA runtime LibTorch was built with, "13.0"; "" without
    std::string cudnnVersion;    // "9.19.0"; "" without
    std::vector<CudaDeviceInfo> devices;
    int cpuThreads = 0;  // LibTorch's intra-op threads, as dermreader sets them (one per core)
    std::string parallelBackend;
};

RuntimeInfo runtimeInfo();

}  // namespace dermreader::engine
