#pragma once
// A small standalone fuzzing driver (no compiler support needed, so it builds with gcc): each
// target gives seed inputs it generates itself and a function that must never crash, hang or
// leak an exception other than the refusals it is allowed. The driver replays the seeds, then
// mutates them (bit flips, byte sets, interesting values, truncation, duplication, insertion,
// splicing) with a fixed random seed, for a number of inputs or a time budget:
//
//   fuzz_x [--iterations N] [--seconds S] [--seed K] [--save-crash DIR]
//
// A crash kills the process (CTest reports it); an input that runs over --timeout seconds
// aborts with the input saved, so a hang is a failure too. With clang, the same FuzzOne could
// be linked into libFuzzer; Debian's gcc has no -fsanitize=fuzzer, hence this driver.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace fuzz {

using Input = std::vector<std::uint8_t>;

Input bytesOf(const std::string& text);
// A whole file's bytes (seeds the target wrote with the code under test).
Input readFile(const std::filesystem::path& path);
// A scratch folder of this process, created on first use (targets write their input there).
std::filesystem::path workDirectory(const std::string& target);

// What each target provides.
struct Target {
    const char* name;
    std::vector<Input> (*seeds)();
    // Runs one input; refusals (the documented exceptions) are caught inside and are fine.
    void (*runOne)(const std::uint8_t* data, std::size_t size);
};

int runDriver(const Target& target, int argc, char** argv);

}  // namespace fuzz
