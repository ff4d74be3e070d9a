#include "FuzzDriver.h"

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <thread>

namespace fuzz {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    long iterations = 2000;
    double seconds = 0;  // 0: iterations decide
    std::uint64_t seed = 1;
    double timeout = 20;
    std::string saveDir = "fuzz-failures";
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const std::string value = argv[i + 1];
        if (key == "--iterations")
            o.iterations = std::stol(value);
        else if (key == "--seconds")
            o.seconds = std::stod(value);
        else if (key == "--seed")
            o.seed = std::stoull(value);
        else if (key == "--timeout")
            o.timeout = std::stod(value);
        else if (key == "--save-crash")
            o.saveDir = value;
    }
    return o;
}

// The input being run, for the watchdog and the crash handler to save.
Input current;
std::atomic<long> inputNumber{-1};
std::atomic<bool> running{false};
std::atomic<std::int64_t> startedAt{0};
std::string saveDirectory;
std::string targetName;

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
}

void saveCurrent(const char* why) {
    std::error_code error;
    std::filesystem::create_directories(saveDirectory, error);
    const std::string file = saveDirectory + "/" + targetName + "-" + why + "-" +
                             std::to_string(inputNumber.load()) + ".bin";
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(current.data()),
               static_cast<std::streamsize>(current.size()));
    std::cerr << "fuzz " << targetName << ": input " << inputNumber.load() << " (" << why
              << ") saved to " << file << "\n";
}

void onCrash(int signal) {
    saveCurrent(signal == SIGABRT ? "abort" : "crash");
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

Input mutate(const std::vector<Input>& corpus, std::mt19937_64& random) {
    auto pick = [&random](std::size_t n) {
        return n == 0 ? 0 : static_cast<std::size_t>(random() % n);
    };
    Input input = corpus[pick(corpus.size())];
    const int mutations = 1 + static_cast<int>(random() % 8);
    static const std::uint8_t kInteresting[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x10, 0x20};
    for (int m = 0; m < mutations; ++m) {
        const std::size_t size = input.size();
        switch (random() % 8) {
            case 0:  // flip a bit
                if (size)
                    input[pick(size)] ^= static_cast<std::uint8_t>(1u << (random() % 8));
                break;
            case 1:  // a random byte
                if (size)
                    input[pick(size)] = static_cast<std::uint8_t>(random());
                break;
            case 2:  // an interesting byte
                if (size)
                    input[pick(size)] = kInteresting[random() % sizeof kInteresting];
                break;
            case 3:  // truncate
                if (size)
                    input.resize(pick(size));
                break;
            case 4: {  // delete a range
                if (size < 2)
                    break;
                const std::size_t at = pick(size),
                                  length = 1 + pick(std::min<std::size_t>(64, size - at));
                input.erase(input.begin() + static_cast<long>(at),
                            input.begin() + static_cast<long>(std::min(size, at + length)));
                break;
            }
            case 5: {  // duplicate a range
                if (size < 2 || size > (1u << 20))
                    break;
                const std::size_t at = pick(size),
                                  length = 1 + pick(std::min<std::size_t>(256, size - at));
                const Input piece(input.begin() + static_cast<long>(at),
                                  input.begin() + static_cast<long>(std::min(size, at + length)));
                input.insert(input.begin() + static_cast<long>(pick(size)), piece.begin(),
                             piece.end());
                break;
            }
            case 6: {  // insert random bytes
                const std::size_t count = 1 + pick(16);
                Input bytes(count);
                for (auto& b : bytes)
                    b = static_cast<std::uint8_t>(random());
                input.insert(input.begin() + static_cast<long>(pick(size + 1)), bytes.begin(),
                             bytes.end());
                break;
            }
            default: {  // splice with another seed
                const Input& other = corpus[pick(corpus.size())];
                if (other.empty() || size == 0)
                    break;
                const std::size_t cut = pick(size), from = pick(other.size());
                input.resize(cut);
                input.insert(input.end(), other.begin() + static_cast<long>(from), other.end());
                break;
            }
        }
    }
    return input;
}

}  // namespace

Input bytesOf(const std::string& text) {
    return Input(text.begin(), text.end());
}

Input readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::filesystem::path workDirectory(const std::string& target) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        ("dermreader-fuzz-" + target + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

int runDriver(const Target& target, int argc, char** argv) {
    const Options options = parse(argc, argv);
    targetName = target.name;
    saveDirectory = options.saveDir;
    std::signal(SIGSEGV, onCrash);
    std::signal(SIGBUS, onCrash);
    std::signal(SIGFPE, onCrash);
    std::signal(SIGILL, onCrash);
    std::signal(SIGABRT, onCrash);
    const std::vector<Input> corpus = target.seeds();
    if (corpus.empty()) {
        std::cerr << "fuzz " << target.name << ": no seeds\n";
        return 1;
    }
    // A hang is a failure: the watchdog saves the input and aborts.
    std::thread watchdog([&options] {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            if (running &&
                nowMs() - startedAt > static_cast<std::int64_t>(options.timeout * 1000)) {
                saveCurrent("timeout");
                std::_Exit(3);
            }
        }
    });
    watchdog.detach();
    auto runOne = [&](const Input& input, long number) {
        current = input;
        inputNumber = number;
        startedAt = nowMs();
        running = true;
        target.runOne(input.data(), input.size());
        running = false;
    };
    const auto start = Clock::now();
    long done = 0;
    for (const Input& seed : corpus)
        runOne(seed, done++);
    std::mt19937_64 random(options.seed);
    auto more = [&] {
        if (options.seconds > 0)
            return std::chrono::duration<double>(Clock::now() - start).count() < options.seconds;
        return done < options.iterations;
    };
    while (more())
        runOne(mutate(corpus, random), done++);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::cout << "fuzz " << target.name << ": " << done << " inputs (" << corpus.size()
              << " seeds) in " << seconds << " s, no crash, hang or unexpected exception\n";
    return 0;
}

}  // namespace fuzz
